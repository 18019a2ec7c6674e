/**
 * Self-contained HTML pages for reports: inline CSS and inline SVG only (no scripts, no external
 * assets), so a report can be mailed, archived or opened offline. All data text is escaped.
 *
 * - `renderReport(report)`: one run: metric table (overall and per group), popularity-breakdown bar
 *   chart, latency figures, and one line plot per training series from metrics.jsonl.
 * - `renderComparison(reports)`: several runs side by side, best per column in bold, grouped bars.
 */
import {
  bestRuns,
  detailComparisonColumns,
  metricComparisonColumns,
  runLabels,
  type ComparisonColumn,
} from "./compare-columns.js";
import { pairedCaption, pairedHeader, pairedRows, type PairedComparisons } from "./compare-paired.js";
import { seriesNames, type TrainingRow } from "./jsonl.js";
import { metricAt, type Metrics } from "./metrics.js";
import type { Report } from "./report-schema.js";
import { escapeHtml, groupedBarChart, lineChart, seriesColor } from "./svg-charts.js";

// Tables fit the page: numbers never wrap, headers and text cells (method, data) may; a table still
// wider than the page scrolls inside its own box instead of pushing the page sideways.
const CSS = `
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1200px; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.meta { color: #555; margin: 0.1rem 0; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; white-space: normal; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; white-space: normal; min-width: 10rem; }
td.best { font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.note { color: #8a5a00; }
td.ns { color: #888; }
`;

function metricCell(m: Metrics, kind: "hr" | "ndcg", k: number): string {
  return metricAt(m, kind, k)?.toFixed(4) ?? "n/a";
}

/** A complete self-contained HTML page around `body` (already-escaped HTML fragments). */
export function htmlPage(title: string, body: string[]): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function metricTable(report: Report): string {
  const ks = report.metrics.ks;
  const rows: [string, Metrics][] = [["overall", report.metrics], ...Object.entries(report.groups)];
  const head = ["group", "records", ...ks.map((k) => `HR@${k}`), ...ks.map((k) => `NDCG@${k}`), "invalid"];
  const body = rows.map(
    ([name, m]) =>
      `<tr><td>${escapeHtml(name)}</td><td>${m.records}</td>` +
      ks.map((k) => `<td>${metricCell(m, "hr", k)}</td>`).join("") +
      ks.map((k) => `<td>${metricCell(m, "ndcg", k)}</td>`).join("") +
      `<td>${m.invalid}</td></tr>`,
  );
  return htmlTable(head, body);
}

/** A table with escaped header cells; `body` rows are HTML. */
export function htmlTable(head: string[], body: string[]): string {
  return [
    `<div class="table-wrap"><table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>`,
    "<tbody>",
    ...body,
    "</tbody></table></div>",
  ].join("\n");
}

/** The @K to chart: 10 (the paper's headline) when evaluated, else the largest K. */
function chartK(ks: readonly number[]): number {
  return ks.includes(10) ? 10 : Math.max(...ks);
}

function breakdownChart(report: Report): string {
  const k = chartK(report.metrics.ks);
  const rows: [string, Metrics][] = [["overall", report.metrics], ...Object.entries(report.groups)];
  const value = (m: Metrics, kind: "hr" | "ndcg"): number => metricAt(m, kind, k) ?? NaN;
  return groupedBarChart({
    title: `Popularity breakdown @${k}`,
    categories: rows.map(([name, m]) => `${name}\nn=${m.records}`),
    series: [
      { name: `HR@${k}`, values: rows.map(([, m]) => value(m, "hr")) },
      { name: `NDCG@${k}`, values: rows.map(([, m]) => value(m, "ndcg")) },
    ],
  });
}

function latencySection(report: Report): string[] {
  const l = report.latency;
  if (!l) return [];
  const facts = [
    ["users", String(l.users)],
    ["total", `${(l.totalMs / 1000).toFixed(2)} s`],
    ["ms / user", l.msPerUser.toFixed(1)],
    ["users / s", l.usersPerSecond.toFixed(2)],
    ...(l.batchSize !== undefined ? [["batch size", String(l.batchSize)]] : []),
    ...(l.device !== undefined ? [["device", l.device]] : []),
  ];
  const stages = Object.entries(l.stages).map(
    ([name, ms]) =>
      `<tr><td>${escapeHtml(name)}</td><td>${ms.toFixed(1)}</td><td>${l.users > 0 ? (ms / l.users).toFixed(2) : "n/a"}</td>` +
      `<td>${l.totalMs > 0 ? ((100 * ms) / l.totalMs).toFixed(1) : "n/a"}%</td></tr>`,
  );
  return [
    "<h2>Latency</h2>",
    htmlTable(
      ["figure", "value"],
      facts.map(([k, v]) => `<tr><td>${escapeHtml(k!)}</td><td>${escapeHtml(v!)}</td></tr>`),
    ),
    ...(stages.length > 0
      ? ["<h3>Per stage</h3>", htmlTable(["stage", "total ms", "ms / user", "share"], stages)]
      : []),
  ];
}

/** One line plot per named series of training rows (all series when `names` is omitted). */
export function trainingCharts(
  rows: readonly TrainingRow[],
  names: readonly string[] = seriesNames(rows),
  prefix = "",
): string[] {
  return names.map((name, i) =>
    lineChart({
      title: prefix + name,
      points: rows.filter((r) => r[name] !== undefined).map((r) => [r.step, r[name]!] as const),
      color: seriesColor(i),
    }),
  );
}

function trainingSection(report: Report): string[] {
  const rows = report.training?.rows ?? [];
  if (rows.length === 0) return [];
  return [
    "<h2>Training curves</h2>",
    report.training?.truncatedLastLine
      ? '<p class="note">The last line of metrics.jsonl was cut short (a killed run) and is not plotted.</p>'
      : "",
    `<div class="charts">${trainingCharts(rows).join("\n")}</div>`,
  ];
}

function metaLine(label: string, value: string | undefined): string {
  return value === undefined ? "" : `<p class="meta">${escapeHtml(label)}: ${escapeHtml(value)}</p>`;
}

/** One run's report page. */
export function renderReport(report: Report): string {
  return htmlPage(`${report.run}: evaluation report`, [
    `<h1>${escapeHtml(report.run)}</h1>`,
    metaLine("method", report.method),
    metaLine("model", report.model),
    metaLine("data", `${report.dataset}, split ${report.split}`),
    metaLine("created", report.createdAt),
    ...(report.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`),
    "<h2>Metrics</h2>",
    metricTable(report),
    '<p class="meta">Hits are counted by title: a predicted title shared by several items is a hit for any of them. ' +
      "invalid = predictions that are not catalogue titles.</p>",
    breakdownChart(report),
    ...latencySection(report),
    ...trainingSection(report),
  ]);
}

/** The comparison's sections (table and grouped bar charts), for pages that add their own. */
export function comparisonSections(
  reports: readonly Report[],
  labels: readonly string[] = runLabels(reports),
): string[] {
  if (reports.length === 0) throw new Error("renderComparison: no reports to compare");
  const cells = (r: Report, i: number, columns: readonly ComparisonColumn[], best: readonly Set<number>[]) =>
    columns
      .map((c, j) => {
        const v = c.value(r);
        const cell = v === undefined ? "n/a" : escapeHtml(c.format(v));
        return best[j]!.has(i) ? `<td class="best">${cell}</td>` : `<td>${cell}</td>`;
      })
      .join("");
  // Two tables rather than one too wide for the page: the metrics, then what each run is and costs.
  const table = (columns: readonly ComparisonColumn[], lead: string[], leadCells: (r: Report, i: number) => string) => {
    const best = columns.map((c) => bestRuns(reports, c));
    const body = reports.map((r, i) => `<tr>${leadCells(r, i)}${cells(r, i, columns, best)}</tr>`);
    return htmlTable([...lead, ...columns.map((c) => c.header)], body);
  };
  const name = (i: number) => `<td>${escapeHtml(labels[i]!)}</td>`;
  const metrics = table(metricComparisonColumns(reports), ["run"], (_, i) => name(i));
  const details = table(
    detailComparisonColumns(),
    ["run", "method", "data"],
    (r, i) =>
      `${name(i)}<td class="text">${escapeHtml(r.method)}</td><td class="text">${escapeHtml(`${r.dataset}/${r.split}`)}</td>`,
  );
  const k = chartK(reports.flatMap((r) => r.metrics.ks));
  const cutoffs = k === 5 ? [5] : [5, k];
  const headline = (["hr", "ndcg"] as const).flatMap((kind) => cutoffs.map((at) => ({ kind, at })));
  const groupNames = [...new Set(reports.flatMap((r) => Object.keys(r.groups)))];
  const groupValue = (r: Report, g: string): number => metricAt(r.groups[g], "hr", k) ?? NaN;
  return [
    '<p class="meta">Bold: best value in the column (highest metric, lowest invalid count and latency).</p>',
    metrics,
    details,
    '<div class="charts">',
    groupedBarChart({
      title: "Overall metrics",
      categories: headline.map(({ kind, at }) => `${kind === "hr" ? "HR" : "NDCG"}@${at}`),
      series: reports.map((r, i) => ({
        name: labels[i]!,
        values: headline.map(({ kind, at }) => metricAt(r.metrics, kind, at) ?? NaN),
      })),
    }),
    groupNames.length > 0
      ? groupedBarChart({
          title: `HR@${k} by popularity group`,
          categories: groupNames,
          series: reports.map((r, i) => ({ name: labels[i]!, values: groupNames.map((g) => groupValue(r, g)) })),
        })
      : "",
    "</div>",
  ];
}

/** The paired tests of each run against a baseline (see compare-paired.ts). */
export function pairedSection(result: PairedComparisons): string[] {
  const rows = pairedRows(result).map(
    (cells) =>
      `<tr>${cells.map((c, j) => (j === 7 && c ? `<td class="ns">${escapeHtml(c)}</td>` : `<td>${escapeHtml(c)}</td>`)).join("")}</tr>`,
  );
  return [
    "<h2>Paired significance tests</h2>",
    `<p class="meta">${escapeHtml(pairedCaption(result))}</p>`,
    ...(rows.length > 0 ? [htmlTable(pairedHeader(result), rows)] : []),
    ...result.skipped.map((s) => `<p class="note">${escapeHtml(`${s.run}: not paired: ${s.reason}`)}</p>`),
  ];
}

/** Several runs side by side: one table (best per column in bold), grouped bar charts, paired tests when given. */
export function renderComparison(
  reports: readonly Report[],
  labels: readonly string[] = runLabels(reports),
  paired?: PairedComparisons,
): string {
  return htmlPage(`Comparison of ${reports.length} runs`, [
    `<h1>Comparison of ${reports.length} runs</h1>`,
    ...comparisonSections(reports, labels),
    ...(paired ? pairedSection(paired) : []),
  ]);
}
