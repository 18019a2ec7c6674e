/**
 * Top-K metrics for next-item recommendation with one relevant item per record (spec 6.7):
 *
 *   rank      = 0-based index of the first prediction whose normalised title equals the target's (∞ if none)
 *   HR@K      = mean over records of 1[rank < K]
 *   NDCG@K    = mean over records of 1[rank < K] / log2(rank + 2)        (IDCG = 1: one relevant item)
 *
 * The mean runs over *all* records, including those whose predictions are all invalid. Matching is
 * by title (see decode/item-mapping.ts), so a shared title is a hit for any item that carries it.
 */
import { normalizePredictedTitle, normalizeTargetTitle, type ItemMapping } from "../decode/item-mapping.js";

/** The cut-offs the reference reports (with 10 beams, @20 equals @10). */
export const METRIC_KS: readonly number[] = [1, 3, 5, 10, 20];

/** What the evaluator sees per record: the ranked generated titles and the target title. */
export interface RankedPredictions {
  /** Best first, as generated (quotes and newlines are stripped here). */
  predictions: readonly string[];
  /** The target title, bare or as the `"title"⏎` output string. */
  target: string;
}

/** Per-record result, kept so breakdowns can re-aggregate any subset of records. */
export interface RecordScore {
  /** 0-based rank of the target among the predictions; Infinity when it is missing. */
  rank: number;
  /** Predictions in this record that are not catalogue titles. */
  invalid: number;
}

/** Aggregated metrics over a set of records; `hr[k]` and `ndcg[k]` for each k in `ks`. */
export interface Metrics {
  records: number;
  /** Invalid predictions summed over the records (the reference's `CC`). */
  invalid: number;
  ks: number[];
  hr: Record<number, number>;
  ndcg: Record<number, number>;
}

/**
 * The first position whose normalised prediction equals the normalised target. (The reference takes
 * the last; constrained beam search never repeats a title, so the two agree.)
 */
export function targetRank(predictions: readonly string[], target: string): number {
  const wanted = normalizeTargetTitle(target);
  for (let i = 0; i < predictions.length; i++) {
    if (normalizePredictedTitle(predictions[i]!) === wanted) return i;
  }
  return Infinity;
}

/** 0-based rank of the target item among predicted item ids (hits by item id), ∞ when absent. */
export function itemRank(predictedIds: readonly number[], targetId: number): number {
  const at = predictedIds.indexOf(targetId);
  return at === -1 ? Infinity : at;
}

/** 1 when the target is within the top K, else 0. */
export function hitAtK(rank: number, k: number): number {
  return rank < k ? 1 : 0;
}

/** The record's NDCG@K: 1/log2(rank+2) within the top K, else 0. */
export function ndcgAtK(rank: number, k: number): number {
  return rank < k ? 1 / Math.log2(rank + 2) : 0;
}

/** HR@K over records given their ranks; 0 for no records. */
export function hitRate(ranks: readonly number[], k: number): number {
  return mean(ranks, (r) => hitAtK(r, k));
}

/** NDCG@K over records given their ranks; 0 for no records. */
export function ndcg(ranks: readonly number[], k: number): number {
  return mean(ranks, (r) => ndcgAtK(r, k));
}

function mean(ranks: readonly number[], f: (rank: number) => number): number {
  if (ranks.length === 0) return 0;
  let sum = 0;
  for (const r of ranks) sum += f(r);
  return sum / ranks.length;
}

/** Rank and invalid count of one record. */
export function scoreRecord(record: RankedPredictions, mapping: ItemMapping): RecordScore {
  let invalid = 0;
  for (const p of record.predictions) if (!mapping.isCatalogueTitle(p)) invalid++;
  return { rank: targetRank(record.predictions, record.target), invalid };
}

/** Aggregates per-record scores. With no records every metric is 0 and `records` is 0. */
export function aggregateMetrics(scores: readonly RecordScore[], ks: readonly number[] = METRIC_KS): Metrics {
  const ranks = scores.map((s) => s.rank);
  const hr: Record<number, number> = {};
  const nd: Record<number, number> = {};
  for (const k of ks) {
    hr[k] = hitRate(ranks, k);
    nd[k] = ndcg(ranks, k);
  }
  return { records: scores.length, invalid: scores.reduce((n, s) => n + s.invalid, 0), ks: [...ks], hr, ndcg: nd };
}

/**
 * One metric value for display: undefined when there is nothing to show (a group with no records,
 * a missing group, a K that was not evaluated) so tables print "n/a" rather than a misleading 0.
 */
export function metricAt(m: Metrics | undefined, kind: "hr" | "ndcg", k: number): number | undefined {
  if (!m || m.records === 0) return undefined;
  return m[kind][k];
}

/** Scores every record and aggregates: the one evaluator every recommender goes through. */
export function evaluateRankings(
  records: readonly RankedPredictions[],
  mapping: ItemMapping,
  ks: readonly number[] = METRIC_KS,
): { metrics: Metrics; scores: RecordScore[] } {
  const scores = records.map((r) => scoreRecord(r, mapping));
  return { metrics: aggregateMetrics(scores, ks), scores };
}
