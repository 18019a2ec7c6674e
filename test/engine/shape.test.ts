/** Shape ops: joins, slices, views, permutations, splits, flips, triangles, padding, repeats. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { arange, cat, stack, tensor, type Tensor } from "../../src/engine/index.js";
import { assertTensor } from "../support/assert-close.js";

/** [[0,1,2,3],[4,5,6,7],[8,9,10,11]] as f32. */
const grid = (): Tensor => arange(12, undefined, 1, { dtype: "f32" }).reshape([3, 4]);

test("cat and stack", () => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor([[5, 6]]);
  assertTensor(cat([a, b]), [3, 2], [1, 2, 3, 4, 5, 6]);
  assertTensor(cat([a, a], 1), [2, 4], [1, 2, 1, 2, 3, 4, 3, 4]);
  assertTensor(cat([a, a], -1), [2, 4], [1, 2, 1, 2, 3, 4, 3, 4]);
  assertTensor(stack([a, a.neg()]), [2, 2, 2], [1, 2, 3, 4, -1, -2, -3, -4]);
  assertTensor(stack([a, a.neg()], 2), [2, 2, 2], [1, -1, 2, -2, 3, -3, 4, -4]);
  assert.throws(() => stack([a, b]), /^Error: stack\(\[f32\[2,2\],f32\[1,2\]\], 0\): /);
});

test("slice with negative bounds and steps, narrow, select", () => {
  const g = grid();
  assertTensor(g.slice(1, 1, 3), [3, 2], [1, 2, 5, 6, 9, 10]);
  assertTensor(g.slice(1, -2), [3, 2], [2, 3, 6, 7, 10, 11]);
  assertTensor(g.slice(0, undefined, -1), [2, 4], [0, 1, 2, 3, 4, 5, 6, 7]);
  assertTensor(g.slice(1, 0, 4, 2), [3, 2], [0, 2, 4, 6, 8, 10]);
  assertTensor(g.slice(0, 5, 9), [0, 4], []);
  assertTensor(g.narrow(0, 1, 2), [2, 4], [4, 5, 6, 7, 8, 9, 10, 11]);
  assertTensor(g.select(1, -1), [3], [3, 7, 11]);
  assertTensor(g.select(0, 2), [4], [8, 9, 10, 11]);
});

test("view and reshape share or copy; permute, transpose and contiguous", () => {
  const g = grid();
  assertTensor(g.view([2, 6]), [2, 6], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assertTensor(g.view([-1, 3]), [4, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const t = g.transpose(0, 1);
  assertTensor(t, [4, 3], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  // A transposed tensor cannot be viewed flat, only reshaped (copy) or made contiguous first.
  assert.throws(() => t.view([12]), /^Error: view\(f32\[4,3\], \[12\]\): view size is not compatible/);
  assertTensor(t.reshape([12]), [12], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assertTensor(t.contiguous().view([2, 6]), [2, 6], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  const c = arange(24, undefined, 1, { dtype: "f32" }).reshape([2, 3, 4]);
  const p = c.permute(2, 0, 1);
  assert.deepEqual([...p.shape], [4, 2, 3]);
  // p[k][i][j] = c[i][j][k] = 12i + 4j + k
  const expected: number[] = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(12 * i + 4 * j + k);
  assertTensor(p, [4, 2, 3], expected);
  assertTensor(c.transpose(-1, -2).select(0, 1).select(0, 3), [3], [15, 19, 23]);
  // Views alias their base: an in-place write through the base shows in the view.
  const base = tensor([1, 2, 3, 4]);
  const v = base.view([2, 2]);
  base.fill_(7);
  assert.deepEqual(v.toList(), [7, 7, 7, 7]);
});

test("unsqueeze, squeeze, expand, repeat, repeatInterleave, flatten", () => {
  const x = tensor([1, 2]);
  assert.deepEqual([...x.unsqueeze(0).shape], [1, 2]);
  assert.deepEqual([...x.unsqueeze(-1).shape], [2, 1]);
  assert.deepEqual([...tensor([[[5]], [[6]]]).squeeze().shape], [2]);
  assert.deepEqual([...tensor([[[5]], [[6]]]).squeeze(1).shape], [2, 1]);
  assertTensor(x.unsqueeze(0).expand([3, 2]), [3, 2], [1, 2, 1, 2, 1, 2]);
  assertTensor(x.unsqueeze(1).expand([2, -1]), [2, 1], [1, 2]);
  assertTensor(x.repeat([2, 2]), [2, 4], [1, 2, 1, 2, 1, 2, 1, 2]);
  assertTensor(x.repeatInterleave(3, 0), [6], [1, 1, 1, 2, 2, 2]);
  const c = arange(8, undefined, 1, { dtype: "f32" }).reshape([2, 2, 2]);
  assert.deepEqual([...c.flatten().shape], [8]);
  assert.deepEqual([...c.flatten(1).shape], [2, 4]);
  assert.deepEqual([...c.flatten(0, 1).shape], [4, 2]);
});

test("split and chunk (uneven last piece)", () => {
  const x = arange(7, undefined, 1, { dtype: "f32" });
  const s = x.split(3);
  assert.deepEqual(
    s.map((t) => t.toList()),
    [[0, 1, 2], [3, 4, 5], [6]],
  );
  const c = x.chunk(2);
  assert.deepEqual(
    c.map((t) => t.toList()),
    [
      [0, 1, 2, 3],
      [4, 5, 6],
    ],
  );
  const cols = grid().chunk(2, 1);
  assertTensor(cols[1]!, [3, 2], [2, 3, 6, 7, 10, 11]);
  assertTensor(grid().split(3, 1)[1]!, [3, 1], [3, 7, 11]);
});

test("flip, roll, tril, triu", () => {
  const g = grid();
  assertTensor(g.flip(1), [3, 4], [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]);
  assertTensor(g.flip([0, 1]), [3, 4], [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assertTensor(tensor([1, 2, 3, 4]).roll([1], [0]), [4], [4, 1, 2, 3]);
  const ones = tensor([
    [1, 1, 1],
    [1, 1, 1],
    [1, 1, 1],
  ]);
  assertTensor(ones.tril(), [3, 3], [1, 0, 0, 1, 1, 0, 1, 1, 1]);
  assertTensor(ones.tril(-1), [3, 3], [0, 0, 0, 1, 0, 0, 1, 1, 0]);
  assertTensor(ones.triu(1), [3, 3], [0, 1, 1, 0, 0, 1, 0, 0, 0]);
  // Non-square: tril keeps j <= i + k.
  assertTensor(g.tril(1), [3, 4], [0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11]);
});

test("pad: last dim first, negative pads crop, custom value", () => {
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);
  assertTensor(x.pad([1, 0]), [2, 3], [0, 1, 2, 0, 3, 4]);
  assertTensor(x.pad([0, 1, 1, 0], -1), [3, 3], [-1, -1, -1, 1, 2, -1, 3, 4, -1]);
  assertTensor(x.pad([-1, 0]), [2, 1], [2, 4]);
  // Left-padding token ids with a pad id keeps the integer dtype.
  const ids = tensor([5, 6], { dtype: "i64" }).pad([2, 0], 9);
  assert.equal(ids.dtype, "i64");
  assert.deepEqual(ids.toList(), [9, 9, 5, 6]);
});
