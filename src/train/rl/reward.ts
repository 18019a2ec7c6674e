/**
 * LR-GRPO's reward (paper eq. 6): the negative perplexity of the true target tokens (EOS included)
 * given the prompt and a sampled latent, computed in fp32: s = −exp(−mean_t log π(y_t | x, r, y<t)).
 * Always ≤ −1; −1 means the target is certain.
 */
import { tidy, type Tensor } from "../../engine/index.js";

/**
 * Per-token log-probabilities of `labels` under `logits`, in fp32. logits [R, T, V], labels [R, T]
 * with −100 at padding → [R, T] with 0 at padding.
 */
export function tokenLogProbs(logits: Tensor, labels: Tensor): Tensor {
  const mask = labels.ge(0);
  const safe = labels.clamp(0);
  const logp = logits.logSoftmax(-1, "f32").gather(2, safe.unsqueeze(-1)).squeeze(-1);
  return logp.mul(mask.to("f32"));
}

/** s = −exp(−(Σ_t logπ_t) / |y|) per row; `tokenLogp` [R, T] (0 at padding), `tokens` [R] real-token counts. */
export function negativePerplexityReward(tokenLogp: Tensor, tokens: Tensor): Tensor {
  return tidy(() => tokenLogp.sum(1).div(tokens.to("f32")).neg().exp().neg());
}

/** The same on plain numbers (for tests and logging). */
export function negativePerplexity(logProbs: readonly number[]): number {
  const mean = logProbs.reduce((a, b) => a + b, 0) / logProbs.length;
  return -Math.exp(-mean);
}
