/**
 * LLM recommenders behind the server: BIGRec / D3 (no reasoning; length penalty 1 or 0) and LatentR3
 * (latent thoughts before the answer). A batch of requests is one constrained beam search per length
 * penalty in the batch, through the evaluator's own `recommend`, so the server decodes exactly as
 * `latentr3 eval` does.
 */
import type { Recommender } from "../latent/recommender.js";
import { recommend } from "../decode/recommend.js";
import type { TitleTrie } from "../decode/title-trie.js";
import type { CatalogueIndex } from "./catalogue-index.js";
import type { RecommendQuery, RecommenderKind, ScoredItem } from "./recommender-kind.js";

export interface GenerativeOptions {
  /** Reported as `model` in responses. */
  name: string;
  /** Beam width: hypotheses per request, so the largest k. */
  beams: number;
  /** Used when a request does not choose (1 = BIGRec, 0 = D3). */
  lengthPenalty: number;
  maxNewTokens: number;
}

/** The length penalties of the two decoding settings the paper compares (BIGRec 1, D3 0). */
export const LENGTH_PENALTIES: readonly number[] = [0, 1];

export function generativeRecommender(
  rec: Recommender,
  trie: TitleTrie,
  catalogue: CatalogueIndex,
  opts: GenerativeOptions,
): RecommenderKind {
  const toItems = (titles: string[], scores: number[], k: number): ScoredItem[] =>
    titles.slice(0, k).map((title, i) => {
      const item = catalogue.itemForTitle(title);
      // The trie holds only catalogue titles: a miss means the trie and the catalogue disagree.
      if (!item) throw new Error(`decoded title ${JSON.stringify(title)} is not in the catalogue`);
      return { itemId: item.id, title: item.title, score: scores[i]! };
    });
  return {
    name: opts.name,
    kind: "generative",
    maxK: opts.beams,
    readsHistory: true,
    lengthPenalties: { allowed: LENGTH_PENALTIES, default: opts.lengthPenalty },
    settings: {
      beams: opts.beams,
      lengthPenalty: opts.lengthPenalty,
      maxNewTokens: opts.maxNewTokens,
      latentThoughts: rec.meta.numLatents,
      device: rec.model.device,
    },
    recommendBatch(queries: readonly RecommendQuery[]): ScoredItem[][] {
      const out: ScoredItem[][] = new Array(queries.length);
      // One search has one length penalty (it decides when hypotheses finish): one search per value.
      const byPenalty = new Map<number, number[]>();
      queries.forEach((q, i) => {
        const lp = q.lengthPenalty ?? opts.lengthPenalty;
        byPenalty.set(lp, [...(byPenalty.get(lp) ?? []), i]);
      });
      for (const [lengthPenalty, idx] of byPenalty) {
        const result = recommend(
          rec,
          trie,
          idx.map((i) => queries[i]!),
          { beams: opts.beams, lengthPenalty, maxNewTokens: opts.maxNewTokens, batchSize: idx.length },
        );
        idx.forEach((i, j) => (out[i] = toItems(result.titles[j]!, result.scores[j]!, queries[i]!.k)));
      }
      return out;
    },
  };
}
