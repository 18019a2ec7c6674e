/**
 * From predictions to a report: the one path every recommender's output takes (LatentR3, BIGRec,
 * D3, the most-popular baseline), so their numbers are computed identically and compare fairly.
 */
import type { Example, Item } from "../data/types.js";
import { ItemMapping } from "../decode/item-mapping.js";
import { popularityBreakdown, POPULAR_FRACTION } from "./groups.js";
import type { MetricsLog } from "./jsonl.js";
import { evaluateRankings, METRIC_KS } from "./metrics.js";
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
  const ks = input.ks ?? METRIC_KS;
  const records = input.test.map((example, i) => ({
    predictions: input.predictions[i]!,
    target: example.target.title,
  }));
  const { metrics, scores } = evaluateRankings(records, new ItemMapping(input.catalogue), ks);
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
    metrics,
    groups,
    ...(input.latency ? { latency: input.latency } : {}),
    ...(input.training ? { training: input.training } : {}),
    ...(input.notes ? { notes: input.notes } : {}),
  };
}
