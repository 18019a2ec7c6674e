/**
 * From predictions to a report: the one path every recommender's output takes (LatentR3, BIGRec,
 * D3, the most-popular baseline), so their numbers are computed identically and compare fairly.
 */
import type { Example, Item } from "../data/types.js";
import { ItemMapping } from "../decode/item-mapping.js";
import { popularityBreakdown, POPULAR_FRACTION } from "./groups.js";
import type { MetricsLog } from "./jsonl.js";
import { evaluateRankings, METRIC_KS } from "./metrics.js";
import { PerUserResults } from "./per-user.js";
import { REPORT_SCHEMA, type LatencyFigures, type Report } from "./report-schema.js";

export interface EvaluationInput {
  run: string;
  method: string;
  model?: string;
  dataset: string;
  split: string;
  /** The evaluated examples. */
  test: readonly Example[];
  /** Generated titles per test example, best first, aligned with `test`. */
  predictions: readonly (readonly string[])[];
  /**
   * Item ids per test example, best first, for recommenders that rank item ids (not titles): the
   * per-user results then also carry the target's rank by item id.
   */
  rankedItems?: readonly (readonly number[])[];
  /** Training examples: item popularity and cold-start are defined by them. */
  train: readonly Example[];
  catalogue: readonly Item[];
  ks?: readonly number[];
  popularFraction?: number;
  latency?: LatencyFigures;
  training?: MetricsLog;
  notes?: string[];
}

export function evaluationReport(input: EvaluationInput): Report {
  if (input.predictions.length !== input.test.length) {
    throw new Error(
      `evaluation of ${input.run}: ${input.predictions.length} prediction lists for ${input.test.length} test examples; expected one per example`,
    );
  }
  if (input.rankedItems && input.rankedItems.length !== input.test.length) {
    throw new Error(
      `evaluation of ${input.run}: ${input.rankedItems.length} ranked item lists for ${input.test.length} test examples; expected one per example`,
    );
  }
  // @K of a list shorter than K only repeats a smaller K (with 10 beams @20 = @10): not reported.
  const listLength = input.predictions.reduce((n, p) => Math.max(n, p.length), 0);
  const ks = (input.ks ?? METRIC_KS).filter((k) => listLength === 0 || k <= listLength);
  const records = input.test.map((example, i) => ({
    predictions: input.predictions[i]!,
    target: example.target.title,
  }));
  const { metrics, scores } = evaluateRankings(records, new ItemMapping(input.catalogue), ks);
  const perUser = new PerUserResults(
    input.test.map((example, row) => {
      const rank = scores[row]!.rank;
      const itemRank = input.rankedItems?.[row]!.indexOf(example.target.id);
      return {
        row,
        user: example.userId,
        target: example.target.id,
        rank: Number.isFinite(rank) ? rank : null,
        ...(itemRank !== undefined ? { itemRank: itemRank >= 0 ? itemRank : null } : {}),
      };
    }),
  );
  const groups = popularityBreakdown(input.test, scores, input.train, input.catalogue, {
    fraction: input.popularFraction ?? POPULAR_FRACTION,
    ks,
  });
  return {
    schema: REPORT_SCHEMA,
    run: input.run,
    method: input.method,
    ...(input.model !== undefined ? { model: input.model } : {}),
    dataset: input.dataset,
    split: input.split,
    createdAt: new Date().toISOString(),
    listLength,
    metrics,
    groups,
    perUser,
    ...(input.latency ? { latency: input.latency } : {}),
    ...(input.training ? { training: input.training } : {}),
    ...(input.notes ? { notes: input.notes } : {}),
  };
}
