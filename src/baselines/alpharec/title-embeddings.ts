/**
 * AlphaRec's frozen language representations of items: one vector per catalogue title from an LLM.
 * The authors embed titles with text-embedding models (text-embedding-3-large by default; for LLMs such
 * as Llama or Mistral, vectors from the model's hidden states); ours reads any Qwen2 folder and takes
 * the mean of the last hidden states (after the final RMSNorm) over the title's tokens (the caller chooses the token form). Computed once,
 * in batches without gradients, and cached on disk by the caller.
 */
import { int64, noGrad, tidy, cat, type Tensor } from "../../engine/index.js";
import type { Qwen2Model } from "../../llm/qwen2.js";

/**
 * Mean-pooled last hidden states of each token sequence [n, hidden] (f32). Sequences are right-padded
 * per batch; padding is masked out of both attention and the mean. An empty sequence is refused.
 */
export function meanPooledEmbeddings(
  model: Qwen2Model,
  sequences: readonly (readonly number[])[],
  opts: { batchSize?: number; onBatch?: (done: number) => void } = {},
): Tensor {
  const batchSize = opts.batchSize ?? 64;
  sequences.forEach((s, i) => {
    if (s.length === 0)
      throw new Error(`title embeddings: sequence ${i + 1} has no tokens; expected a non-empty title`);
  });
  const parts: Tensor[] = [];
  for (let start = 0; start < sequences.length; start += batchSize) {
    const batch = sequences.slice(start, start + batchSize);
    const width = Math.max(...batch.map((s) => s.length));
    const ids = new Array<number>(batch.length * width).fill(0);
    const mask = new Array<number>(batch.length * width).fill(0);
    batch.forEach((s, b) => s.forEach((id, t) => ([ids[b * width + t], mask[b * width + t]] = [id, 1])));
    parts.push(
      noGrad(() =>
        tidy(() => {
          const attention = int64(mask, [batch.length, width], model.device);
          const { hidden } = model.forward({
            inputIds: int64(ids, [batch.length, width], model.device),
            attentionMask: attention,
            logits: "none",
          });
          const real = attention.unsqueeze(-1).to("f32");
          return hidden.to("f32").mul(real).sum(1).div(real.sum(1)).to("cpu");
        }),
      ),
    );
    opts.onBatch?.(Math.min(start + batchSize, sequences.length));
  }
  const out = cat(parts);
  for (const p of parts) p.dispose();
  return out;
}
