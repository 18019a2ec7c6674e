/**
 * Masks and positions for left-padded batches, computed once per forward and shared by all layers.
 */
import { Tensor, arange, cat, full, noGrad, tidy } from "../engine/index.js";

/**
 * Boolean attention mask [B, 1, T, P+T] (true = may attend) for T new positions after P cached ones:
 * causal, and keys must be real tokens (`attentionMask` [B, P+T], 1 = real). A padding query may
 * attend to itself so its softmax row is never empty (an all-masked row would give NaN that later
 * leaks through 0·NaN); real queries never see padding.
 */
export function causalPaddingMask(attentionMask: Tensor, newTokens: number): Tensor {
  return tidy(() =>
    noGrad(() => {
      const total = attentionMask.dim(1);
      const past = total - newTokens;
      const device = attentionMask.device;
      const q = arange(past, total, 1, { device }).unsqueeze(1); // [T, 1] absolute query index
      const k = arange(0, total, 1, { device }).unsqueeze(0); // [1, P+T]
      const causal = k.le(q); // [T, P+T]
      const self = k.eq(q);
      const realKey = attentionMask.ne(0).unsqueeze(1); // [B, 1, P+T]
      return causal.logicalAnd(realKey).logicalOr(self).unsqueeze(1); // [B, 1, T, P+T]
    }),
  );
}

/**
 * Hugging Face position ids for left padding: each real token's index among the row's real tokens
 * (cumsum(mask) − 1), padding positions set to 1 as HF does; the last `newTokens` columns.
 */
export function positionsFromMask(attentionMask: Tensor, newTokens: number): Tensor {
  return tidy(() =>
    noGrad(() => {
      const m = attentionMask.to("i64");
      const pos = m.cumsum(1).sub(1).maskedFill(m.eq(0), 1);
      const total = attentionMask.dim(1);
      return pos.narrow(1, total - newTokens, newTokens);
    }),
  );
}

/** `mask` [B, P] followed by `n` real positions (the tokens or latents about to be fed): [B, P + n]. */
export function extendMask(mask: Tensor, n = 1): Tensor {
  return tidy(() => cat([mask, full([mask.dim(0), n], 1, { dtype: "i64", device: mask.device })], 1));
}
