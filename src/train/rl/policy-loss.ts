/**
 * The PPO-style clipped objective of GRPO (paper eq. 8) on a likelihood ratio: per token,
 * −min(ratio·A, clip(ratio, 1−ε_low, 1+ε_high)·A) with ratio = π_θ / π_old; averaged over each
 * sample's tokens (1/|y|), then over the K samples. With one inner iteration π_old is the policy
 * itself, the ratio is 1 and the clip is inert (spec §5.5); it acts from iteration 2 on.
 */
import { tidy, type Tensor } from "../../engine/index.js";

export interface ClipRange {
  low: number;
  high: number;
}

/**
 * Sums over a micro-batch's real tokens, in TRL's GRPO definitions: a token is low-clipped when
 * ratio < 1−ε_low with A < 0, high-clipped when ratio > 1+ε_high with A > 0 (the clip acts on both);
 * `kl` is the k3 estimate exp(d) − d − 1, d = log π_old − log π_θ, of KL(π_old‖π_θ) (there is no
 * reference model: β = 0, as in the paper).
 */
export interface ClipStats {
  low: number;
  high: number;
  kl: number;
  tokens: number;
}

export const NO_CLIP_STATS: ClipStats = { low: 0, high: 0, kl: 0, tokens: 0 };

export function addClipStats(a: ClipStats, b: ClipStats): ClipStats {
  return { low: a.low + b.low, high: a.high + b.high, kl: a.kl + b.kl, tokens: a.tokens + b.tokens };
}

export interface PolicyLossTerms {
  /** Σ over samples of the per-sample token-mean loss (the caller divides by the number of samples). */
  lossSum: Tensor;
  stats: ClipStats;
}

/** The k3 KL estimate and the token count of per-token log-probs against the sampling policy's. */
export function klStats(logp: Tensor, oldLogp: Tensor, mask: Tensor): ClipStats {
  return tidy(() => {
    const d = oldLogp.sub(logp.detach());
    const kl = d.exp().sub(d).sub(1).mul(mask).sum().item();
    return { ...NO_CLIP_STATS, kl, tokens: mask.sum().item() };
  });
}

/**
 * logp [R, T] current per-token log-probs (graph attached), oldLogp [R, T] of the sampling policy,
 * advantage [R], mask [R, T] (1 = real token).
 */
export function clippedPolicyLoss(
  logp: Tensor,
  oldLogp: Tensor,
  advantage: Tensor,
  mask: Tensor,
  clip: ClipRange,
): PolicyLossTerms {
  const ratio = logp.sub(oldLogp).exp();
  const a = advantage.unsqueeze(1);
  const unclipped = ratio.mul(a);
  const clipped = ratio.clamp(1 - clip.low, 1 + clip.high).mul(a);
  const perToken = unclipped.minimum(clipped).neg().mul(mask);
  const tokens = mask.sum(1);
  const lossSum = perToken.sum(1).div(tokens).sum();
  const stats = tidy(() => {
    const r = ratio.detach();
    const count = (cond: Tensor) => cond.to("f32").mul(mask).sum().item();
    const low = count(
      r
        .lt(1 - clip.low)
        .to("f32")
        .mul(a.lt(0).to("f32")),
    );
    const high = count(
      r
        .gt(1 + clip.high)
        .to("f32")
        .mul(a.gt(0).to("f32")),
    );
    return { ...klStats(logp, oldLogp, mask), low, high };
  });
  return { lossSum, stats };
}
