/** Model building blocks: rotary embedding, RMSNorm and scaled dot-product attention, each by hand. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  applyRotary,
  dropout,
  manualSeed,
  ones,
  rmsNorm,
  scaledDotProductAttention,
  tensor,
  type Tensor,
} from "../../src/engine/index.js";
import { assertClose, assertTensor, pseudoRandom } from "../support/assert-close.js";

test("applyRotary is x·cos + rotateHalf(x)·sin with rotateHalf([x1, x2]) = [-x2, x1]", () => {
  // One head, two positions, head dim 4: halves (x0,x1 | x2,x3) pair up as (x0,x2) and (x1,x3).
  const x = [1, 2, 3, 4, -1, 0.5, 2, -3];
  const angles = [
    [0.3, 0.7],
    [1.1, -0.4],
  ];
  // HF layout: cos/sin of the half-dim angles repeated twice along the last dim, [T, D].
  const cos = angles.flatMap((r) => [...r, ...r].map(Math.cos));
  const sin = angles.flatMap((r) => [...r, ...r].map(Math.sin));
  const expected: number[] = [];
  for (let t = 0; t < 2; t++) {
    const v = x.slice(4 * t, 4 * t + 4);
    const rot = [-v[2]!, -v[3]!, v[0]!, v[1]!];
    for (let d = 0; d < 4; d++) expected.push(v[d]! * cos[4 * t + d]! + rot[d]! * sin[4 * t + d]!);
  }
  const out = applyRotary(
    tensor(x, { shape: [1, 1, 2, 4], dtype: "f64" }),
    tensor(cos, { shape: [2, 4], dtype: "f64" }),
    tensor(sin, { shape: [2, 4], dtype: "f64" }),
  );
  assertTensor(out, [1, 1, 2, 4], expected, { atol: 1e-12 });
  // Each (x_i, x_{i+D/2}) pair is rotated, so the norm per position is preserved.
  const n = out.norm(2, -1).toList();
  assertClose(n, [Math.hypot(1, 2, 3, 4), Math.hypot(-1, 0.5, 2, -3)], { atol: 1e-12 });
  // Angle 0 is the identity.
  assertTensor(applyRotary(tensor(x, { shape: [2, 4] }), tensor(1), tensor(0)), [2, 4], x);
});

test("applyRotary rejects an odd head dim", () => {
  const x = tensor([1, 2, 3], { shape: [1, 3] });
  assert.throws(() => applyRotary(x, tensor([1, 1, 1]), tensor([0, 0, 0])), /^Error: rope\(f32\[1,3\].*even/);
});

test("rmsNorm: w · x / sqrt(mean(x²) + eps), in f32 and f64, dtype preserved", () => {
  const rows = [
    [1, 2, 3],
    [-4, 0, 4],
  ];
  const w = [0.5, 1, 2];
  const eps = 1e-5;
  const expected = rows.flatMap((r) => {
    const ms = r.reduce((s, v) => s + v * v, 0) / r.length;
    return r.map((v, i) => (w[i]! * v) / Math.sqrt(ms + eps));
  });
  assertTensor(rmsNorm(tensor(rows), tensor(w), eps), [2, 3], expected, { atol: 1e-6 });
  // f64 inputs are normalised in f64 (not truncated to f32), so the result is exact to ~1e-15.
  const y = rmsNorm(tensor(rows, { dtype: "f64" }), tensor(w, { dtype: "f64" }), eps);
  assert.equal(y.dtype, "f64");
  assertTensor(y, [2, 3], expected, { atol: 1e-14, rtol: 1e-14 });
  // bf16 in, bf16 out (normalised in f32 internally, as HF Qwen2 does).
  const b = rmsNorm(tensor(rows, { dtype: "bf16" }), tensor(w, { dtype: "bf16" }), eps);
  assert.equal(b.dtype, "bf16");
  assertClose(b.toList(), expected, { atol: 0.02, rtol: 0.01 });
});

/** Reference attention in JS: softmax(q·kᵀ·scale + mask)·v per (batch·head), masks as "may attend" predicates. */
function attentionByHand(
  q: number[],
  k: number[],
  v: number[],
  dims: { bh: number; tq: number; tk: number; d: number },
  allowed: (i: number, j: number) => boolean,
  scale = 1 / Math.sqrt(dims.d),
  additive: (i: number, j: number) => number = () => 0,
): number[] {
  const { bh, tq, tk, d } = dims;
  const out: number[] = [];
  for (let b = 0; b < bh; b++) {
    for (let i = 0; i < tq; i++) {
      const scores: number[] = [];
      for (let j = 0; j < tk; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[(b * tq + i) * d + c]! * k[(b * tk + j) * d + c]!;
        scores.push(allowed(i, j) ? s * scale + additive(i, j) : -Infinity);
      }
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const z = e.reduce((p, r) => p + r, 0);
      for (let c = 0; c < d; c++) {
        let acc = 0;
        for (let j = 0; j < tk; j++) acc += (e[j]! / z) * v[(b * tk + j) * d + c]!;
        out.push(acc);
      }
    }
  }
  return out;
}

test("scaledDotProductAttention matches softmax(QKᵀ/√d)V: plain, causal, boolean and additive masks", () => {
  const [B, H, T, D] = [2, 2, 4, 3];
  const dims = { bh: B * H, tq: T, tk: T, d: D };
  const n = B * H * T * D;
  const [q, k, v] = [pseudoRandom(n, 1), pseudoRandom(n, 2), pseudoRandom(n, 3)];
  const t = (xs: number[]): Tensor => tensor(xs, { shape: [B, H, T, D], dtype: "f64" });
  const tol = { atol: 1e-12, rtol: 1e-10 };
  const sdpa = (opts?: Parameters<typeof scaledDotProductAttention>[3]): Tensor =>
    scaledDotProductAttention(t(q), t(k), t(v), opts);

  assertTensor(
    sdpa(),
    [B, H, T, D],
    attentionByHand(q, k, v, dims, () => true),
    tol,
  );
  assertTensor(
    sdpa({ causal: true }),
    [B, H, T, D],
    attentionByHand(q, k, v, dims, (i, j) => j <= i),
    tol,
  );
  assertTensor(
    sdpa({ scale: 0.7 }),
    [B, H, T, D],
    attentionByHand(q, k, v, dims, () => true, 0.7),
    tol,
  );

  // A boolean [T,T] mask (true = may attend), broadcast over batch and heads: every query sees keys 0 and itself.
  const allowed = (i: number, j: number): boolean => j === 0 || j === i;
  const mask = tensor(
    Array.from({ length: T * T }, (_, x) => allowed(Math.floor(x / T), x % T)),
    { shape: [T, T] },
  );
  assertTensor(sdpa({ mask }), [B, H, T, D], attentionByHand(q, k, v, dims, allowed), tol);
  // Boolean mask combined with causal: both must allow.
  const keyMask = tensor([true, false, true, true]);
  assertTensor(
    sdpa({ mask: keyMask, causal: true }),
    [B, H, T, D],
    attentionByHand(q, k, v, dims, (i, j) => j <= i && j !== 1),
    tol,
  );
  // An additive float mask is added to the scaled scores.
  const bias = (i: number, j: number): number => 0.25 * (i - j);
  const add = tensor(
    Array.from({ length: T * T }, (_, x) => bias(Math.floor(x / T), x % T)),
    { shape: [T, T], dtype: "f64" },
  );
  assertTensor(
    sdpa({ mask: add }),
    [B, H, T, D],
    attentionByHand(q, k, v, dims, () => true, undefined, bias),
    tol,
  );
  assertTensor(
    sdpa({ mask: add, causal: true }),
    [B, H, T, D],
    attentionByHand(q, k, v, dims, (i, j) => j <= i, undefined, bias),
    tol,
  );
});

test("causal attention with fewer queries than keys is aligned to the last key (KV-cache decoding)", () => {
  // Two new queries at positions 3 and 4 over five cached keys: query i may attend keys j <= i + (Tk - Tq).
  const [tq, tk, d] = [2, 5, 4];
  const q = pseudoRandom(tq * d, 4);
  const k = pseudoRandom(tk * d, 5);
  const v = pseudoRandom(tk * d, 6);
  const out = scaledDotProductAttention(
    tensor(q, { shape: [1, 1, tq, d], dtype: "f64" }),
    tensor(k, { shape: [1, 1, tk, d], dtype: "f64" }),
    tensor(v, { shape: [1, 1, tk, d], dtype: "f64" }),
    { causal: true },
  );
  const expected = attentionByHand(q, k, v, { bh: 1, tq, tk, d }, (i, j) => j <= i + tk - tq);
  assertTensor(out, [1, 1, tq, d], expected, { atol: 1e-12 });
  // A single decoding query attends every cached key.
  const one = scaledDotProductAttention(
    tensor(q.slice(0, d), { shape: [1, 1, 1, d], dtype: "f64" }),
    tensor(k, { shape: [1, 1, tk, d], dtype: "f64" }),
    tensor(v, { shape: [1, 1, tk, d], dtype: "f64" }),
    { causal: true },
  );
  assertTensor(
    one,
    [1, 1, 1, d],
    attentionByHand(q.slice(0, d), k, v, { bh: 1, tq: 1, tk, d }, () => true),
    {
      atol: 1e-12,
    },
  );
});

test("dropout: identity when not training; in training zeroes about p and scales survivors by 1/(1-p)", () => {
  const x = ones([20000]);
  assert.deepEqual(dropout(tensor([1, 2, 3]), 0.5, false).toList(), [1, 2, 3]);
  manualSeed(11);
  const y = dropout(x, 0.25, true).toList();
  const zeros = y.filter((v) => v === 0).length / y.length;
  assert.ok(Math.abs(zeros - 0.25) < 0.02, `dropped fraction ${zeros}`);
  assert.ok(
    y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6),
    "survivors are scaled by 1/(1-p)",
  );
  assert.throws(() => dropout(x, 1.5, true), /^Error: dropout\(f32\[20000\], 1\.5, true\): dropout probability/);
});
