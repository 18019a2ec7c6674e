/**
 * Replays a recorded beam-search trajectory (which rows survive, which tokens are fed, how many
 * log-probs are gathered per step) on another primed decoder. With random weights each method's
 * own search runs a different number of steps; replaying BIGRec's trajectory on, say, the LatentR3
 * cache does exactly BIGRec's search work over the longer cache, so the difference between methods
 * is the reasoning cost alone. Mirrors the tensor work of `constrainedBeamSearch` step by step; the
 * JS candidate ranking (under 1% of the search, see bench/README.md) is not replayed.
 */
import { cat, full, int64, noGrad, tidy } from "../../src/engine/index.js";
import type { PrimedDecoder, SearchStep } from "../../src/decode/beam-search.js";
import type { Qwen2Model } from "../../src/llm/qwen2.js";

/** Milliseconds to replay `steps` on `primed` (whose cache it consumes like the search does). */
export function replaySearch(model: Qwen2Model, primed: PrimedDecoder, steps: readonly SearchStep[]): number {
  const start = performance.now();
  const cache = primed.cache;
  const vocab = primed.logits.dim(1);
  let mask = primed.mask.view(primed.mask.shape).keep();
  let logits = primed.logits.view(primed.logits.shape).keep();
  for (const step of steps) {
    const rows = logits.dim(0);
    // Which entries are gathered does not change the cost, only how many.
    const flat = Array.from({ length: step.gathered }, (_, i) => (i % rows) * vocab + ((i * 7919) % vocab));
    tidy(() => {
      const logp = logits.logSoftmax(-1, "f32").reshape([-1]);
      return logp.indexSelect(0, int64(flat, undefined, logp.device)).data();
    });
    if (!step.parents || !step.tokens) break;
    const { parents, tokens } = step;
    noGrad(() => {
      const index = int64(parents, undefined, mask.device);
      cache.selectRows(index);
      const newMask = tidy(() =>
        cat([mask.indexSelect(0, index), full([parents.length, 1], 1, { dtype: "i64", device: mask.device })], 1),
      );
      mask.dispose();
      mask = newMask.keep();
      index.dispose();
      const out = tidy(() =>
        model
          .forward({
            inputIds: int64(tokens, [tokens.length, 1], mask.device),
            attentionMask: mask,
            cache,
            logits: "last",
          })
          .logits!.squeeze(1),
      );
      logits.dispose();
      logits = out.keep();
    });
  }
  mask.dispose();
  logits.dispose();
  return performance.now() - start;
}
