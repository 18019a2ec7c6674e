/**
 * Fixed-size vectors of token sequences from a Qwen2 model's final-norm hidden states, computed in
 * batches without gradients: the last token's state (BIGRec's grounding of generated answers to
 * titles) or the mean over the sequence's tokens (AlphaRec's language representations of items).
 * Batches are left-padded — positions follow the attention mask, so a row's states do not depend on
 * its batch — and padding is masked out of attention and out of the mean.
 */
import { cat, noGrad, tidy, type Tensor } from "../engine/index.js";
import { collatePrompts } from "../data/collate.js";
import type { Qwen2Model } from "./qwen2.js";

export type Pooling = "last" | "mean";

export interface PoolingOptions {
  pooling: Pooling;
  /** Any id: padded positions are masked. */
  padId: number;
  batchSize: number;
  /** Called after each batch with the number of sequences done. */
  onProgress?: (done: number) => void;
}

/** [N, hidden] f32 on the model's device, one row per sequence; an empty sequence is refused. */
export function pooledHiddenStates(
  model: Qwen2Model,
  sequences: readonly (readonly number[])[],
  opts: PoolingOptions,
): Tensor {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`pooledHiddenStates: batchSize must be a positive integer, got ${batchSize}`);
  if (sequences.length === 0) throw new RangeError("pooledHiddenStates: no sequences");
  const empty = sequences.findIndex((s) => s.length === 0);
  if (empty !== -1) throw new RangeError(`pooledHiddenStates: sequence ${empty} is empty; expected at least one token`);
  const parts: Tensor[] = [];
  for (let i = 0; i < sequences.length; i += batchSize) {
    parts.push(
      noGrad(() =>
        tidy(() => {
          const batch = collatePrompts(sequences.slice(i, i + batchSize), opts.padId, model.device);
          const { hidden } = model.forward({ inputIds: batch.ids, attentionMask: batch.mask, logits: "none" });
          if (opts.pooling === "last")
            return hidden
              .select(1, hidden.dim(1) - 1)
              .to("f32")
              .keep();
          const real = batch.mask.unsqueeze(-1).to("f32");
          return hidden.to("f32").mul(real).sum(1).div(real.sum(1)).keep();
        }),
      ),
    );
    opts.onProgress?.(Math.min(i + batchSize, sequences.length));
  }
  const out = tidy(() => cat(parts, 0).keep());
  for (const p of parts) p.dispose();
  return out;
}
