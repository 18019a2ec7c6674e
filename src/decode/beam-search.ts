/**
 * Constrained beam search over the title trie (spec §6.3), with a KV cache, batched over users.
 *
 * It keeps Hugging Face's beam rules but expands only trie-legal tokens: scores are sums of
 * full-vocabulary log-softmax values (never renormalised over the allowed tokens); per prompt the
 * top 2·B candidates over beams × legal tokens are ranked, an EOS candidate among the first B
 * finishes a hypothesis scored sum / length^lp (length counts generated tokens incl. EOS; lp = 1 is
 * BIGRec, lp = 0 is D3), the best B non-EOS candidates continue, and a prompt is done once B
 * hypotheses are finished and no running beam can beat the worst of them. This finds the same legal
 * hypotheses as the reference, which pads with garbage beams where we return fewer.
 */
import { int64, noGrad, tidy, type Tensor } from "../engine/index.js";
import type { KVCache } from "../llm/kv-cache.js";
import { extendMask } from "../llm/attention-mask.js";
import type { Qwen2Model } from "../llm/qwen2.js";
import type { TitleTrie } from "./title-trie.js";

export interface BeamSearchOptions {
  /** Beam width B, also the number of hypotheses returned per prompt (default 10). */
  beams: number;
  /** 1 = BIGRec (length-normalised), 0 = D3 (plain sum). */
  lengthPenalty: number;
  maxNewTokens: number;
  /** Called once per step with the step's tensor work (for benchmarks that replay a search's trajectory). */
  onStep?: (step: SearchStep) => void;
}

/** The tensor work of one search step: log-probs gathered, then (unless it was the last) the cache rows kept and tokens fed. */
export interface SearchStep {
  gathered: number;
  parents?: readonly number[];
  tokens?: readonly number[];
}

export const DEFAULT_BEAM_SEARCH: BeamSearchOptions = { beams: 10, lengthPenalty: 1, maxNewTokens: 128 };

/** The decoder state after the prompt (and latent thoughts) were fed: one row per prompt. */
export interface PrimedDecoder {
  cache: KVCache;
  /** Attention mask over the cached positions [B, L]. */
  mask: Tensor;
  /** Next-token logits for each prompt [B, V]: the distribution of the first answer token. */
  logits: Tensor;
}

export interface Hypothesis {
  /** Generated tokens, EOS included. */
  tokens: number[];
  sumLogProb: number;
  /** sumLogProb / tokens.length^lengthPenalty. */
  score: number;
  /** Trie node where the sequence ends (its titles: `trie.titlesAt(node)`). */
  node: number;
}

export interface BeamSearchResult {
  /** Per prompt, finished hypotheses best first (≤ beams). */
  hypotheses: Hypothesis[][];
  steps: number;
  /** Milliseconds in tensor work (forward passes, log-softmax, gathers) vs the whole search. */
  tensorMs: number;
  totalMs: number;
}

interface Beam {
  row: number;
  node: number;
  sum: number;
  tokens: number[];
}

/**
 * One decoding step for the surviving beams: keep cache rows `parents` (reorder / fork), feed each
 * beam's last token, and return the extended mask and the next-token logits [rows, V] (both kept: the
 * caller disposes them).
 */
export function advanceBeams(
  model: Qwen2Model,
  cache: KVCache,
  mask: Tensor,
  parents: readonly number[],
  tokens: readonly number[],
): { mask: Tensor; logits: Tensor } {
  return noGrad(() =>
    tidy(() => {
      const rows = int64(parents, undefined, mask.device);
      cache.selectRows(rows);
      const next = extendMask(mask.indexSelect(0, rows));
      const ids = int64(tokens, [tokens.length, 1], mask.device);
      const logits = model.forward({ inputIds: ids, attentionMask: next, cache, logits: "last" }).logits!.squeeze(1);
      return { mask: next.keep(), logits: logits.keep() };
    }),
  );
}

/** Keeps the best `capacity` finished hypotheses of one prompt (HF's BeamHypotheses). */
class Finished {
  readonly items: Hypothesis[] = [];
  constructor(readonly capacity: number) {}
  get full(): boolean {
    return this.items.length >= this.capacity;
  }
  worst(): number {
    return this.items.reduce((m, h) => Math.min(m, h.score), Infinity);
  }
  add(h: Hypothesis): void {
    if (!this.full) this.items.push(h);
    else {
      let worst = 0;
      for (let i = 1; i < this.items.length; i++) if (this.items[i]!.score < this.items[worst]!.score) worst = i;
      if (h.score > this.items[worst]!.score) this.items[worst] = h;
    }
  }
}

interface Candidate {
  beam: Beam;
  token: number;
  sum: number;
}

export function constrainedBeamSearch(
  model: Qwen2Model,
  trie: TitleTrie,
  primed: PrimedDecoder,
  options: Partial<BeamSearchOptions> = {},
): BeamSearchResult {
  const { beams: width, lengthPenalty, maxNewTokens, onStep } = { ...DEFAULT_BEAM_SEARCH, ...options };
  const start = performance.now();
  let tensorMs = 0;
  const b = primed.logits.dim(0);
  const vocab = primed.logits.dim(1);
  const finished = Array.from({ length: b }, () => new Finished(width));
  const done = new Array<boolean>(b).fill(false);
  let running: Beam[][] = Array.from({ length: b }, (_, i) => [{ row: i, node: trie.root, sum: 0, tokens: [] }]);
  const cache = primed.cache;
  // Aliases, so releasing them never frees the caller's tensors.
  let mask = primed.mask.view(primed.mask.shape).keep();
  let logits = primed.logits.view(primed.logits.shape).keep();
  let steps = 0;

  for (let step = 0; step < maxNewTokens; step++) {
    steps = step + 1;
    // Gather the log-probabilities of every legal continuation of every running beam in one call.
    const flat: number[] = [];
    for (const beamsOf of running)
      for (const beam of beamsOf) for (const t of trie.allowedTokens(beam.node)) flat.push(beam.row * vocab + t);
    let t0 = performance.now();
    const values = tidy(() => {
      const logp = logits.logSoftmax(-1, "f32").reshape([-1]);
      return logp.indexSelect(0, int64(flat, undefined, logp.device)).data() as Float32Array;
    });
    tensorMs += performance.now() - t0;

    let k = 0;
    const next: Beam[][] = [];
    for (let p = 0; p < b; p++) {
      const candidates: Candidate[] = [];
      for (const beam of running[p]!) {
        for (const token of trie.allowedTokens(beam.node))
          candidates.push({ beam, token, sum: beam.sum + values[k++]! });
      }
      if (done[p]) {
        next.push([]);
        continue;
      }
      candidates.sort((x, y) => y.sum - x.sum);
      const continuing: Beam[] = [];
      for (let rank = 0; rank < Math.min(2 * width, candidates.length); rank++) {
        const c = candidates[rank]!;
        const node = trie.next(c.beam.node, c.token);
        if (c.token === trie.eos) {
          if (rank < width) {
            const tokens = [...c.beam.tokens, c.token];
            finished[p]!.add({
              tokens,
              sumLogProb: c.sum,
              score: c.sum / Math.pow(tokens.length, lengthPenalty),
              node,
            });
          }
        } else if (continuing.length < width) {
          continuing.push({ row: c.beam.row, node, sum: c.sum, tokens: [...c.beam.tokens, c.token] });
        }
      }
      // HF's early-stopping=False heuristic: the best running beam at its current length.
      const bestRunning =
        continuing.reduce((m, x) => Math.max(m, x.sum), -Infinity) / Math.pow(step + 1, lengthPenalty);
      if (continuing.length === 0 || (finished[p]!.full && finished[p]!.worst() >= bestRunning)) {
        done[p] = true;
        next.push([]);
      } else {
        next.push(continuing);
      }
    }
    if (done.every((d) => d) || step === maxNewTokens - 1) {
      onStep?.({ gathered: flat.length });
      break;
    }

    // Reorder the cache to the surviving beams and feed their last tokens.
    const parents: number[] = [];
    const tokens: number[] = [];
    running = next.map((beamsOf) =>
      beamsOf.map((beam) => {
        parents.push(beam.row);
        tokens.push(beam.tokens[beam.tokens.length - 1]!);
        return { ...beam, row: parents.length - 1 };
      }),
    );
    onStep?.({ gathered: flat.length, parents, tokens });
    t0 = performance.now();
    const advanced = advanceBeams(model, cache, mask, parents, tokens);
    mask.dispose();
    logits.dispose();
    ({ mask, logits } = advanced);
    tensorMs += performance.now() - t0;
  }
  mask.dispose();
  logits.dispose();
  const hypotheses = finished.map((f) => [...f.items].sort((x, y) => y.score - x.score));
  return { hypotheses, steps, tensorMs, totalMs: performance.now() - start };
}
