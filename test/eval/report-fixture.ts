// Builds small reports for the report/compare tests (not a test file itself).
import { aggregateMetrics, type Metrics } from "../../src/eval/metrics.js";
import { latencyFigures } from "../../src/eval/report.js";
import { REPORT_SCHEMA, type Report } from "../../src/eval/report-schema.js";

/** Metrics of records with these ranks (no invalid predictions unless given). */
export function metricsOf(ranks: number[], invalid = 0): Metrics {
  const m = aggregateMetrics(ranks.map((rank) => ({ rank, invalid: 0 })));
  return { ...m, invalid };
}

export function makeReport(run: string, ranks: number[], overrides: Partial<Report> = {}): Report {
  return {
    schema: REPORT_SCHEMA,
    run,
    method: `${run} method`,
    dataset: "tiny",
    split: "test",
    createdAt: "2025-01-01T00:00:00.000Z",
    metrics: metricsOf(ranks),
    groups: {
      popular: metricsOf(ranks.slice(0, 2)),
      "long-tail": metricsOf(ranks.slice(2)),
      "cold-start": metricsOf([]),
    },
    latency: latencyFigures(ranks.length, 1000, { prefill: 600, "beam search": 400 }, { device: "2-core CPU" }),
    ...overrides,
  };
}
