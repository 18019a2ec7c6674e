/**
 * The PPO-style clipped objective of GRPO (paper eq. 8) on the target-token likelihood ratio:
 * per token, −min(ratio·A, clip(ratio, 1−ε_low, 1+ε_high)·A) with ratio = π_θ / π_old; averaged over
 * each sample's tokens (1/|y|), then over the K samples. With one inner iteration π_old is the
 * policy itself, the ratio is 1 and the clip is inert (spec §5.5); it acts from iteration 2 on.
 */
import { tidy, type Tensor } from "../../engine/index.js";

export interface ClipRange {
  low: number;
  high: number;
}

export interface PolicyLossTerms {
  /** Σ over samples of the per-sample token-mean loss (the caller divides by the number of samples). */
  lossSum: Tensor;
  /** Fraction of real tokens whose ratio lies outside the clip range in the direction the clip acts. */
  clipFraction: number;
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
  const clipFraction = tidy(() => {
    const active = unclipped.gt(clipped).to("f32").mul(mask);
    return active.sum().item() / Math.max(1, mask.sum().item());
  });
  return { lossSum, clipFraction };
}
