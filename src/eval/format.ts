/** One-line text summaries of reports for terminals and logs. */
import { metricAt } from "./metrics.js";
import type { Report } from "./report-schema.js";

/** The cut-offs a summary line shows, when evaluated (@20 only for ranked lists of at least 20). */
const LINE_KS = [5, 10, 20];

export function formatMetricsLine(report: Report): string {
  const m = report.metrics;
  const ks = LINE_KS.filter((k) => m.ks.includes(k));
  const f = (kind: "hr" | "ndcg", k: number) => (metricAt(m, kind, k) ?? NaN).toFixed(4);
  const cells = [...ks.map((k) => `HR@${k} ${f("hr", k)}`), ...ks.map((k) => `NDCG@${k} ${f("ndcg", k)}`)];
  const latency = report.latency ? `  ${report.latency.msPerUser.toFixed(1)} ms/user` : "";
  return `${report.run}: ${cells.join("  ")}  invalid ${m.invalid}  (${m.records} users)${latency}`;
}
