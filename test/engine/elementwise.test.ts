/** Elementwise ops: broadcasting binaries, scalar variants and dtype rules, unary maths, masks, clamp. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { einsum, tensor, where, type Tensor } from "../../src/engine/index.js";
import { assertClose, assertTensor } from "../support/assert-close.js";

const a = (): Tensor =>
  tensor([
    [1, -2, 3],
    [4, 5, -6],
  ]);

/** Reference broadcasting of a [2,3] tensor with [3] (row) or [2,1] (column) operands, computed in JS. */
function broadcast(x: number[][], y: number[] | number[][], f: (p: number, q: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      const q = Array.isArray(y[0]) ? (y as number[][])[i]![0]! : (y as number[])[j]!;
      out.push(f(x[i]![j]!, q));
    }
  }
  return out;
}

test("binary ops broadcast a row [3] and a column [2,1] against [2,3]", () => {
  const x = [
    [1, -2, 3],
    [4, 5, -6],
  ];
  const row = [2, -1, 0.5];
  const col = [[3], [-2]];
  const cases: [string, (p: Tensor, q: Tensor) => Tensor, (p: number, q: number) => number][] = [
    ["add", (p, q) => p.add(q), (p, q) => p + q],
    ["sub", (p, q) => p.sub(q), (p, q) => p - q],
    ["mul", (p, q) => p.mul(q), (p, q) => p * q],
    ["div", (p, q) => p.div(q), (p, q) => p / q],
    ["maximum", (p, q) => p.maximum(q), Math.max],
    ["minimum", (p, q) => p.minimum(q), Math.min],
    ["atan2", (p, q) => p.atan2(q), Math.atan2],
    // PyTorch's remainder takes the sign of the divisor (Python %), unlike JS %.
    ["remainder", (p, q) => p.remainder(q), (p, q) => p - q * Math.floor(p / q)],
  ];
  for (const [name, op, ref] of cases) {
    assertTensor(op(tensor(x), tensor(row)), [2, 3], broadcast(x, row, ref), { atol: 1e-6 });
    assertTensor(op(tensor(x), tensor(col)), [2, 3], broadcast(x, col, ref), { atol: 1e-6 });
    assert.equal(op(tensor(x), tensor(row)).dtype, "f32", name);
  }
  // pow needs positive bases for non-integer exponents.
  assertTensor(tensor([1, 2, 4]).pow(tensor([[2], [0.5]])), [2, 3], [1, 4, 16, 1, Math.SQRT2, 2]);
  // [3,1] with [1,4] broadcasts both ways to [3,4].
  const outer = tensor([[1], [2], [3]]).mul(tensor([[1, 10, 100, 1000]]));
  assertTensor(outer, [3, 4], [1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000]);
});

test("comparisons and logical ops give bool tensors", () => {
  const x = tensor([1, 2, 3]);
  const y = tensor([3, 2, 1]);
  const cases: [Tensor, number[]][] = [
    [x.eq(y), [0, 1, 0]],
    [x.ne(y), [1, 0, 1]],
    [x.lt(y), [1, 0, 0]],
    [x.le(y), [1, 1, 0]],
    [x.gt(y), [0, 0, 1]],
    [x.ge(y), [0, 1, 1]],
    [x.gt(1), [0, 1, 1]],
    [x.eq(2), [0, 1, 0]],
    [x.lt(y).logicalOr(x.eq(3)), [1, 0, 1]],
    [x.le(y).logicalAnd(x.ge(y)), [0, 1, 0]],
    [x.le(y).logicalXor(x.ge(y)), [1, 0, 1]],
    [x.lt(y).logicalNot(), [0, 1, 1]],
  ];
  for (const [t, expected] of cases) {
    assert.equal(t.dtype, "bool");
    assert.deepEqual(t.toList(), expected);
  }
});

test("scalar variants: integral scalars keep integer tensors integer, others promote to f32", () => {
  const i = tensor([7, -3, 4], { dtype: "i64" });
  const keep: [Tensor, number[]][] = [
    [i.add(2), [9, -1, 6]],
    [i.sub(1), [6, -4, 3]],
    [i.mul(3), [21, -9, 12]],
    [i.mul(2.0), [14, -6, 8]],
    [i.pow(2), [49, 9, 16]],
    // Python-style modulo: the sign follows the divisor.
    [i.remainder(3), [1, 0, 1]],
    [i.rsub(10), [3, 13, 6]],
  ];
  for (const [t, expected] of keep) {
    assert.equal(t.dtype, "i64");
    assert.deepEqual(t.toList(), expected);
  }
  // A fractional scalar promotes to the default float dtype; true division always gives floats.
  assertTensor(i.mul(0.5), [3], [3.5, -1.5, 2]);
  assert.equal(i.mul(0.5).dtype, "f32");
  assertTensor(i.div(2), [3], [3.5, -1.5, 2]);
  assert.equal(i.div(2).dtype, "f32");
  // Scalars never change a float tensor's dtype.
  const h = tensor([1, 2], { dtype: "f64" });
  assert.equal(h.add(1).dtype, "f64");
  assert.equal(tensor([1, 2], { dtype: "bf16" }).mul(3).dtype, "bf16");
  const f = tensor([1.5, -2]);
  assertTensor(f.add(1), [2], [2.5, -1]);
  assertTensor(f.sub(0.25), [2], [1.25, -2.25]);
  assertTensor(f.div(4), [2], [0.375, -0.5]);
  assertTensor(f.pow(2), [2], [2.25, 4]);
  assertTensor(f.rsub(1), [2], [-0.5, 3]);
  // i32 stays i32 too.
  assert.equal(tensor([1, 2], { dtype: "i32" }).add(5).dtype, "i32");
});

test("unary maths match JS Math", () => {
  const xs = [-2.5, -1, -0.3, 0.2, 0.7, 1.5, 3];
  const pos = [0.1, 0.5, 1, 2, 9];
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const cases: [string, number[], (t: Tensor) => Tensor, (v: number) => number][] = [
    ["neg", xs, (t) => t.neg(), (v) => -v],
    ["exp", xs, (t) => t.exp(), Math.exp],
    ["expm1", xs, (t) => t.expm1(), Math.expm1],
    ["abs", xs, (t) => t.abs(), Math.abs],
    ["tanh", xs, (t) => t.tanh(), Math.tanh],
    ["sigmoid", xs, (t) => t.sigmoid(), sig],
    ["relu", xs, (t) => t.relu(), (v) => Math.max(0, v)],
    ["silu", xs, (t) => t.silu(), (v) => v * sig(v)],
    ["sin", xs, (t) => t.sin(), Math.sin],
    ["cos", xs, (t) => t.cos(), Math.cos],
    ["square", xs, (t) => t.square(), (v) => v * v],
    ["reciprocal", xs, (t) => t.reciprocal(), (v) => 1 / v],
    ["sign", xs, (t) => t.sign(), Math.sign],
    ["floor", xs, (t) => t.floor(), Math.floor],
    ["ceil", xs, (t) => t.ceil(), Math.ceil],
    ["log", pos, (t) => t.log(), Math.log],
    ["log1p", pos, (t) => t.log1p(), Math.log1p],
    ["sqrt", pos, (t) => t.sqrt(), Math.sqrt],
    ["rsqrt", pos, (t) => t.rsqrt(), (v) => 1 / Math.sqrt(v)],
  ];
  for (const [name, input, op, ref] of cases) {
    assertClose(op(tensor(input, { dtype: "f64" })).toList(), input.map(ref), { atol: 1e-12, rtol: 1e-12 }, name);
    assertClose(op(tensor(input)).toList(), input.map(ref), { atol: 1e-6, rtol: 1e-6 }, `${name} f32`);
  }
  // Rounding is half-to-even (unlike Math.round); erf and gelu against tabulated values.
  assert.deepEqual(tensor([0.5, 1.5, 2.5, -0.5, -1.7]).round().toList(), [0, 2, 2, -0, -2]);
  assertClose(tensor([0, 0.5, 1, -2]).erf().toList(), [0, 0.5204998778, 0.8427007929, -0.995322265], { atol: 1e-6 });
  // gelu(x) = x·Φ(x): Φ(1) = 0.8413447461, Φ(-1) = 0.1586552539.
  assertClose(tensor([1, -1, 0]).gelu().toList(), [0.8413447461, -0.1586552539, 0], { atol: 1e-6 });
  const tanhGelu = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  assertClose(tensor([1, -1, 2]).gelu(true).toList(), [1, -1, 2].map(tanhGelu), { atol: 1e-6 });
  assert.deepEqual(tensor([1, NaN, Infinity]).isnan().toList(), [0, 1, 0]);
  assert.deepEqual(tensor([1, NaN, -Infinity]).isfinite().toList(), [1, 0, 0]);
});

test("rsqrt, silu and sigmoid at hand-computed points", () => {
  assertTensor(tensor([4, 0.25, 100]).rsqrt(), [3], [0.5, 2, 0.1]);
  // sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4; silu(x) = x·sigmoid(x).
  assertTensor(tensor([0, Math.log(3), -Math.log(3)]).sigmoid(), [3], [0.5, 0.75, 0.25]);
  assertTensor(tensor([0, Math.log(3), -Math.log(3)]).silu(), [3], [0, 0.75 * Math.log(3), -0.25 * Math.log(3)]);
});

test("clamp with min only, max only and both", () => {
  const x = a();
  assertTensor(x.clamp(0), [2, 3], [1, 0, 3, 4, 5, 0]);
  assertTensor(x.clamp(undefined, 2), [2, 3], [1, -2, 2, 2, 2, -6]);
  assertTensor(x.clamp(-1, 4.5), [2, 3], [1, -1, 3, 4, 4.5, -1]);
  const i = tensor([-5, 0, 5], { dtype: "i64" }).clamp(-1, 1);
  assert.equal(i.dtype, "i64");
  assert.deepEqual(i.toList(), [-1, 0, 1]);
});

test("maskedFill, where and lerp", () => {
  const x = a();
  const mask = tensor([true, false, true]);
  // The [3] mask broadcasts over rows.
  assertTensor(x.maskedFill(mask, -1), [2, 3], [-1, -2, -1, -1, 5, -1]);
  assertTensor(x.maskedFill(x.lt(0), 0), [2, 3], [1, 0, 3, 4, 5, 0]);
  assertTensor(x.maskedFill(mask, tensor(9)), [2, 3], [9, -2, 9, 9, 5, 9]);
  assertTensor(x.maskedFill(mask, -Infinity), [2, 3], [-Infinity, -2, -Infinity, -Infinity, 5, -Infinity]);

  const y = tensor([
    [10, 20, 30],
    [40, 50, 60],
  ]);
  assertTensor(where(x.gt(2), x, y), [2, 3], [10, 20, 3, 4, 5, 60]);
  assertTensor(where(x.gt(2), x, 0), [2, 3], [0, 0, 3, 4, 5, 0]);
  assertTensor(where(mask, x, tensor([[100], [200]])), [2, 3], [1, 100, 3, 4, 200, -6]);
  assertTensor(tensor([0, 10]).lerp(tensor([10, 20]), 0.25), [2], [2.5, 12.5]);
});

/** A 2×3 and a 3×2 matrix whose products are easy to check by hand. */
function matrices() {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const n = tensor([
    [1, 0],
    [0, 1],
    [2, -1],
  ]);
  return { m, n };
}

test("matmul family: mm, bmm, batched matmul broadcasting, outer", () => {
  const { m, n } = matrices();
  assertTensor(m.matmul(n), [2, 2], [7, -1, 16, -1]);
  assertTensor(m.mm(n), [2, 2], [7, -1, 16, -1]);
  // Matrix-vector.
  assertTensor(m.matmul(tensor([1, 1, 1])), [2], [6, 15]);
  // [2,2,3] @ [3,2] broadcasts the matrix over the batch.
  const batch = tensor([m.toList(), m.mul(-1).toList()].flat(), { shape: [2, 2, 3] });
  assertTensor(batch.matmul(n), [2, 2, 2], [7, -1, 16, -1, -7, 1, -16, 1]);
  assertTensor(
    batch.bmm(tensor([...n.toList(), ...n.toList()], { shape: [2, 3, 2] })),
    [2, 2, 2],
    [7, -1, 16, -1, -7, 1, -16, 1],
  );
  assertTensor(tensor([1, 2]).outer(tensor([3, 4, 5])), [2, 3], [3, 4, 5, 6, 8, 10]);
});

test("mm into an existing output overwrites it in place and returns it", () => {
  const { m, n } = matrices();
  const out = tensor([
    [9, 9],
    [9, 9],
  ]);
  const r = m.mm(n, out);
  assert.equal(r, out);
  assertTensor(out, [2, 2], [7, -1, 16, -1]);
  // A wrongly shaped output is an error, not silently resized.
  assert.throws(
    () => m.mm(n, tensor([1, 2, 3, 4])),
    /mm_out\(f32\[4\], f32\[2,3\], f32\[3,2\]\): out must be \[2, 2\]/,
  );
});

test("einsum: matrix product, transpose-contract and batched dot", () => {
  const { m, n } = matrices();
  assertTensor(einsum("ij,jk->ik", m, n), [2, 2], [7, -1, 16, -1]);
  assertTensor(einsum("ij->ji", m), [3, 2], [1, 4, 2, 5, 3, 6]);
  assertTensor(einsum("ij,ij->i", m, m), [2], [14, 77]);
  assertTensor(einsum("ij->", m), [], [21]);
});
