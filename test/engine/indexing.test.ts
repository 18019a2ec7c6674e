/** Index ops (gather, index_select, embedding, scatter family, masks) and sorting (topk, sort). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { embedding, int64, tensor, type Tensor } from "../../src/engine/index.js";
import { assertTensor } from "../support/assert-close.js";

const m = (): Tensor =>
  tensor([
    [10, 11, 12],
    [20, 21, 22],
    [30, 31, 32],
  ]);

test("gather picks along a dim per index position", () => {
  // out[i][j] = m[i][idx[i][j]]
  assertTensor(m().gather(1, int64([2, 0, 1, 1, 0, 0], [3, 2])), [3, 2], [12, 10, 21, 21, 30, 30]);
  // out[i][j] = m[idx[i][j]][j]
  assertTensor(m().gather(0, int64([2, 0, 1], [1, 3])), [1, 3], [30, 11, 22]);
  // The language-model use: log-prob of each target token, [B,T,V] gathered with [B,T,1].
  const logp = tensor([0.1, 0.2, 0.7, 0.5, 0.25, 0.25], { shape: [1, 2, 3] });
  assertTensor(logp.gather(-1, int64([2, 0], [1, 2, 1])), [1, 2, 1], [0.7, 0.5]);
});

test("indexSelect and embedding take whole rows, repeating and reordering", () => {
  assertTensor(m().indexSelect(0, int64([2, 0, 2])), [3, 3], [30, 31, 32, 10, 11, 12, 30, 31, 32]);
  assertTensor(m().indexSelect(1, int64([1])), [3, 1], [11, 21, 31]);
  // i32 indices work too.
  assertTensor(m().indexSelect(0, tensor([1], { dtype: "i32" })), [1, 3], [20, 21, 22]);
  const table = tensor([
    [0, 0.5],
    [1, 1.5],
    [2, 2.5],
  ]);
  assertTensor(embedding(table, int64([2, 2, 0, 1], [2, 2])), [2, 2, 2], [2, 2.5, 2, 2.5, 0, 0.5, 1, 1.5]);
});

test("scatter, scatterAdd and indexAdd write into a copy", () => {
  const base = tensor([
    [0, 0, 0],
    [0, 0, 0],
  ]);
  const src = tensor([
    [1, 2],
    [3, 4],
  ]);
  // out[i][idx[i][j]] = src[i][j]
  assertTensor(base.scatter(1, int64([2, 0, 1, 2], [2, 2]), src), [2, 3], [2, 0, 1, 0, 3, 4]);
  // Duplicate indices accumulate with scatterAdd.
  assertTensor(base.scatterAdd(1, int64([1, 1, 0, 0], [2, 2]), src), [2, 3], [0, 3, 0, 7, 0, 0]);
  assertTensor(base.indexAdd(1, int64([2, 2]), src), [2, 3], [0, 0, 3, 0, 0, 7]);
  // The input is untouched (out-of-place).
  assert.deepEqual(base.toList(), [0, 0, 0, 0, 0, 0]);
});

test("maskedSelect and nonzero", () => {
  const x = m();
  assertTensor(x.maskedSelect(x.gt(20).logicalAnd(x.lt(31))), [3], [21, 22, 30]);
  const nz = tensor([
    [0, 1],
    [2, 0],
  ]).nonzero();
  assert.deepEqual([...nz.shape], [2, 2]);
  assert.deepEqual(nz.toList(), [0, 1, 1, 0]);
});

test("topk: largest and smallest, along a chosen dim", () => {
  const x = tensor([
    [1, 9, 3, 7],
    [8, 2, 6, 4],
  ]);
  const big = x.topk(2);
  assertTensor(big.values, [2, 2], [9, 7, 8, 6]);
  assert.deepEqual(big.indices.toList(), [1, 3, 0, 2]);
  assert.equal(big.indices.dtype, "i64");
  const small = x.topk(1, -1, false);
  assertTensor(small.values, [2, 1], [1, 2]);
  assert.deepEqual(small.indices.toList(), [0, 1]);
  const col = x.topk(1, 0);
  assertTensor(col.values, [1, 4], [8, 9, 6, 7]);
  assert.deepEqual(col.indices.toList(), [1, 0, 1, 0]);
});

test("sort: ascending, descending, stable with ties", () => {
  const x = tensor([3, 1, 2, 1, 3]);
  const up = x.sort();
  assert.deepEqual(up.values.toList(), [1, 1, 2, 3, 3]);
  // Stable: equal keys keep their original order.
  assert.deepEqual(up.indices.toList(), [1, 3, 2, 0, 4]);
  const down = x.sort(-1, true);
  assert.deepEqual(down.values.toList(), [3, 3, 2, 1, 1]);
  assert.deepEqual(down.indices.toList(), [0, 4, 2, 1, 3]);
  const rows = tensor([
    [2, 1],
    [0, 5],
  ]).sort(0);
  assert.deepEqual(rows.values.toList(), [0, 1, 2, 5]);
  assert.deepEqual(rows.indices.toList(), [1, 0, 0, 1]);
});
