/**
 * The tensor side of constrained beam search: the decoder state after priming (KV cache, attention
 * mask, next-token logits per row), the log-probabilities the search asks for, and one decoding step
 * for the surviving beams. The search algorithm (beam-search.ts) only calls `logProbs` and
 * `advance`; timing and tracing wrap a decoder from outside (`timed`, `traced`).
 */
import { int64, noGrad, tidy, type Tensor } from "../engine/index.js";
import { extendMask } from "../llm/attention-mask.js";
import type { KVCache } from "../llm/kv-cache.js";
import { SharedPrefixCache } from "../llm/shared-prefix-cache.js";
import type { Qwen2Model } from "../llm/qwen2.js";

/** The decoder state after the prompt (and latent thoughts) were fed: one row per prompt. */
export interface PrimedDecoder {
  cache: KVCache;
  /** Attention mask over the cached positions [B, L]. */
  mask: Tensor;
  /** Next-token logits for each prompt [B, V]: the distribution of the first answer token. */
  logits: Tensor;
}

/** What the search needs from a decoder. */
export interface SearchDecoder {
  readonly vocabSize: number;
  /** log-softmax (fp32, full vocabulary) of the current logits at flat indices row·V + token. */
  logProbs(indices: readonly number[]): Float32Array;
  /** Keeps cache rows `parents` (reorder / fork) and feeds each kept row its token. */
  advance(parents: readonly number[], tokens: readonly number[]): void;
  /** Frees the decoder's own tensors (and the cache it took over; never the primed mask and logits). */
  dispose(): void;
}

/**
 * One decoding step for the surviving beams: keep cache rows `parents` (reorder / fork), feed each
 * beam's last token, and return the extended mask and the next-token logits [rows, V] (both kept: the
 * caller disposes them).
 */
export function advanceBeams(
  model: Qwen2Model,
  cache: SharedPrefixCache,
  mask: Tensor,
  parents: readonly number[],
  tokens: readonly number[],
): { mask: Tensor; logits: Tensor } {
  return noGrad(() =>
    tidy(() => {
      const rows = int64(parents, undefined, mask.device);
      cache.selectRows(parents);
      const next = extendMask(mask.indexSelect(0, rows));
      const ids = int64(tokens, [tokens.length, 1], mask.device);
      const logits = model.forward({ inputIds: ids, attentionMask: next, cache, logits: "last" }).logits!.squeeze(1);
      return { mask: next.keep(), logits: logits.keep() };
    }),
  );
}

/**
 * A search decoder over a Qwen2 model. It takes over `primed.cache`'s keys/values as the prompt
 * every beam shares (shared-prefix-cache.ts), leaving that cache empty.
 */
export function modelDecoder(model: Qwen2Model, primed: PrimedDecoder): SearchDecoder {
  const cache = new SharedPrefixCache(primed.cache);
  // Aliases, so disposing them never frees the caller's tensors.
  let mask = primed.mask.view(primed.mask.shape).keep();
  let logits = primed.logits.view(primed.logits.shape).keep();
  return {
    vocabSize: primed.logits.dim(1),
    logProbs(indices) {
      return tidy(() => {
        const logp = logits.logSoftmax(-1, "f32").reshape([-1]);
        return logp.indexSelect(0, int64(indices, undefined, logp.device)).data() as Float32Array;
      });
    },
    advance(parents, tokens) {
      const next = advanceBeams(model, cache, mask, parents, tokens);
      mask.dispose();
      logits.dispose();
      ({ mask, logits } = next);
    },
    dispose() {
      cache.dispose();
      mask.dispose();
      logits.dispose();
    },
  };
}

/** Milliseconds spent in a decoder's tensor work, accumulated across calls. */
export function timed(decoder: SearchDecoder): SearchDecoder & { ms: number } {
  const t = {
    ms: 0,
    vocabSize: decoder.vocabSize,
    logProbs(indices: readonly number[]) {
      const start = performance.now();
      const out = decoder.logProbs(indices);
      t.ms += performance.now() - start;
      return out;
    },
    advance(parents: readonly number[], tokens: readonly number[]) {
      const start = performance.now();
      decoder.advance(parents, tokens);
      t.ms += performance.now() - start;
    },
    dispose: () => decoder.dispose(),
  };
  return t;
}

/** The tensor work of one search step: log-probs gathered, then (unless it was the last) the cache rows kept and tokens fed. */
export interface SearchStep {
  gathered: number;
  parents?: readonly number[];
  tokens?: readonly number[];
}

/** Reports each step's tensor work to `onStep` (for benchmarks that replay a search's trajectory). */
export function traced(decoder: SearchDecoder, onStep: (step: SearchStep) => void): SearchDecoder {
  let gathered: number | undefined;
  const flush = () => {
    if (gathered !== undefined) onStep({ gathered });
    gathered = undefined;
  };
  return {
    vocabSize: decoder.vocabSize,
    logProbs(indices) {
      flush();
      gathered = indices.length;
      return decoder.logProbs(indices);
    },
    advance(parents, tokens) {
      onStep({ gathered: gathered ?? 0, parents, tokens });
      gathered = undefined;
      decoder.advance(parents, tokens);
    },
    dispose() {
      flush();
      decoder.dispose();
    },
  };
}
