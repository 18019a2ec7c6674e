/**
 * Priming the decoder: feed the prompts (and, for LatentR3, the latent thoughts) once per prompt and
 * return the cache plus the first answer token's logits, before beams fork. Computing the latent
 * once per example (not once per beam) is what makes LatentR3 cost about one extra token.
 */
import { cat, full, noGrad, tidy, type Tensor } from "../engine/index.js";
import type { Qwen2Model } from "../llm/qwen2.js";
import type { LatentReasoner } from "../latent/latent-reasoner.js";
import type { PrimedDecoder } from "./beam-search.js";

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

/** LatentR3: prefill, N latents, then the last latent's position predicts the first answer token. */
export function primeLatent(reasoner: LatentReasoner, promptIds: Tensor, promptMask: Tensor): PrimedDecoder {
  return noGrad(() =>
    tidy(() => {
      const thought = reasoner.think(promptIds, promptMask);
      const last = thought.latents[thought.latents.length - 1]!;
      const mask = cat([thought.mask, full([last.dim(0), 1], 1, { dtype: "i64", device: last.device })], 1);
      const out = reasoner.model.forward({
        inputsEmbeds: last.unsqueeze(1),
        attentionMask: mask,
        cache: thought.cache,
        logits: "last",
      });
      return { cache: thought.cache, mask, logits: out.logits!.squeeze(1) };
    }),
  );
}
