/** Small assertions shared by the engine tests: numeric closeness with readable failure messages. */
import assert from "node:assert/strict";
import { tensor, type Tensor } from "../../src/engine/index.js";

/** Asserts `actual` and `expected` have equal length and agree elementwise within `atol + rtol·|expected|`. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol?: number; rtol?: number } = {},
  what = "values",
): void {
  const atol = tol.atol ?? 1e-6;
  const rtol = tol.rtol ?? 1e-5;
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    // NaN and ±Infinity must match exactly.
    if (!Number.isFinite(e)) {
      assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${what}[${i}]: got ${a}, expected ${e}`);
      continue;
    }
    assert.ok(
      Math.abs(a - e) <= atol + rtol * Math.abs(e),
      `${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)})\n  actual:   ${fmt(actual)}\n  expected: ${fmt(expected)}`,
    );
  }
}

/** Asserts a tensor's shape and values (flattened, row-major). */
export function assertTensor(
  t: Tensor,
  shape: readonly number[],
  expected: ArrayLike<number>,
  tol?: { atol?: number; rtol?: number },
): void {
  assert.deepEqual([...t.shape], [...shape], `shape of ${t.toString()}`);
  assertClose(t.toList(), expected, tol, t.toString());
}

function fmt(a: ArrayLike<number>): string {
  const xs = Array.from(a).slice(0, 12);
  return `[${xs.map((x) => Number(x.toPrecision(6))).join(", ")}${a.length > 12 ? ", …" : ""}]`;
}

/** A deterministic pseudo-random sequence in [-1, 1) (a 32-bit LCG), so test data needs no seed plumbing. */
export function pseudoRandom(n: number, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(s / 2 ** 31 - 1);
  }
  return out;
}

/** An f64 tensor of `shape` filled with pseudoRandom(·, seed) × scale: gradient-check inputs. */
export function randomF64(shape: number[], seed: number, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    pseudoRandom(n, seed).map((u) => u * scale),
    { shape, dtype: "f64" },
  );
}
