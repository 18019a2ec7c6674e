/**
 * Constrained beam search over the title trie (spec §6.3), with a KV cache, batched over users.
 *
 * It keeps Hugging Face's beam rules but expands only trie-legal tokens: scores are sums of
 * full-vocabulary log-softmax values (never renormalised over the allowed tokens); each prompt's
 * step is `selectBeams` (beam-selection.ts). This finds the same legal hypotheses as the reference,
 * which pads with garbage beams where we return fewer.
 */
import type { Qwen2Model } from "../llm/qwen2.js";
import { selectBeams, type Beam, type Candidate, type Hypothesis } from "./beam-selection.js";
import { DECODING_CONFIG } from "./decoding-config.js";
import {
  modelDecoder,
  timed,
  traced,
  type PrimedDecoder,
  type SearchDecoder,
  type SearchStep,
} from "./search-decoder.js";
import type { TitleTrie } from "./title-trie.js";

export type { Hypothesis, PrimedDecoder, SearchStep };

export interface BeamSearchOptions {
  /** Beam width B, also the number of hypotheses returned per prompt (default 10). */
  beams: number;
  /** 1 = BIGRec (length-normalised), 0 = D3 (plain sum). */
  lengthPenalty: number;
  maxNewTokens: number;
  /** Called once per step with the step's tensor work (for benchmarks that replay a search's trajectory). */
  onStep?: (step: SearchStep) => void;
}

export const DEFAULT_BEAM_SEARCH: BeamSearchOptions = DECODING_CONFIG.pick(
  "beams",
  "lengthPenalty",
  "maxNewTokens",
).defaults();

export interface BeamSearchResult {
  /** Per prompt, finished hypotheses best first (≤ beams). */
  hypotheses: Hypothesis[][];
  steps: number;
  /** Milliseconds in tensor work (forward passes, log-softmax, gathers) vs the whole search. */
  tensorMs: number;
  totalMs: number;
}

/** Every legal continuation of every running beam, each with the flat log-prob index it needs. */
function legalCandidates(
  trie: TitleTrie,
  running: readonly Beam[][],
  vocab: number,
): { perPrompt: { beam: Beam; token: number; index: number }[][]; indices: number[] } {
  const indices: number[] = [];
  const perPrompt = running.map((beams) =>
    beams.flatMap((beam) =>
      Array.from(trie.allowedTokens(beam.node), (token) => {
        indices.push(beam.row * vocab + token);
        return { beam, token, index: indices.length - 1 };
      }),
    ),
  );
  return { perPrompt, indices };
}

/** The search over any decoder: `prompts` rows were primed; returns per prompt the finished hypotheses. */
export function searchBeams(
  decoder: SearchDecoder,
  trie: TitleTrie,
  prompts: number,
  { beams: width, lengthPenalty, maxNewTokens }: Omit<BeamSearchOptions, "onStep">,
): { hypotheses: Hypothesis[][]; steps: number } {
  let finished: Hypothesis[][] = Array.from({ length: prompts }, () => []);
  let running: Beam[][] = Array.from({ length: prompts }, (_, row) => [{ row, node: trie.root, sum: 0, tokens: [] }]);
  let steps = 0;
  for (let step = 0; step < maxNewTokens; step++) {
    steps = step + 1;
    const { perPrompt, indices } = legalCandidates(trie, running, decoder.vocabSize);
    const logp = decoder.logProbs(indices);
    const selections = perPrompt.map((legal, p) => {
      const candidates: Candidate[] = legal.map(({ beam, token, index }) => ({
        beam,
        token,
        node: trie.next(beam.node, token),
        sum: beam.sum + logp[index]!,
      }));
      return running[p]!.length === 0
        ? { continuing: [], finished: finished[p]!, done: true }
        : selectBeams(candidates, finished[p]!, { width, step, lengthPenalty, eos: trie.eos });
    });
    finished = selections.map((s) => s.finished);
    if (selections.every((s) => s.done) || step === maxNewTokens - 1) break;
    // Reorder the cache to the surviving beams (row = position among all survivors) and feed their last tokens.
    const parents: number[] = [];
    const tokens: number[] = [];
    running = selections.map((s) =>
      s.continuing.map((beam) => {
        parents.push(beam.row);
        tokens.push(beam.tokens[beam.tokens.length - 1]!);
        return { ...beam, row: parents.length - 1 };
      }),
    );
    decoder.advance(parents, tokens);
  }
  return { hypotheses: finished.map((f) => [...f].sort((x, y) => y.score - x.score)), steps };
}

/** Constrained beam search from a primed model (whose cache it consumes), timed and optionally traced. */
export function constrainedBeamSearch(
  model: Qwen2Model,
  trie: TitleTrie,
  primed: PrimedDecoder,
  options: Partial<BeamSearchOptions> = {},
): BeamSearchResult {
  const { onStep, ...search } = { ...DEFAULT_BEAM_SEARCH, ...options };
  const start = performance.now();
  const decoder = timed(onStep ? traced(modelDecoder(model, primed), onStep) : modelDecoder(model, primed));
  try {
    const { hypotheses, steps } = searchBeams(decoder, trie, primed.logits.dim(0), search);
    return { hypotheses, steps, tensorMs: decoder.ms, totalMs: performance.now() - start };
  } finally {
    decoder.dispose();
  }
}
