/**
 * The columns of a run comparison, defined once for both the text table of `latentr3 compare` and
 * the HTML comparison page: what each column reads from a report, how it is printed, and which
 * direction is better (for marking the best run per column).
 */
import { COLD_START, COLD_START_TITLE, LONG_TAIL, POPULAR } from "./groups.js";
import { metricAt } from "./metrics.js";
import type { Report } from "./report-schema.js";

export interface ComparisonColumn {
  header: string;
  better: "higher" | "lower" | "none";
  /** undefined when the report lacks it (a K not evaluated, an empty group, no latency). */
  value(report: Report): number | undefined;
  format(value: number): string;
}

const metricFormat = (v: number): string => v.toFixed(4);

const kindName = { hr: "HR", ndcg: "NDCG" } as const;

/** HR@K or NDCG@K over all records. */
export function metricColumn(kind: "hr" | "ndcg", k: number): ComparisonColumn {
  return {
    header: `${kindName[kind]}@${k}`,
    better: "higher",
    value: (r) => metricAt(r.metrics, kind, k),
    format: metricFormat,
  };
}

/** HR@K or NDCG@K within one group (popular, long-tail, cold-start). */
export function groupColumn(group: string, kind: "hr" | "ndcg", k: number, label = group): ComparisonColumn {
  return {
    header: `${label} ${kindName[kind]}@${k}`,
    better: "higher",
    value: (r) => metricAt(r.groups[group], kind, k),
    format: metricFormat,
  };
}

export const RECORDS_COLUMN: ComparisonColumn = {
  header: "records",
  better: "none",
  value: (r) => r.metrics.records,
  format: (v) => String(v),
};

export const INVALID_COLUMN: ComparisonColumn = {
  header: "invalid",
  better: "lower",
  value: (r) => r.metrics.invalid,
  format: (v) => String(v),
};

export const MS_PER_USER_COLUMN: ComparisonColumn = {
  header: "ms/user",
  better: "lower",
  value: (r) => r.latency?.msPerUser,
  format: (v) => v.toFixed(1),
};

/**
 * The terminal table: the paper's @5/@10 numbers (and @20 when some run ranked at least 20 titles),
 * invalid count, and the popularity split.
 */
export function textComparisonColumns(reports: readonly Report[] = []): ComparisonColumn[] {
  const ks = [5, 10, 20].filter((k) => k !== 20 || reports.some((r) => r.metrics.ks.includes(20)));
  return [
    ...ks.flatMap((k) => [metricColumn("hr", k), metricColumn("ndcg", k)]),
    INVALID_COLUMN,
    groupColumn(POPULAR, "hr", 10, "pop"),
    groupColumn(LONG_TAIL, "hr", 10, "tail"),
  ];
}

/** The HTML comparison's metric table: records and every K any report has, HR then NDCG. */
export function metricComparisonColumns(reports: readonly Report[]): ComparisonColumn[] {
  const ks = [...new Set(reports.flatMap((r) => r.metrics.ks))].sort((a, b) => a - b);
  return [RECORDS_COLUMN, ...ks.map((k) => metricColumn("hr", k)), ...ks.map((k) => metricColumn("ndcg", k))];
}

/** The HTML comparison's second table: invalid predictions, the popularity groups and latency. */
export function detailComparisonColumns(): ComparisonColumn[] {
  return [
    INVALID_COLUMN,
    groupColumn(POPULAR, "hr", 10),
    groupColumn(LONG_TAIL, "hr", 10),
    groupColumn(COLD_START, "hr", 10),
    groupColumn(COLD_START_TITLE, "hr", 10),
    MS_PER_USER_COLUMN,
  ];
}

/** Indices of the reports holding the best value of the column (all of them on a tie); none for "none". */
export function bestRuns(reports: readonly Report[], column: ComparisonColumn): Set<number> {
  const best = new Set<number>();
  if (column.better === "none" || reports.length < 2) return best;
  const sign = column.better === "higher" ? 1 : -1;
  let top = -Infinity;
  reports.forEach((r, i) => {
    const v = column.value(r);
    if (v === undefined || !Number.isFinite(v)) return;
    if (sign * v > top) {
      top = sign * v;
      best.clear();
    }
    if (sign * v === top) best.add(i);
  });
  return best;
}

/**
 * Run names for display. A name used by several reports is made unique by its source (e.g. the run
 * folder) when given, else by its position.
 */
export function runLabels(reports: readonly Report[], sources?: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const r of reports) counts.set(r.run, (counts.get(r.run) ?? 0) + 1);
  return reports.map((r, i) => {
    if ((counts.get(r.run) ?? 0) < 2) return r.run;
    return sources?.[i] !== undefined ? `${r.run} (${sources[i]})` : `${r.run} #${i + 1}`;
  });
}
