/**
 * The ops the sequential-recommendation baselines need (layer norm, 2-D convolution, GRU, binary
 * cross-entropy on logits, seeded dropout, Adam): each against a by-hand computation
 * and, where it has a gradient, against finite differences.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Generator,
  adam,
  bceWithLogits,
  conv2d,
  dropout,
  full,
  gru,
  layerNorm,
  tensor,
  zeros,
  type Tensor,
} from "../../src/engine/index.js";
import { checkGradient } from "../support/gradcheck.js";
import { assertClose, assertTensor, randomF64 as rnd } from "../support/assert-close.js";

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

test("layerNorm: (x - mean) / sqrt(var + eps) · w + b over the last dim, biased variance", () => {
  const rows = [
    [1, 2, 4],
    [-3, 0, 3],
  ];
  const w = [0.5, 1, 2];
  const b = [0.1, -0.2, 0.3];
  const eps = 1e-8;
  const expected = rows.flatMap((r) => {
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    const variance = r.reduce((s, v) => s + (v - mean) ** 2, 0) / r.length;
    return r.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * w[i]! + b[i]!);
  });
  const x = tensor(rows.flat(), { shape: [2, 3], dtype: "f64" });
  const out = layerNorm(x, [3], tensor(w, { dtype: "f64" }), tensor(b, { dtype: "f64" }), eps);
  assertTensor(out, [2, 3], expected, { atol: 1e-12 });
  // Without affine parameters: mean 0, (biased) variance 1 per row.
  const plain = layerNorm(x, [3], null, null, eps);
  assertClose(plain.mean(-1).toList(), [0, 0], { atol: 1e-12 });
  assertClose(plain.var(-1, false, false).toList(), [1, 1], { atol: 1e-6 });
});

test("layerNorm gradient w.r.t. input, weight and bias", () => {
  checkGradient((x, w, b) => layerNorm(x, [4], w, b, 1e-5), [rnd([2, 3, 4], 1), rnd([4], 2), rnd([4], 3)]);
});

/**
 * Direct-sum convolution with zero padding p, stride s and dilation t:
 * out[b,o,i,j] = bias[o] + Σ x[b, c, i·s₀ + di·t₀ − p₀, j·s₁ + dj·t₁ − p₁] · w[o,c,di,dj] (x = 0 outside).
 */
function naiveConv2d(
  x: number[],
  xs: number[],
  w: number[],
  ws: number[],
  bias: number[] | null,
  { stride = [1, 1], padding = [0, 0], dilation = [1, 1] } = {},
): number[] {
  const [B, C, H, W] = xs as [number, number, number, number];
  const [O, , KH, KW] = ws as [number, number, number, number];
  const OH = Math.floor((H + 2 * padding[0]! - dilation[0]! * (KH - 1) - 1) / stride[0]!) + 1;
  const OW = Math.floor((W + 2 * padding[1]! - dilation[1]! * (KW - 1) - 1) / stride[1]!) + 1;
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let s = bias ? bias[o]! : 0;
          for (let c = 0; c < C; c++)
            for (let di = 0; di < KH; di++)
              for (let dj = 0; dj < KW; dj++) {
                const r = i * stride[0]! + di * dilation[0]! - padding[0]!;
                const q = j * stride[1]! + dj * dilation[1]! - padding[1]!;
                if (r < 0 || r >= H || q < 0 || q >= W) continue;
                s += x[((b * C + c) * H + r) * W + q]! * w[((o * C + c) * KH + di) * KW + dj]!;
              }
          out.push(s);
        }
  return out;
}

test("conv2d: Caser's horizontal (h × d) and vertical (L × 1) filters against a direct sum", () => {
  const [B, L, d] = [2, 4, 3];
  const x = rnd([B, 1, L, d], 4);
  for (const [O, KH, KW] of [
    [3, 2, d],
    [2, L, 1],
    [2, 1, 1],
  ] as const) {
    const w = rnd([O, 1, KH, KW], 5 + KH);
    const bias = rnd([O], 6);
    const expected = naiveConv2d(x.toList(), [...x.shape], w.toList(), [...w.shape], bias.toList());
    assertTensor(conv2d(x, w, bias), [B, O, L - KH + 1, d - KW + 1], expected, { atol: 1e-12 });
  }
});

test("conv2d: several channels with stride, padding and dilation against a direct sum", () => {
  const x = rnd([2, 2, 6, 7], 7);
  const w = rnd([3, 2, 3, 2], 8);
  const bias = rnd([3], 9);
  // Output sizes by hand: ⌊(6 + 2p₀ − t₀·2 − 1) / s₀⌋ + 1 by ⌊(7 + 2p₁ − t₁·1 − 1) / s₁⌋ + 1.
  for (const [opts, size] of [
    [{ stride: [2, 2], padding: [1, 1] }, [3, 4]],
    [{ stride: [1, 3], padding: [2, 0], dilation: [2, 1] }, [6, 2]],
    [{ dilation: [1, 3] }, [4, 4]],
  ] as [{ stride?: [number, number]; padding?: [number, number]; dilation?: [number, number] }, number[]][]) {
    const expected = naiveConv2d(x.toList(), [...x.shape], w.toList(), [...w.shape], bias.toList(), opts);
    assertTensor(conv2d(x, w, bias, opts), [2, 3, ...size], expected, { atol: 1e-12 });
  }
  assert.throws(() => conv2d(rnd([1, 1, 2, 2], 10), rnd([1, 1, 3, 3], 11)), /conv2d/);
});

test("conv2d gradient w.r.t. input, weight and bias", () => {
  checkGradient((x, w, b) => conv2d(x, w, b), [rnd([2, 1, 3, 4], 9), rnd([2, 1, 2, 4], 10), rnd([2], 11)]);
  checkGradient((x, w) => conv2d(x, w), [rnd([1, 1, 3, 4], 12), rnd([3, 1, 3, 1], 13)]);
  checkGradient(
    (x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: [1, 1], dilation: [1, 2] }),
    [rnd([2, 2, 5, 5], 14), rnd([2, 2, 2, 2], 15), rnd([2], 16)],
  );
});

/**
 * PyTorch's GRU cell written out: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(…z…),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 - z) ⊙ n + z ⊙ h; gate rows in r, z, n order.
 */
function naiveGru(x: number[][][], h0: number[][], wih: number[][], whh: number[][], bih: number[], bhh: number[]) {
  const H = h0[0]!.length;
  const dot = (row: number[], v: number[]) => row.reduce((s, a, i) => s + a * v[i]!, 0);
  const outputs: number[][][] = [];
  const last: number[][] = [];
  x.forEach((seq, b) => {
    let h = h0[b]!.slice();
    const out: number[][] = [];
    for (const xt of seq) {
      const gi = wih.map((row, k) => dot(row, xt) + bih[k]!);
      const gh = whh.map((row, k) => dot(row, h) + bhh[k]!);
      const next: number[] = [];
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gi[j]! + gh[j]!);
        const z = sigmoid(gi[H + j]! + gh[H + j]!);
        const n = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
        next.push((1 - z) * n + z * h[j]!);
      }
      h = next;
      out.push(h);
    }
    outputs.push(out);
    last.push(h);
  });
  return { outputs, last };
}

function nested(t: Tensor): number[][] | number[][][] {
  const v = t.toList();
  const s = t.shape;
  if (s.length === 2) return Array.from({ length: s[0]! }, (_, i) => v.slice(i * s[1]!, (i + 1) * s[1]!));
  return Array.from({ length: s[0]! }, (_, i) =>
    Array.from({ length: s[1]! }, (_, j) => v.slice((i * s[1]! + j) * s[2]!, (i * s[1]! + j + 1) * s[2]!)),
  );
}

test("gru: one layer, batch first, against the gate equations written out", () => {
  const [B, T, I, H] = [2, 3, 4, 3];
  const x = rnd([B, T, I], 14);
  const h0 = rnd([1, B, H], 15, 0.5);
  const wih = rnd([3 * H, I], 16);
  const whh = rnd([3 * H, H], 17);
  const bih = rnd([3 * H], 18);
  const bhh = rnd([3 * H], 19);
  const { output, hidden } = gru(x, h0, [wih, whh, bih, bhh]);
  const ref = naiveGru(
    nested(x) as number[][][],
    nested(h0.squeeze(0)) as number[][],
    nested(wih) as number[][],
    nested(whh) as number[][],
    bih.toList(),
    bhh.toList(),
  );
  assertTensor(output, [B, T, H], ref.outputs.flat(2), { atol: 1e-12 });
  assertTensor(hidden, [1, B, H], ref.last.flat(), { atol: 1e-12 });
});

test("gru: two layers feed the first layer's outputs to the second; no-bias form; wrong weight count", () => {
  const [B, T, I, H] = [1, 2, 3, 2];
  const x = rnd([B, T, I], 20);
  const w = [rnd([3 * H, I], 21), rnd([3 * H, H], 22), rnd([3 * H, H], 23), rnd([3 * H, H], 24)];
  const h0 = zeros([2, B, H], { dtype: "f64" });
  const two = gru(x, h0, w, { layers: 2 });
  const first = gru(x, h0.narrow(0, 0, 1), w.slice(0, 2));
  const second = gru(first.output, h0.narrow(0, 1, 1), w.slice(2, 4));
  assertClose(two.output.toList(), second.output.toList(), { atol: 1e-12 });
  assertClose(two.hidden.toList(), [...first.hidden.toList(), ...second.hidden.toList()], { atol: 1e-12 });
  assert.throws(() => gru(x, h0, w.slice(0, 3), { layers: 2 }), /gru\(.*takes 4 or 8 weight tensors.*got 3/);
});

test("gru gradient w.r.t. input, initial state and every weight", () => {
  const [B, T, I, H] = [2, 3, 2, 2];
  checkGradient(
    (x, h0, wih, whh, bih, bhh) => gru(x, h0, [wih, whh, bih, bhh]).output,
    [
      rnd([B, T, I], 25),
      rnd([1, B, H], 26),
      rnd([3 * H, I], 27),
      rnd([3 * H, H], 28),
      rnd([3 * H], 29),
      rnd([3 * H], 30),
    ],
  );
  checkGradient(
    (x, wih, whh) => gru(x, zeros([1, 1, H], { dtype: "f64" }), [wih, whh]).hidden,
    [rnd([1, T, I], 31), rnd([3 * H, I], 32), rnd([3 * H, H], 33)],
  );
});

test("bceWithLogits: -[t·log σ(x) + (1-t)·log(1-σ(x))], stable at large logits, reductions and weights", () => {
  const logits = [2, -1, 0, 30, -30];
  const targets = [1, 0, 1, 0, 1];
  const each = logits.map(
    (x, i) => -(targets[i]! * Math.log(sigmoid(x)) + (1 - targets[i]!) * Math.log(1 - sigmoid(x))),
  );
  // log(1 - σ(30)) underflows in doubles: the exact values are softplus(±30).
  each[3] = 30 + Math.log1p(Math.exp(-30));
  each[4] = 30 + Math.log1p(Math.exp(-30));
  const x = tensor(logits, { dtype: "f64" });
  const t = tensor(targets, { dtype: "f64" });
  assertTensor(bceWithLogits(x, t, { reduction: "none" }), [5], each, { atol: 1e-12 });
  assertClose([bceWithLogits(x, t).item()], [each.reduce((a, b) => a + b, 0) / 5], { atol: 1e-12 });
  assertClose([bceWithLogits(x, t, { reduction: "sum" }).item()], [each.reduce((a, b) => a + b, 0)], { atol: 1e-12 });
  const w = [1, 0, 2, 1, 0];
  assertClose(
    [bceWithLogits(x, t, { reduction: "sum", weight: tensor(w, { dtype: "f64" }) }).item()],
    [each.reduce((a, b, i) => a + b * w[i]!, 0)],
    { atol: 1e-12 },
  );
});

test("bceWithLogits gradient w.r.t. the logits", () => {
  const t = tensor([1, 0, 1, 0, 1, 1], { dtype: "f64", shape: [2, 3] });
  checkGradient((x) => bceWithLogits(x, t, { reduction: "none" }), [rnd([2, 3], 34, 3)]);
  checkGradient((x) => bceWithLogits(x, t), [rnd([2, 3], 35, 3)]);
});

test("dropout with a generator: same seed same mask, kept elements scaled by 1/(1-p), eval mode is the identity", () => {
  const x = full([4000], 1);
  const a = dropout(x, 0.25, true, new Generator(7)).toList();
  const b = dropout(x, 0.25, true, new Generator(7)).toList();
  const c = dropout(x, 0.25, true, new Generator(8)).toList();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(
    a.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6),
    "every element is 0 or 1/(1-p)",
  );
  const dropped = a.filter((v) => v === 0).length / a.length;
  assert.ok(Math.abs(dropped - 0.25) < 0.03, `dropped fraction ${dropped}, expected about 0.25`);
  assert.deepEqual(dropout(x, 0.25, false, new Generator(7)).toList(), x.toList());
  assert.deepEqual(dropout(x, 0, true, new Generator(7)).toList(), x.toList());
  assert.ok(
    dropout(x, 1, true, new Generator(7))
      .toList()
      .every((v) => v === 0),
  );
  assert.throws(() => dropout(x, 1.5, true, new Generator(7)), /dropout probability must be within \[0, 1\], got 1.5/);
});

test("dropout gradient: the same mask scales the gradient (a fresh generator per call fixes the mask)", () => {
  checkGradient((x) => dropout(x, 0.4, true, new Generator(3)), [rnd([3, 5], 36)]);
});

test("adam adds weightDecay · w to the gradient (L2), unlike adamW's decoupled decay", () => {
  // One step of Adam from zero moments moves every weight by lr·sign(g + wd·w) (bias correction
  // makes m̂ = g', v̂ = g'², so the update is lr·g'/(|g'| + eps)).
  const w = tensor([1, -2, 3], { dtype: "f64" }).setRequiresGrad();
  const opt = adam([w], { lr: 0.1, weightDecay: 0.5, eps: 0 });
  w.mul(tensor([0.2, 0.1, -10], { dtype: "f64" }))
    .sum()
    .backward();
  opt.step();
  // g' = g + 0.5·w = [0.7, -0.9, -8.5]: every coordinate moves by 0.1 against the sign of g'.
  assertClose(w.toList(), [0.9, -1.9, 3.1], { atol: 1e-12 });
  const v = tensor([1], { dtype: "f64" }).setRequiresGrad();
  const opt2 = adam([v], { lr: 0.1, betas: [0.5, 0.5] });
  for (let i = 0; i < 3; i++) {
    opt2.zeroGrad();
    v.mul(2).sum().backward();
    opt2.step();
  }
  assertClose(v.toList(), [0.7], { atol: 1e-7 });
});
