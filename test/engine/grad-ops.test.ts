/** Autograd gradients of the tensor ops against central finite differences (see gradcheck.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cat,
  crossEntropy,
  embedding,
  int64,
  linear,
  mseLoss,
  nllLoss,
  stack,
  tensor,
  where,
  type Tensor,
} from "../../src/engine/index.js";
import { checkGradient } from "../support/gradcheck.js";
import { pseudoRandom } from "../support/assert-close.js";

/** An f64 tensor of pseudo-random values in [lo, hi). */
function rnd(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    pseudoRandom(n, seed).map((u) => lo + ((u + 1) / 2) * (hi - lo)),
    { shape, dtype: "f64" },
  );
}

test("checkGradient itself fails on a wrong gradient", () => {
  // x·detach(x) has true derivative 2x but autograd sees only x.
  assert.throws(() => checkGradient((x) => x.mul(x.detach()), [rnd([3], 1)]), /gradient mismatch/);
  // A gradient that autograd drops (the exp path is detached, leaving only x·0) is caught too.
  assert.throws(() => checkGradient((x) => x.detach().exp().add(x.mul(0)), [rnd([2], 2)]), /gradient mismatch/);
});

test("unary elementwise ops", () => {
  const any = rnd([2, 3], 3);
  const positive = rnd([2, 3], 4, 0.3, 2);
  // Kinks (relu, abs at 0) are avoided: values are at least 0.2 away from 0.
  const awayFromZero = tensor([-1.2, -0.4, 0.3, 0.8, 1.5, -0.2], { shape: [2, 3], dtype: "f64" });
  const cases: [string, Tensor, (x: Tensor) => Tensor][] = [
    ["neg", any, (x) => x.neg()],
    ["exp", any, (x) => x.exp()],
    ["expm1", any, (x) => x.expm1()],
    ["log", positive, (x) => x.log()],
    ["log1p", positive, (x) => x.log1p()],
    ["sqrt", positive, (x) => x.sqrt()],
    ["rsqrt", positive, (x) => x.rsqrt()],
    ["reciprocal", positive, (x) => x.reciprocal()],
    ["tanh", any, (x) => x.tanh()],
    ["sigmoid", any, (x) => x.sigmoid()],
    ["silu", any, (x) => x.silu()],
    ["gelu", any, (x) => x.gelu()],
    ["gelu tanh", any, (x) => x.gelu(true)],
    ["erf", any, (x) => x.erf()],
    ["relu", awayFromZero, (x) => x.relu()],
    ["abs", awayFromZero, (x) => x.abs()],
    ["sin", any, (x) => x.sin()],
    ["cos", any, (x) => x.cos()],
    ["square", any, (x) => x.square()],
    ["add scalar", any, (x) => x.add(2)],
    ["sub scalar", any, (x) => x.sub(0.5)],
    ["mul scalar", any, (x) => x.mul(-3)],
    ["div scalar", any, (x) => x.div(4)],
    ["rsub scalar", any, (x) => x.rsub(1)],
    ["pow scalar", positive, (x) => x.pow(2.5)],
    ["lerp", any, (x) => x.lerp(x.exp(), 0.3)],
  ];
  for (const [name, x, fn] of cases) {
    assert.doesNotThrow(() => checkGradient(fn, [x]), name);
  }
});

test("binary elementwise ops with broadcasting, both inputs", () => {
  const a = rnd([2, 3], 5);
  const row = rnd([3], 6, 0.5, 1.5);
  const col = rnd([2, 1], 7, 0.5, 1.5);
  const ops: [string, (x: Tensor, y: Tensor) => Tensor][] = [
    ["add", (x, y) => x.add(y)],
    ["sub", (x, y) => x.sub(y)],
    ["mul", (x, y) => x.mul(y)],
    ["div", (x, y) => x.div(y)],
    ["atan2", (x, y) => x.atan2(y)],
    ["maximum", (x, y) => x.maximum(y)],
    ["minimum", (x, y) => x.minimum(y)],
  ];
  for (const [name, op] of ops) {
    for (const [x, y] of [
      [a, row],
      [a, col],
      [col, row],
    ] as const) {
      assert.doesNotThrow(() => checkGradient(op, [x, y]), `${name}(${x.shape}, ${y.shape})`);
    }
  }
  // pow needs positive bases.
  checkGradient((x, y) => x.pow(y), [rnd([2, 3], 8, 0.5, 2), row]);
});

test("matmul, mm, bmm, batched broadcasting matmul, linear, outer", () => {
  checkGradient((x, y) => x.matmul(y), [rnd([2, 3], 9), rnd([3, 4], 10)]);
  checkGradient((x, y) => x.mm(y), [rnd([3, 2], 11), rnd([2, 2], 12)]);
  checkGradient((x, y) => x.matmul(y), [rnd([2, 2, 3], 13), rnd([3, 2], 14)]);
  checkGradient((x, y) => x.matmul(y), [rnd([3], 15), rnd([3, 2], 16)]);
  checkGradient((x, y) => x.bmm(y), [rnd([2, 2, 3], 17), rnd([2, 3, 2], 18)]);
  checkGradient((x, w, b) => linear(x, w, b), [rnd([2, 3], 19), rnd([4, 3], 20), rnd([4], 21)]);
  checkGradient((x, w) => linear(x, w), [rnd([2, 2, 3], 22), rnd([2, 3], 23)]);
  checkGradient((x, y) => x.outer(y), [rnd([2], 24), rnd([3], 25)]);
});

test("reductions: sum, mean, amax, amin, logsumexp, norm, var, cumsum", () => {
  // Distinct values so amax/amin have a unique argmax.
  const x = tensor([0.3, -1.2, 2.1, 0.9, -0.4, 1.7], { shape: [2, 3], dtype: "f64" });
  const fns: [string, (t: Tensor) => Tensor][] = [
    ["sum", (t) => t.sum()],
    ["sum dim", (t) => t.sum(1)],
    ["sum keepdim", (t) => t.sum(0, true)],
    ["mean", (t) => t.mean()],
    ["mean dim", (t) => t.mean(-1, true)],
    ["amax", (t) => t.amax()],
    ["amax dim", (t) => t.amax(1)],
    ["amin dim", (t) => t.amin(0)],
    ["logsumexp", (t) => t.logsumexp()],
    ["logsumexp dim", (t) => t.logsumexp(1, true)],
    ["norm", (t) => t.norm()],
    ["norm dim", (t) => t.norm(2, 1)],
    ["norm 1", (t) => t.norm(1)],
    ["var", (t) => t.var()],
    ["var dim biased", (t) => t.var(1, false, false)],
    ["cumsum", (t) => t.cumsum(1)],
  ];
  for (const [name, fn] of fns) assert.doesNotThrow(() => checkGradient(fn, [x]), name);
});

test("softmax and logSoftmax", () => {
  const x = rnd([3, 4], 26, -2, 2);
  checkGradient((t) => t.softmax(-1), [x]);
  checkGradient((t) => t.softmax(0), [x]);
  checkGradient((t) => t.logSoftmax(1), [x]);
  checkGradient((t) => t.logSoftmax(0), [x]);
});

test("crossEntropy with ignored targets, label smoothing; nllLoss; mseLoss", () => {
  const logits = rnd([5, 4], 27, -2, 2);
  const target = int64([1, -100, 3, 0, -100]);
  checkGradient((l, t) => crossEntropy(l, t), [logits, target]);
  checkGradient((l, t) => crossEntropy(l, t, { reduction: "sum" }), [logits, target]);
  checkGradient((l, t) => crossEntropy(l, t, { reduction: "none" }), [logits, target]);
  checkGradient((l, t) => crossEntropy(l, t, { labelSmoothing: 0.1 }), [logits, target]);
  checkGradient((l, t) => crossEntropy(l, t, { ignoreIndex: 3 }), [logits, int64([1, 2, 3, 0, 3])]);
  // Ignored rows get exactly zero gradient.
  const l = logits.clone().setRequiresGrad();
  crossEntropy(l, target).backward();
  const g = l.grad!.toList();
  assert.deepEqual(g.slice(4, 8), [0, 0, 0, 0]);
  assert.deepEqual(g.slice(16, 20), [0, 0, 0, 0]);
  checkGradient((lp, t) => nllLoss(lp.logSoftmax(1), t), [logits, target]);
  checkGradient((a, b) => mseLoss(a, b), [rnd([2, 3], 28), rnd([2, 3], 29)]);
});

test("gather, indexSelect, embedding (w.r.t. the weight, repeated ids accumulate), scatterAdd, indexAdd", () => {
  const x = rnd([3, 4], 30);
  checkGradient((t, i) => t.gather(1, i), [x, int64([0, 3, 3, 1, 2, 0], [3, 2])]);
  checkGradient((t, i) => t.indexSelect(0, i), [x, int64([2, 0, 2])]);
  checkGradient((w, ids) => embedding(w, ids), [rnd([5, 3], 31), int64([4, 1, 4, 4, 0, 2], [2, 3])]);
  checkGradient((b, s, i) => b.scatterAdd(1, i, s), [rnd([2, 3], 32), rnd([2, 2], 33), int64([0, 0, 2, 1], [2, 2])]);
  checkGradient((b, s, i) => b.indexAdd(0, i, s), [rnd([3, 2], 34), rnd([2, 2], 35), int64([2, 2])]);
  // The embedding gradient of a row used k times is k times the upstream gradient.
  const w = rnd([3, 2], 36).setRequiresGrad();
  embedding(w, int64([1, 1, 1, 2]))
    .sum()
    .backward();
  assert.deepEqual(w.grad!.toList(), [0, 0, 3, 3, 1, 1]);
});

test("shape ops: cat, stack, slice, narrow, select, permute, reshape, view, transpose, expand, repeat, flip, pad, split, chunk", () => {
  const a = rnd([2, 3], 37);
  const b = rnd([1, 3], 38);
  const c = rnd([2, 3, 4], 39);
  checkGradient((x, y) => cat([x, y]), [a, b]);
  checkGradient((x, y) => cat([x, x.mul(y)], 1), [a, b]);
  checkGradient((x, y) => stack([x, y.expand([2, 3])], 1), [a, b]);
  const fns: [string, (t: Tensor) => Tensor][] = [
    ["slice", (t) => t.slice(2, 1, 4)],
    ["slice step", (t) => t.slice(2, 0, 4, 2)],
    ["slice negative", (t) => t.slice(1, -2)],
    ["narrow", (t) => t.narrow(1, 1, 2)],
    ["select", (t) => t.select(0, 1)],
    ["permute", (t) => t.permute(2, 0, 1)],
    ["reshape", (t) => t.reshape([4, 6])],
    ["view", (t) => t.view([6, 4])],
    ["transpose", (t) => t.transpose(0, 2).contiguous()],
    ["unsqueeze+expand", (t) => t.unsqueeze(0).expand([3, 2, 3, 4])],
    ["repeat", (t) => t.repeat([2, 1, 1])],
    ["repeatInterleave", (t) => t.repeatInterleave(2, 1)],
    ["flip", (t) => t.flip([0, 2])],
    ["roll", (t) => t.roll([1], [2])],
    ["pad", (t) => t.pad([1, 2, 0, 1], 0.5)],
    ["tril", (t) => t.tril()],
    ["flatten", (t) => t.flatten(1)],
    [
      "split",
      (t) => {
        const [p, q] = t.split(3, 2);
        return p!.mul(q!.sum(2, true));
      },
    ],
    [
      "chunk",
      (t) => {
        const [p, q] = t.chunk(2, 2);
        return p!.sub(q!.mul(2));
      },
    ],
  ];
  for (const [name, fn] of fns) assert.doesNotThrow(() => checkGradient(fn, [c]), name);
  checkGradient((x) => x.unsqueeze(1).squeeze(1), [a]);
});

test("maskedFill, where (both branches) and clamp", () => {
  const x = tensor([-1.5, -0.3, 0.4, 1.2, 2.6, -2.2], { shape: [2, 3], dtype: "f64" });
  const mask = tensor([true, false, true]);
  checkGradient((t) => t.maskedFill(mask, -7), [x]);
  checkGradient((t, v) => t.maskedFill(mask, v), [x, tensor(0.5, { dtype: "f64" })]);
  checkGradient((t, u) => where(t.gt(0), t, u), [x, rnd([2, 3], 40)]);
  checkGradient((t, u) => where(mask, t.exp(), u), [x, rnd([3], 41)]);
  checkGradient((t) => where(mask, t, 3), [x]);
  // Values are away from the clamp bounds, where the derivative jumps.
  checkGradient((t) => t.clamp(-1, 1), [x]);
  checkGradient((t) => t.clamp(0), [x]);
  checkGradient((t) => t.clamp(undefined, 1), [x]);
});
