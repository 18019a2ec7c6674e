/**
 * Replays a recorded beam-search trajectory (which rows survive, which tokens are fed, how many
 * log-probs are gathered per step) on another primed decoder. With random weights each method's
 * own search runs a different number of steps; replaying BIGRec's trajectory on, say, the LatentR3
 * cache does exactly BIGRec's search work over the longer cache, so the difference between methods
 * is the reasoning cost alone. Mirrors the tensor work of `constrainedBeamSearch` step by step; the
 * JS candidate ranking (under 1% of the search, see bench/README.md) is not replayed.
 */
import { int64, tidy } from "../../src/engine/index.js";
import { advanceBeams, type PrimedDecoder, type SearchStep } from "../../src/decode/beam-search.js";
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
    const advanced = advanceBeams(model, cache, mask, parents, tokens);
    mask.dispose();
    logits.dispose();
    ({ mask, logits } = advanced);
  }
  mask.dispose();
  logits.dispose();
  return performance.now() - start;
}
