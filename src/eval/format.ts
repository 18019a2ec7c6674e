/** One-line text summaries of reports for terminals and logs. */
import { metricAt } from "./metrics.js";
import type { Report } from "./report-schema.js";

export function formatMetricsLine(report: Report): string {
  const m = report.metrics;
  const f = (kind: "hr" | "ndcg", k: number) => (metricAt(m, kind, k) ?? NaN).toFixed(4);
  const latency = report.latency ? `  ${report.latency.msPerUser.toFixed(1)} ms/user` : "";
  return `${report.run}: HR@5 ${f("hr", 5)}  HR@10 ${f("hr", 10)}  NDCG@5 ${f("ndcg", 5)}  NDCG@10 ${f("ndcg", 10)}  invalid ${m.invalid}  (${m.records} users)${latency}`;
}
