/**
 * Token-level losses of the language model, as sums over loss tokens (the training loop divides by
 * the global batch's token count, which gives Hugging Face's gradient-accumulation semantics).
 */
import { cat, crossEntropy, type Tensor } from "../engine/index.js";
import type { Qwen2Model } from "../llm/qwen2.js";
import type { LatentReasoner } from "../latent/latent-reasoner.js";
import type { PromptTargetBatch } from "../data/collate.js";

/**
 * BIGRec SFT: cross-entropy on the target tokens (quoted title, newline, EOS) given the prompt.
 * Logits are computed only at the positions that predict a target token.
 */
export function targetLossSum(model: Qwen2Model, batch: PromptTargetBatch): Tensor {
  const p = batch.promptIds.dim(1);
  const ty = batch.targetIds.dim(1);
  const ids = cat([batch.promptIds, batch.targetIds], 1);
  const mask = cat([batch.promptMask, batch.targetMask], 1);
  const { hidden } = model.forward({ inputIds: ids, attentionMask: mask, logits: "none" });
  return answerLossSum(model, hidden.narrow(1, p - 1, ty), batch.labels);
}

/**
 * Cross-entropy summed over labelled tokens, given the hidden states at the positions that predict
 * them ([B, Ty, hidden]) and labels [B, Ty] with −100 at padding.
 */
export function answerLossSum(model: Qwen2Model, predicting: Tensor, labels: Tensor): Tensor {
  const logits = model.logits(predicting);
  return crossEntropy(logits.reshape([-1, logits.dim(-1)]), labels.reshape([-1]), { reduction: "sum" });
}

/** Next-token LM loss over every real token of right-padded rows (pretraining). */
export function languageModelLossSum(model: Qwen2Model, ids: Tensor, mask: Tensor, labels: Tensor): Tensor {
  const t = ids.dim(1);
  const { hidden } = model.forward({ inputIds: ids, attentionMask: mask, logits: "none" });
  return answerLossSum(model, hidden.narrow(1, 0, t - 1), labels.narrow(1, 1, t - 1));
}

/**
 * Latent SFT (LatentR3 stage 1): the same target cross-entropy, with the N latent thoughts between
 * prompt and answer. Gradients flow through the latents into LatentRATT and the whole LLM.
 */
export function latentTargetLossSum(reasoner: LatentReasoner, batch: PromptTargetBatch): Tensor {
  const thought = reasoner.think(batch.promptIds, batch.promptMask);
  const last = thought.latents[thought.latents.length - 1]!;
  const hidden = reasoner.answer(thought, last, batch.targetIds, batch.targetMask);
  thought.cache.dispose();
  return answerLossSum(reasoner.model, hidden.narrow(1, 0, batch.targetIds.dim(1)), batch.labels);
}
