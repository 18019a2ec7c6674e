/**
 * One step of constrained beam search for one prompt, as a pure function of its candidates — the
 * decision Hugging Face's beam search makes (spec §6.3), with only trie-legal expansions:
 *
 *   - rank the candidates (every running beam × every legal next token) by summed log-probability;
 *   - among the first 2·B, an EOS candidate ranked within the first B finishes a hypothesis scored
 *     sum / length^lp (length counts generated tokens, EOS included); the best B non-EOS
 *     candidates continue;
 *   - the prompt is done once no beam continues, or B hypotheses are finished and the best running
 *     beam, scored at its current length, cannot beat the worst of them (HF's early_stopping=False).
 */

export interface Beam {
  /** Row of this beam in the decoder's cache. */
  row: number;
  /** Trie node where the beam's tokens end. */
  node: number;
  sum: number;
  tokens: number[];
}

export interface Candidate {
  beam: Beam;
  token: number;
  /** The trie node after `token`. */
  node: number;
  /** beam.sum + log p(token | beam). */
  sum: number;
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

export interface SelectionOptions {
  /** Beam width B, also the number of hypotheses kept. */
  width: number;
  /** 0-based index of this decoding step (tokens generated so far by every running beam). */
  step: number;
  lengthPenalty: number;
  eos: number;
}

export interface Selection {
  /** Beams that continue (≤ width, best first); their `row` is the parent's row. */
  continuing: Beam[];
  finished: Hypothesis[];
  done: boolean;
}

/** The best `capacity` hypotheses once `h` is offered (HF's BeamHypotheses.add: replaces the worst). */
export function keepBest(finished: readonly Hypothesis[], h: Hypothesis, capacity: number): Hypothesis[] {
  if (finished.length < capacity) return [...finished, h];
  let worst = 0;
  for (let i = 1; i < finished.length; i++) if (finished[i]!.score < finished[worst]!.score) worst = i;
  if (h.score <= finished[worst]!.score) return [...finished];
  const out = [...finished];
  out[worst] = h;
  return out;
}

export function selectBeams(
  candidates: readonly Candidate[],
  finished: readonly Hypothesis[],
  { width, step, lengthPenalty, eos }: SelectionOptions,
): Selection {
  const ranked = [...candidates].sort((x, y) => y.sum - x.sum);
  let kept = [...finished];
  const continuing: Beam[] = [];
  for (let rank = 0; rank < Math.min(2 * width, ranked.length); rank++) {
    const c = ranked[rank]!;
    if (c.token === eos) {
      if (rank < width) {
        const tokens = [...c.beam.tokens, c.token];
        kept = keepBest(
          kept,
          { tokens, sumLogProb: c.sum, score: c.sum / Math.pow(tokens.length, lengthPenalty), node: c.node },
          width,
        );
      }
    } else if (continuing.length < width) {
      continuing.push({ row: c.beam.row, node: c.node, sum: c.sum, tokens: [...c.beam.tokens, c.token] });
    }
  }
  const bestRunning = continuing.reduce((m, x) => Math.max(m, x.sum), -Infinity) / Math.pow(step + 1, lengthPenalty);
  const worstFinished = kept.reduce((m, h) => Math.min(m, h.score), Infinity);
  const done = continuing.length === 0 || (kept.length >= width && worstFinished >= bestRunning);
  return { continuing: done ? [] : continuing, finished: kept, done };
}
