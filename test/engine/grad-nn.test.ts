/** Gradients of the model building blocks (RMSNorm, rotary, attention) against finite differences. */
import { test } from "node:test";
import {
  applyRotary,
  crossEntropy,
  int64,
  linear,
  rmsNorm,
  scaledDotProductAttention,
  tensor,
} from "../../src/engine/index.js";
import { checkGradient } from "../support/gradcheck.js";
import { randomF64 as rnd } from "../support/assert-close.js";

test("rmsNorm w.r.t. the input and the weight", () => {
  checkGradient((x, w) => rmsNorm(x, w, 1e-6), [rnd([2, 3, 4], 1), rnd([4], 2)]);
});

test("applyRotary w.r.t. x, cos and sin", () => {
  // HF layout: [T, D] with the half-dim angles repeated twice.
  const angles = rnd([3, 2], 3, 2).repeat([1, 2]);
  const cos = angles.cos();
  const sin = angles.sin();
  checkGradient((x) => applyRotary(x, cos, sin), [rnd([1, 2, 3, 4], 4)]);
  checkGradient((x, c, s) => applyRotary(x, c, s), [rnd([2, 3, 4], 5), cos, sin]);
});

test("scaledDotProductAttention w.r.t. q, k and v: plain, causal, boolean mask, additive mask", () => {
  const [B, H, T, D] = [1, 2, 3, 4];
  const q = rnd([B, H, T, D], 6);
  const k = rnd([B, H, T, D], 7);
  const v = rnd([B, H, T, D], 8);
  checkGradient((a, b, c) => scaledDotProductAttention(a, b, c), [q, k, v]);
  checkGradient((a, b, c) => scaledDotProductAttention(a, b, c, { causal: true }), [q, k, v]);
  const mask = tensor([true, false, true]);
  checkGradient((a, b, c) => scaledDotProductAttention(a, b, c, { mask }), [q, k, v]);
  checkGradient((a, b, c) => scaledDotProductAttention(a, b, c, { mask, causal: true, scale: 0.3 }), [q, k, v]);
  // With an additive mask the mask itself is differentiated too (a learned bias would be).
  checkGradient((a, b, c, m) => scaledDotProductAttention(a, b, c, { mask: m }), [q, k, v, rnd([T, T], 9)]);
  // Fewer queries than keys (decoding against a cache).
  checkGradient(
    (a, b, c) => scaledDotProductAttention(a, b, c, { causal: true }),
    [rnd([1, 1, 2, 4], 10), rnd([1, 1, 5, 4], 11), rnd([1, 1, 5, 4], 12)],
  );
});

test("a small composite: linear → silu → linear → crossEntropy, w.r.t. every parameter", () => {
  checkGradient(
    (x, w1, b1, w2, t) => crossEntropy(linear(linear(x, w1, b1).silu(), w2), t),
    [rnd([4, 3], 13), rnd([5, 3], 14), rnd([5], 15), rnd([6, 5], 16), int64([0, 5, -100, 2])],
  );
});
