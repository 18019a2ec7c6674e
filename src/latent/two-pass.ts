/**
 * The reference (two-pass) formulation of the latent path (spec §3.3), kept as the independent
 * side of the parity test for the cached formulation: the full row with placeholder tokens is run
 * through the LLM (pass A) to read out each latent, the latents overwrite the placeholder
 * embeddings, and pass B produces the answer's hidden states. No KV cache is involved.
 */
import { cat, full, int64, type Tensor } from "../engine/index.js";
import type { LatentReasoner } from "./latent-reasoner.js";

export interface TwoPassResult {
  latents: Tensor[];
  /** Hidden states at the positions that predict each answer token [B, Ty, d]. */
  predicting: Tensor;
}

export function twoPassLatentForward(
  reasoner: LatentReasoner,
  placeholderId: number,
  promptIds: Tensor,
  promptMask: Tensor,
  answerIds: Tensor,
  answerMask: Tensor,
): TwoPassResult {
  const model = reasoner.model;
  const n = reasoner.numLatents;
  const [b, p] = [promptIds.dim(0), promptIds.dim(1)];
  const ty = answerIds.dim(1);
  const slots = int64(new Array<number>(b * n).fill(placeholderId), [b, n], promptIds.device);
  const ids = cat([promptIds, slots, answerIds], 1);
  const mask = cat([promptMask, full([b, n], 1, { dtype: "i64", device: promptMask.device }), answerMask], 1);
  const tokenEmbeds = model.embedTokens(ids);
  const withLatents = (latents: Tensor[]): Tensor =>
    cat(
      [
        tokenEmbeds.narrow(1, 0, p),
        ...latents.map((r) => r.unsqueeze(1)),
        tokenEmbeds.narrow(1, p + latents.length, ids.dim(1) - p - latents.length),
      ],
      1,
    );

  const latents: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    // Pass A over the whole row (placeholders, later latents and answer included: causality and
    // the read-out mask make them irrelevant to latent i).
    const hidden = model.forward({ inputsEmbeds: withLatents(latents), attentionMask: mask, logits: "none" }).hidden;
    const visible = p + i; // prompt + earlier latents; the query is the last of them
    latents.push(reasoner.readout(hidden.narrow(1, 0, visible), mask.narrow(1, 0, visible)));
  }
  const hidden = model.forward({ inputsEmbeds: withLatents(latents), attentionMask: mask, logits: "none" }).hidden;
  return { latents, predicting: hidden.narrow(1, p + n - 1, ty) };
}
