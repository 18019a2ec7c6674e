/**
 * What the server needs from a recommender, whatever it is inside: a generative LLM recommender
 * (BIGRec/D3 decoding, LatentR3), the most-popular list, and later the traditional baselines
 * (SASRec, GRU4Rec, ...). Adding a kind is one adapter implementing this interface; the HTTP layer,
 * the dynamic batcher and the metrics do not change.
 */
import type { Item } from "../data/types.js";

/** One recommendation request after its history was resolved against the catalogue. */
export interface RecommendQuery {
  /** The user's history, oldest first (never empty for a kind that reads histories). */
  history: readonly Item[];
  /** How many items to return (1 ≤ k ≤ the kind's `maxK`). */
  k: number;
  /** Beam-search length penalty (1 = BIGRec, 0 = D3); only for kinds with `lengthPenalties`. */
  lengthPenalty?: number;
}

export interface ScoredItem {
  /** A catalogue item with this title (titles are not unique: the lowest id carrying it). */
  itemId: number;
  title: string;
  /** The kind's own score, higher is better (a beam score, a training frequency, a logit...). */
  score: number;
}

export interface RecommenderKind {
  /** Reported in every response as `model`. */
  readonly name: string;
  /** What it is, for /healthz: "generative", "popularity", ... */
  readonly kind: string;
  /** The largest `k` a request may ask for (the beam width for beam search). */
  readonly maxK: number;
  /** False when the answer ignores the history (most popular): an empty history is then allowed. */
  readonly readsHistory: boolean;
  /** The length penalties a request may choose, and the one used when it does not; null = not a decoding setting of this kind. */
  readonly lengthPenalties: { allowed: readonly number[]; default: number } | null;
  /** Settings shown by /healthz (beam width, latent thoughts, ...). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /**
   * Answers several requests at once, results aligned with `queries`, each best first and at most
   * its `k` long. Synchronous: the server runs it between turns of the event loop.
   */
  recommendBatch(queries: readonly RecommendQuery[]): ScoredItem[][];
}
