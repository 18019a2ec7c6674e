import { test } from "node:test";
import assert from "node:assert/strict";
import { tensor, tidy } from "../../src/engine/index.js";
import { batchAdvantage, groupAdvantage } from "../../src/train/rl/advantage.js";
import { negativePerplexity, negativePerplexityReward, tokenLogProbs } from "../../src/train/rl/reward.js";
import { clippedPolicyLoss } from "../../src/train/rl/policy-loss.js";
import { gaussianLogDensity } from "../../src/train/rl/latent-samples.js";
import { DEFAULT_LR_GRPO } from "../../src/train/rl/config.js";
import { exactMatchRewards, POLICIES } from "../../src/train/rl/strategies.js";

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("negative perplexity reward on hand-computed numbers", () => {
  // p = (0.5, 0.25): mean log p = −(ln 2 + ln 4)/2 = −1.5 ln 2 → reward = −2^1.5 = −2.828427…
  close(negativePerplexity([Math.log(0.5), Math.log(0.25)]), -Math.pow(2, 1.5));
  close(negativePerplexity([0, 0, 0]), -1);
  tidy(() => {
    // Row 1 has a padded third token (log-prob 0, not counted).
    const logp = tensor([
      [Math.log(0.5), Math.log(0.25), Math.log(0.5)],
      [Math.log(0.5), Math.log(0.5), 0],
    ]);
    const r = negativePerplexityReward(logp, tensor([3, 2], { dtype: "i64" })).toList();
    close(r[0]!, -Math.exp((2 * Math.log(2) + Math.log(4)) / 3), 1e-5);
    close(r[1]!, -2, 1e-5);
  });
});

test("token log-probs gather the label's log-softmax and zero padding", () => {
  tidy(() => {
    const logits = tensor([
      [
        [0, 0, Math.log(2)],
        [1, 1, 1],
      ],
    ]); // softmax row 0 = (1/4, 1/4, 1/2)
    const lp = tokenLogProbs(logits, tensor([[2, -100]], { dtype: "i64" })).toList();
    close(lp[0]!, Math.log(0.5), 1e-6);
    close(lp[1]!, 0);
  });
});

test("batch advantage: baseline = mean of unnoised rewards, normalised by the batch L2 norm", () => {
  const a = batchAdvantage([
    [-2, -3],
    [-4, -1],
  ]);
  // baseline −3; u = [[1, 0], [−1, 2]]; ‖u‖ = √6
  const n = Math.sqrt(6) + 1e-6;
  close(a[0]![0]!, 1 / n);
  close(a[0]![1]!, 0);
  close(a[1]![0]!, -1 / n);
  close(a[1]![1]!, 2 / n);
  // Unlike group normalisation, a group that is worse than the batch everywhere gets negative advantages.
  const b = batchAdvantage([
    [-1, -1.1],
    [-5, -4],
  ]);
  assert.ok(b[1]!.every((x) => x < 0));
});

test("group advantage (w/o batch advantage ablation): group mean and unbiased std", () => {
  const a = groupAdvantage([
    [1, 2, 3],
    [-5, -4, -3],
  ]);
  close(a[0]![0]!, -1 / 1.0001);
  close(a[0]![2]!, 1 / 1.0001);
  // Group-relative: an all-bad group still gets positive advantages for its better samples.
  close(a[1]![2]!, 1 / 1.0001);
});

test("the clip is inert at ratio 1 and acts when ratios move out of range", () => {
  const clip = { low: 0.2, high: 0.28 };
  tidy(() => {
    const mask = tensor([[1, 1]]);
    // Ratio 1: loss = −A (token mean), no clipping, gradient −A/|y| per token.
    const logp = tensor([[Math.log(0.5), Math.log(0.25)]]).setRequiresGrad();
    const r1 = clippedPolicyLoss(logp, logp.detach(), tensor([0.7]), mask, clip);
    close(r1.lossSum.item(), -0.7);
    assert.deepEqual(r1.stats, { low: 0, high: 0, kl: 0, tokens: 2 });
    r1.lossSum.backward();
    assert.deepEqual(
      logp.grad!.toList().map((g) => Number(g.toFixed(6))),
      [-0.35, -0.35],
    );
  });
  const cases: [number, number, number, number][] = [
    // ratio, advantage, expected loss, expected clip fraction
    [1.5, 1, -1.28, 1], // A > 0, ratio above 1+ε_high: high-clipped, no gradient
    [1.5, -1, 1.5, 0], // A < 0: the unclipped term is the minimum
    [0.5, 1, -0.5, 0],
    [0.5, -1, 0.8, 1], // A < 0, ratio below 1−ε_low: low-clipped
  ];
  for (const [ratio, adv, loss, fraction] of cases) {
    tidy(() => {
      const old = tensor([[Math.log(0.2)]]);
      const logp = tensor([[Math.log(0.2 * ratio)]]).setRequiresGrad();
      const r = clippedPolicyLoss(logp, old, tensor([adv]), tensor([[1]]), clip);
      close(r.lossSum.item(), loss, 1e-5);
      assert.equal(r.stats.low + r.stats.high, fraction);
      assert.equal(r.stats.low, ratio < 1 ? fraction : 0, "TRL's low clip: ratio < 1 − ε_low with A < 0");
      // k3 estimate of KL(π_old‖π_θ) for d = log π_old − log π_θ = −ln ratio: 1/ratio + ln ratio − 1.
      close(r.stats.kl, 1 / ratio + Math.log(ratio) - 1, 1e-5);
      r.lossSum.backward();
      const g = logp.grad!.item();
      if (fraction === 1) assert.equal(g, 0, `clipped case ratio ${ratio} A ${adv} must have no gradient`);
      else assert.ok(Math.abs(g) > 0);
    });
  }
});

test("Gaussian policy log-density: −‖x − μ‖² / 2σ² per row, gradient ε/σ² on the mean", () => {
  tidy(() => {
    const mean = tensor([
      [0, 0],
      [1, 1],
    ]).setRequiresGrad();
    const samples = tensor([
      [0.3, -0.4],
      [1, 1],
    ]);
    const lp = gaussianLogDensity(samples, mean, 0.5);
    assert.deepEqual(lp.shape, [2, 1]);
    close(lp.toList()[0]!, -(0.09 + 0.16) / (2 * 0.25));
    close(lp.toList()[1]!, 0);
    lp.sum().backward();
    const g = mean.grad!.toList();
    close(g[0]!, 0.3 / 0.25, 1e-6);
    close(g[1]!, -0.4 / 0.25, 1e-6);
    close(g[2]!, 0);
  });
});

test("exact-match rewards: 1 only for a generated row equal to its prompt's target (padding ignored)", () => {
  // Two prompts (targets [5, 6, EOS=2] and [7, 2, pad]), K = 2 samples each.
  const labels = [5, 6, 2, 7, 2, -100];
  const generated = [
    [5, 6, 2],
    [5, 6],
    [7, 2],
    [7, 2, 2],
  ];
  assert.deepEqual(exactMatchRewards(generated, labels, 3, 2), [1, 0, 1, 0]);
});

test("gaussian policy: PPO on the latent's density ratio, by hand", () => {
  const clip = { clipLow: 0.2, clipHigh: 0.28 };
  tidy(() => {
    // One prompt, K = 2, d = 2, σ = 1. The sampling policy's mean was (0, 0); samples (0, 0) and (1, 0).
    // The current mean (0.5, 0): log-density ratios −(0.25)/2 − 0 and −(0.25)/2 + 1/2.
    const mean = tensor([
      [0.5, 0],
      [0.5, 0],
    ]).setRequiresGrad();
    const latentSamples = tensor([
      [0, 0],
      [1, 0],
    ]);
    const oldLogp = tensor([[0], [-0.5]]);
    const draw = { thought: null as never, mean, sample: latentSamples };
    const sampled = { answers: null as never, noise: null as never, latentSamples, oldLogp };
    const config = { ...DEFAULT_LR_GRPO, ...clip, sigma: 1 };
    const { lossSum, stats } = POLICIES.gaussian.loss({
      reasoner: null as never,
      draw,
      sampled,
      advantage: tensor([-1, 1]),
      config,
    });
    const r0 = Math.exp(-0.125); // 0.8825: inside [0.8, 1.28] → −r0·(−1)
    const r1 = Math.exp(0.375); // 1.455 > 1.28 with A > 0 → clipped at 1.28
    assert.ok(r1 > 1.28, "the hand-computed ratio of sample 1 lies above the clip range");
    close(lossSum.item(), r0 - 1.28, 1e-6);
    assert.deepEqual([stats.low, stats.high, stats.tokens], [0, 1, 2]);
    lossSum.backward();
    // Only sample 0 carries a gradient: d/dμ (r0) = r0·(x − μ)/σ² = r0·(−0.5, 0).
    const g = mean.grad!.toList();
    close(g[0]!, -0.5 * r0, 1e-6);
    close(g[2]!, 0);
  });
});
