/**
 * Comparing runs: load each run folder's report.json and lay the runs out side by side, as an
 * aligned text table for the terminal (the HTML page is `renderComparison` in report-html.ts).
 */
import { basename, resolve } from "node:path";
import { bestRuns, runLabels, textComparisonColumns, type ComparisonColumn } from "./compare-columns.js";
import { readReport } from "./report.js";
import type { Report } from "./report-schema.js";

export interface RunReport {
  dir: string;
  /** Display name: the report's run name, or the folder when two runs share a name. */
  label: string;
  report: Report;
}

/** Reads `report.json` from every folder; the first missing or invalid one is an error naming it. */
export function loadRunReports(dirs: readonly string[]): RunReport[] {
  const reports = dirs.map((dir) => readReport(dir));
  const labels = runLabels(
    reports,
    dirs.map((dir) => basename(resolve(dir))),
  );
  return reports.map((report, i) => ({ dir: dirs[i]!, label: labels[i]!, report }));
}

/**
 * An aligned plain-text table, one row per run; the best value per column is marked with `*`
 * (no colour codes, so the output stays readable when piped or pasted).
 */
export function comparisonTable(
  runs: readonly RunReport[],
  columns: readonly ComparisonColumn[] = textComparisonColumns(runs.map((r) => r.report)),
): string {
  const reports = runs.map((r) => r.report);
  const best = columns.map((c) => bestRuns(reports, c));
  // Headers and "n/a" get the trailing space the best-mark takes in value cells, to stay aligned.
  const header = ["run", ...columns.map((c) => `${c.header} `)];
  const rows = runs.map((run, i) => [
    run.label,
    ...columns.map((c, j) => {
      const v = c.value(run.report);
      return v === undefined ? "n/a " : `${c.format(v)}${best[j]!.has(i) ? "*" : " "}`;
    }),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  // Run names left-aligned, numbers right-aligned (the trailing mark column keeps decimals aligned).
  const line = (cells: string[]): string =>
    cells
      .map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!)))
      .join("  ")
      .trimEnd();
  const lines = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  if (runs.length > 1) lines.push("", "* best in column (highest metric, fewest invalid predictions)");
  return lines.join("\n");
}
