// Builds small reports for the report/compare tests (not a test file itself).
import { aggregateMetrics, type Metrics } from "../../src/eval/metrics.js";
import { PerUserResults } from "../../src/eval/per-user.js";
import { latencyFigures } from "../../src/eval/report.js";
import { REPORT_SCHEMA, type Report } from "../../src/eval/report-schema.js";

/** Ranked lists of 10 (10 beams): @20 is not reported. */
export const FIXTURE_KS = [1, 3, 5, 10];

/** Metrics of records with these ranks (no invalid predictions unless given). */
export function metricsOf(ranks: number[], invalid = 0, ks = FIXTURE_KS): Metrics {
  const m = aggregateMetrics(
    ranks.map((rank) => ({ rank, invalid: 0 })),
    ks,
  );
  return { ...m, invalid };
}

/** Per-user results of records with these ranks: user u<i> with target item i. */
export function perUserOf(ranks: number[]): PerUserResults {
  return new PerUserResults(
    ranks.map((rank, row) => ({ row, user: `u${row}`, target: row, rank: Number.isFinite(rank) ? rank : null })),
  );
}

export function makeReport(run: string, ranks: number[], overrides: Partial<Report> = {}): Report {
  return {
    schema: REPORT_SCHEMA,
    run,
    method: `${run} method`,
    dataset: "tiny",
    split: "test",
    createdAt: "2025-01-01T00:00:00.000Z",
    listLength: 10,
    metrics: metricsOf(ranks),
    groups: {
      popular: metricsOf(ranks.slice(0, 2)),
      "long-tail": metricsOf(ranks.slice(2)),
      "cold-start": metricsOf([]),
    },
    perUser: perUserOf(ranks),
    latency: latencyFigures(ranks.length, 1000, { prefill: 600, "beam search": 400 }, { device: "2-core CPU" }),
    ...overrides,
  };
}
