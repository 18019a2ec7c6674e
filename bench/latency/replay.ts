/**
 * Replays a recorded beam-search trajectory (which rows survive, which tokens are fed, how many
 * log-probs are gathered per step) on another primed decoder. With random weights each method's
 * own search runs a different number of steps; replaying BIGRec's trajectory on, say, the LatentR3
 * cache does exactly BIGRec's search work over the longer cache, so the difference between methods
 * is the reasoning cost alone. Mirrors the tensor work of `constrainedBeamSearch` step by step; the
 * JS candidate ranking (under 1% of the search, see bench/README.md) is not replayed.
 */
import { modelDecoder, type PrimedDecoder, type SearchStep } from "../../src/decode/search-decoder.js";
import type { Qwen2Model } from "../../src/llm/qwen2.js";

/** Milliseconds to replay `steps` on `primed` (whose cache it consumes like the search does). */
export function replaySearch(model: Qwen2Model, primed: PrimedDecoder, steps: readonly SearchStep[]): number {
  const start = performance.now();
  let rows = primed.logits.dim(0);
  const decoder = modelDecoder(model, primed);
  for (const step of steps) {
    // Which entries are gathered does not change the cost, only how many.
    const n = rows;
    decoder.logProbs(
      Array.from({ length: step.gathered }, (_, i) => (i % n) * decoder.vocabSize + ((i * 7919) % decoder.vocabSize)),
    );
    if (!step.parents || !step.tokens) break;
    decoder.advance(step.parents, step.tokens);
    rows = step.parents.length;
  }
  decoder.dispose();
  return performance.now() - start;
}
