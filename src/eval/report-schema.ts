/**
 * The shape of an evaluation report (report.json), on its own so the writers (report.ts) and the
 * renderers (report-html.ts, compare) depend on the data, not on each other.
 */
import type { MetricsLog } from "./jsonl.js";
import type { Metrics } from "./metrics.js";
import type { PerUserResults } from "./per-user.js";

export const REPORT_SCHEMA = "latentr3.report/1";

/** Decoding cost, measured end to end over `users` test users. */
export interface LatencyFigures {
  users: number;
  totalMs: number;
  msPerUser: number;
  usersPerSecond: number;
  /** Wall time per pipeline stage in ms, summed over users (e.g. prefill, latent, beam search, mapping). */
  stages: Record<string, number>;
  /** Where it was measured ("2-core CPU", "H100"), since latency means nothing without it. */
  device?: string;
  batchSize?: number;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  /** Run name, usually the run folder's name. */
  run: string;
  /** What produced the predictions: "LatentR3 (SFT+LR-GRPO), beams 10, lp 1", "most popular", ... */
  method: string;
  /** Model checkpoint or description, when there is one. */
  model?: string;
  dataset: string;
  split: string;
  /** ISO 8601 time the report was made. */
  createdAt: string;
  /** Length of the longest ranked list (the beam count): metrics are reported only for K ≤ it. */
  listLength?: number;
  metrics: Metrics;
  /** Per-group metrics, e.g. popular / long-tail / cold-start (see groups.ts). */
  groups: Record<string, Metrics>;
  /** Per-record ranks, written to per-user.jsonl beside report.json (see per-user.ts). */
  perUser?: PerUserResults;
  latency?: LatencyFigures;
  /** Rows of the run's metrics.jsonl, for training-curve plots. */
  training?: MetricsLog;
  notes?: string[];
}
