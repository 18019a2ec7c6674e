/**
 * Priming the decoder: feed the prompts (and, for LatentR3, the latent thoughts) once per prompt and
 * return the cache plus the first answer token's logits, before beams fork. Computing the latent
 * once per example (not once per beam) is what makes LatentR3 cost about one extra token.
 */
import { noGrad, tidy, type Tensor } from "../engine/index.js";
import { extendMask } from "../llm/attention-mask.js";
import type { KVCache } from "../llm/kv-cache.js";
import type { Qwen2Model } from "../llm/qwen2.js";
import type { LatentReasoner } from "../latent/latent-reasoner.js";
import type { PrimedDecoder } from "./search-decoder.js";

/** BIGRec / D3: the prompt's last position predicts the first answer token. */
export function primePlain(model: Qwen2Model, promptIds: Tensor, promptMask: Tensor): PrimedDecoder {
  return noGrad(() => {
    const cache = model.newCache();
    const logits = tidy(() =>
      model.forward({ inputIds: promptIds, attentionMask: promptMask, cache, logits: "last" }).logits!.squeeze(1),
    );
    return { cache, mask: promptMask, logits };
  });
}

/**
 * Feeds one latent per row [B, d] after the cached positions (`mask` covers the cache): its position's
 * logits predict the first answer token. The cache grows by one position.
 */
export function feedLatent(model: Qwen2Model, cache: KVCache, mask: Tensor, latent: Tensor): PrimedDecoder {
  const fed = extendMask(mask);
  const out = model.forward({ inputsEmbeds: latent.unsqueeze(1), attentionMask: fed, cache, logits: "last" });
  return { cache, mask: fed, logits: out.logits!.squeeze(1) };
}

/** LatentR3: prefill, N latents, then the last latent's position predicts the first answer token. */
export function primeLatent(reasoner: LatentReasoner, promptIds: Tensor, promptMask: Tensor): PrimedDecoder {
  return noGrad(() =>
    tidy(() => {
      const thought = reasoner.think(promptIds, promptMask);
      return feedLatent(reasoner.model, thought.cache, thought.mask, thought.latents[thought.latents.length - 1]!);
    }),
  );
}

/**
 * Explicit chain-of-thought baseline for latency (paper App. G): after the prompt, T free reasoning
 * tokens are generated greedily over the full vocabulary (no trie) with the KV cache, all prompts of
 * the batch together, then the same constrained beam search decodes the answer. The budget is fixed
 * (no stop on EOS) so every method is timed over the same number of thought tokens; T = 0 is `primePlain`.
 */
export function primeChainOfThought(
  model: Qwen2Model,
  promptIds: Tensor,
  promptMask: Tensor,
  thoughtTokens: number,
): PrimedDecoder {
  if (!Number.isInteger(thoughtTokens) || thoughtTokens < 0) {
    throw new RangeError(`primeChainOfThought: thoughtTokens must be a non-negative integer, got ${thoughtTokens}`);
  }
  const primed = primePlain(model, promptIds, promptMask);
  const { cache } = primed;
  let { mask, logits } = primed;
  noGrad(() => {
    for (let i = 0; i < thoughtTokens; i++) {
      const next = tidy(() => {
        const token = logits.argmax(-1, true); // [B, 1]: greedy, full vocabulary
        const m = extendMask(mask);
        const out = model.forward({ inputIds: token, attentionMask: m, cache, logits: "last" });
        return { mask: m, logits: out.logits!.squeeze(1) };
      });
      // Free the previous step now (a long thought would otherwise hold T logit rows); the
      // caller's prompt mask is theirs to free.
      logits.dispose();
      if (mask !== promptMask) mask.dispose();
      ({ mask, logits } = next);
    }
  });
  return { cache, mask, logits };
}
