/** Reductions over all / some dims with keepdim, softmax family, and losses computed by hand. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { crossEntropy, mseLoss, nllLoss, tensor, type Tensor } from "../../src/engine/index.js";
import { assertClose, assertTensor } from "../support/assert-close.js";

// x = [[1, 2, 3], [4, 5, 9]]
const x = (): Tensor =>
  tensor(
    [
      [1, 2, 3],
      [4, 5, 9],
    ],
    { dtype: "f64" },
  );

test("sum, mean, amax, amin over all dims, one dim, negative dims and several dims, with keepdim", () => {
  assertTensor(x().sum(), [], [24]);
  assertTensor(x().sum(0), [3], [5, 7, 12]);
  assertTensor(x().sum(-1), [2], [6, 18]);
  assertTensor(x().sum(1, true), [2, 1], [6, 18]);
  assertTensor(x().sum([0, 1]), [], [24]);
  assertTensor(x().sum(undefined, true), [1, 1], [24]);
  assertTensor(x().mean(), [], [4]);
  assertTensor(x().mean(0), [3], [2.5, 3.5, 6]);
  assertTensor(x().mean(1, true), [2, 1], [2, 6]);
  assertTensor(x().mean(undefined, true), [1, 1], [4]);
  assertTensor(x().amax(), [], [9]);
  assertTensor(x().amax(0), [3], [4, 5, 9]);
  assertTensor(x().amax(1, true), [2, 1], [3, 9]);
  assertTensor(x().amax(undefined, true), [1, 1], [9]);
  assertTensor(x().amin(), [], [1]);
  assertTensor(x().amin(-1), [2], [1, 4]);
  // A 3-D tensor reduced over its first and last dims.
  const c = tensor([1, 2, 3, 4, 5, 6, 7, 8], { shape: [2, 2, 2] });
  assertTensor(c.sum([0, 2]), [2], [1 + 2 + 5 + 6, 3 + 4 + 7 + 8]);
  assertTensor(c.sum([0, -1], true), [1, 2, 1], [14, 22]);
});

test("logsumexp, var and norm", () => {
  const lse = (xs: number[]): number => Math.log(xs.reduce((s, v) => s + Math.exp(v), 0));
  assertTensor(x().logsumexp(), [], [lse([1, 2, 3, 4, 5, 9])], { atol: 1e-12 });
  assertTensor(x().logsumexp(1), [2], [lse([1, 2, 3]), lse([4, 5, 9])], { atol: 1e-12 });
  assertTensor(x().logsumexp(0, true), [1, 3], [lse([1, 4]), lse([2, 5]), lse([3, 9])], { atol: 1e-12 });
  assertTensor(x().logsumexp(undefined, true), [1, 1], [lse([1, 2, 3, 4, 5, 9])], { atol: 1e-12 });
  // Sample variance (n-1) by default: row 0 mean 2 → (1+0+1)/2 = 1; row 1 mean 6 → (4+1+9)/2 = 7.
  assertTensor(x().var(1), [2], [1, 7]);
  assertTensor(x().var(1, true, false), [2, 1], [2 / 3, 14 / 3]);
  // All elements: mean 4, squared deviations 9+4+1+0+1+25 = 40 → 40/5 = 8 (unbiased), 40/6 (biased).
  assertTensor(x().var(), [], [8]);
  assertTensor(x().var(undefined, false, false), [], [40 / 6]);
  assertTensor(x().var(undefined, true), [1, 1], [8]);
  assertTensor(x().norm(), [], [Math.sqrt(1 + 4 + 9 + 16 + 25 + 81)]);
  assertTensor(x().norm(1), [], [24]);
  assertTensor(x().norm(2, 1), [2], [Math.sqrt(14), Math.sqrt(122)]);
  assertTensor(x().norm(Infinity, 0, true), [1, 3], [4, 5, 9]);
  assertTensor(x().norm(2, undefined, true), [1, 1], [Math.sqrt(136)]);
});

test("argmax/argmin, max/min along a dim, all/any, cumsum", () => {
  assert.deepEqual(x().argmax().toList(), [5]);
  assert.deepEqual(x().argmax(1).toList(), [2, 2]);
  assert.deepEqual([...x().argmax(0, true).shape], [1, 3]);
  assert.deepEqual(x().argmin(1).toList(), [0, 0]);
  assert.equal(x().argmax(1).dtype, "i64");
  const { values, indices } = tensor([
    [3, 7, 1],
    [8, 2, 8],
  ]).max(1);
  assert.deepEqual(values.toList(), [7, 8]);
  assert.deepEqual(indices.toList()[0], 1);
  const mn = x().min(0, true);
  assertTensor(mn.values, [1, 3], [1, 2, 3]);
  assert.deepEqual(mn.indices.toList(), [0, 0, 0]);
  assert.equal(tensor([true, true]).all().item(), 1);
  assert.equal(tensor([true, false]).all().item(), 0);
  assert.equal(tensor([false, true]).any().item(), 1);
  assertTensor(x().cumsum(1), [2, 3], [1, 3, 6, 4, 9, 18]);
  assertTensor(x().cumsum(0), [2, 3], [1, 2, 3, 5, 7, 12]);
});

test("softmax and logSoftmax along each dim", () => {
  const soft = (xs: number[]): number[] => {
    const m = Math.max(...xs);
    const e = xs.map((v) => Math.exp(v - m));
    const s = e.reduce((p, q) => p + q, 0);
    return e.map((v) => v / s);
  };
  assertTensor(x().softmax(1), [2, 3], [...soft([1, 2, 3]), ...soft([4, 5, 9])], { atol: 1e-12 });
  assertTensor(x().softmax(-1), [2, 3], [...soft([1, 2, 3]), ...soft([4, 5, 9])], { atol: 1e-12 });
  const cols = [soft([1, 4]), soft([2, 5]), soft([3, 9])];
  assertTensor(
    x().softmax(0),
    [2, 3],
    [cols[0]![0]!, cols[1]![0]!, cols[2]![0]!, cols[0]![1]!, cols[1]![1]!, cols[2]![1]!],
    {
      atol: 1e-12,
    },
  );
  assertTensor(x().logSoftmax(1), [2, 3], [...soft([1, 2, 3]), ...soft([4, 5, 9])].map(Math.log), { atol: 1e-12 });
  // Large logits must not overflow: softmax([1000, 1000]) = [0.5, 0.5].
  assertTensor(tensor([1000, 1000, -1000]).softmax(0), [3], [0.5, 0.5, 0]);
  assertTensor(tensor([1000, 1000]).logSoftmax(0), [2], [-Math.LN2, -Math.LN2]);
  // A softmax of bf16 logits can accumulate and return f32.
  assert.equal(tensor([1, 2], { dtype: "bf16" }).softmax(0, "f32").dtype, "f32");
});

test("crossEntropy with an ignored target, by hand", () => {
  const rows = [
    [2, 1, 0],
    [0, 0, 0],
    [1, 3, -1],
    [0.5, -0.5, 2],
  ];
  const target = [0, 2, -100, 1];
  const logits = tensor(rows, { dtype: "f64" });
  const t = tensor(target, { dtype: "i64" });
  // -log softmax(row)[target] for each non-ignored row.
  const nll = rows.map((r, i) => {
    const lse = Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    return target[i] === -100 ? 0 : lse - r[target[i]!]!;
  });
  const kept = nll.filter((_, i) => target[i] !== -100);
  const mean = kept.reduce((s, v) => s + v, 0) / kept.length;
  assertTensor(crossEntropy(logits, t), [], [mean], { atol: 1e-12 });
  assertTensor(crossEntropy(logits, t, { reduction: "sum" }), [], [mean * 3], { atol: 1e-12 });
  assertTensor(crossEntropy(logits, t, { reduction: "none" }), [4], nll, { atol: 1e-12 });
  // A custom ignore index: now -100 is an out-of-range class and must be rejected, 2 is ignored.
  assert.throws(() => crossEntropy(logits, t, { ignoreIndex: 2 }), /cross_entropy\(f64\[4,3\], i64\[4\]/);
  const t2 = tensor([0, 2, 2, 1], { dtype: "i64" });
  const kept2 = [nll[0]!, nll[3]!];
  assertTensor(crossEntropy(logits, t2, { ignoreIndex: 2 }), [], [(kept2[0]! + kept2[1]!) / 2], { atol: 1e-12 });
  // Label smoothing ε: (1-ε)·nll + ε·mean_c(-log p_c), averaged over rows.
  const eps = 0.1;
  const smooth = rows.map((r, i) => {
    const lse = Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const uniform = r.reduce((s, v) => s + (lse - v), 0) / r.length;
    return (1 - eps) * (lse - r[t2.toList()[i]!]!) + eps * uniform;
  });
  assertTensor(
    crossEntropy(logits, t2, { ignoreIndex: 2, labelSmoothing: eps, reduction: "none" }),
    [4],
    smooth.map((v, i) => (i === 1 || i === 2 ? 0 : v)),
    { atol: 1e-12 },
  );
  // nllLoss on log-probabilities equals crossEntropy on logits.
  assertTensor(nllLoss(logits.logSoftmax(1), t), [], [mean], { atol: 1e-12 });
});

test("mseLoss", () => {
  const p = tensor([1, 2, 3]);
  const q = tensor([1, 0, 6]);
  assertTensor(mseLoss(p, q), [], [(0 + 4 + 9) / 3]);
  assertTensor(mseLoss(p, q, "sum"), [], [13]);
  assertTensor(mseLoss(p, q, "none"), [3], [0, 4, 9]);
  assert.throws(() => mseLoss(p, q, "median" as "sum"), /mse_loss.*reduction must be mean, sum or none/);
});

test("reductions keep integer sums integer and average in float", () => {
  const i = tensor([1, 2, 4], { dtype: "i64" });
  assert.equal(i.sum().dtype, "i64");
  assert.equal(i.sum().item(), 7);
  assertClose(i.float().mean().toList(), [7 / 3]);
});
