/**
 * Paired significance tests between runs evaluated on the same test records: each run against a
 * baseline run, per metric (HR@10 and NDCG@10 by default), from the per-user results saved beside
 * each report. A difference is marked significant only when both the paired t-test gives p < α and
 * the paired bootstrap interval excludes 0; the two disagree only near the border, where calling the
 * difference real would be a coin toss.
 */
import type { Report } from "./report-schema.js";
import { pairingProblem } from "./per-user.js";
import {
  pairedBootstrap,
  pairedTTest,
  type BootstrapInterval,
  type BootstrapOptions,
  type PairedTTest,
} from "./significance.js";

/** A loaded run (compare.ts's PairedRun): its folder, display label and report with per-user results. */
export interface PairedRun {
  dir: string;
  label: string;
  report: Report;
}

export interface PairedMetric {
  kind: "hr" | "ndcg";
  k: number;
}

/** The paper's headline cut-off. */
export const PAIRED_METRICS: readonly PairedMetric[] = [
  { kind: "hr", k: 10 },
  { kind: "ndcg", k: 10 },
];

export const DEFAULT_ALPHA = 0.05;

export interface PairedComparison {
  run: string;
  baseline: string;
  metric: string;
  records: number;
  runMean: number;
  baselineMean: number;
  tTest: PairedTTest;
  bootstrap: BootstrapInterval;
  significant: boolean;
}

export interface PairedComparisons {
  baseline: string;
  alpha: number;
  comparisons: PairedComparison[];
  /** Runs that could not be paired with the baseline, and why. */
  skipped: { run: string; reason: string }[];
}

export interface PairedOptions {
  /** Label or folder of the baseline run (default: the first run). */
  baseline?: string;
  alpha?: number;
  metrics?: readonly PairedMetric[];
  bootstrap?: BootstrapOptions;
}

const metricName = (m: PairedMetric) => `${m.kind === "hr" ? "HR" : "NDCG"}@${m.k}`;

/** Finds the baseline run by label or folder; an unknown name is an error listing the runs. */
export function findBaseline(runs: readonly PairedRun[], name?: string): PairedRun {
  if (runs.length === 0) throw new Error("paired tests: no runs");
  if (name === undefined) return runs[0]!;
  const found = runs.find((r) => r.label === name || r.dir === name || r.report.run === name);
  if (!found)
    throw new Error(
      `--baseline ${name}: no such run; expected one of ${runs.map((r) => JSON.stringify(r.label)).join(", ")}`,
    );
  return found;
}

/** Every other run against the baseline, per metric. */
export function pairedComparisons(runs: readonly PairedRun[], options: PairedOptions = {}): PairedComparisons {
  const base = findBaseline(runs, options.baseline);
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const level = options.bootstrap?.level ?? 0.95;
  const out: PairedComparisons = { baseline: base.label, alpha, comparisons: [], skipped: [] };
  const missing = (r: PairedRun) =>
    `no per-user results (${r.dir} has no per-user.jsonl: evaluated before they were saved; re-run its evaluation)`;
  for (const run of runs) {
    if (run === base) continue;
    const a = run.report.perUser;
    const b = base.report.perUser;
    const problem = !a ? missing(run) : !b ? missing(base) : pairingProblem(a, b);
    if (problem) {
      out.skipped.push({ run: run.label, reason: problem });
      continue;
    }
    for (const m of options.metrics ?? PAIRED_METRICS) {
      if (!run.report.metrics.ks.includes(m.k) || !base.report.metrics.ks.includes(m.k)) {
        out.skipped.push({
          run: run.label,
          reason: `${metricName(m)} not evaluated (ranked lists shorter than ${m.k})`,
        });
        continue;
      }
      const x = a!.values(m.kind, m.k);
      const y = b!.values(m.kind, m.k);
      const tTest = pairedTTest(x, y);
      const bootstrap = pairedBootstrap(x, y, { ...options.bootstrap, level });
      out.comparisons.push({
        run: run.label,
        baseline: base.label,
        metric: metricName(m),
        records: x.length,
        runMean: x.reduce((s, v) => s + v, 0) / x.length,
        baselineMean: y.reduce((s, v) => s + v, 0) / y.length,
        tTest,
        bootstrap,
        significant: tTest.p < alpha && (bootstrap.low > 0 || bootstrap.high < 0),
      });
    }
  }
  return out;
}

export const formatP = (p: number): string => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));
const signed = (x: number): string => `${x >= 0 ? "+" : "-"}${Math.abs(x).toFixed(4)}`;

/** The rows of a paired-test table as text cells (shared by the terminal and the HTML page). */
export function pairedRows(result: PairedComparisons): string[][] {
  return result.comparisons.map((c) => [
    c.run,
    c.metric,
    c.runMean.toFixed(4),
    c.baselineMean.toFixed(4),
    signed(c.tTest.meanDifference),
    `[${signed(c.bootstrap.low)}, ${signed(c.bootstrap.high)}]`,
    formatP(c.tTest.p),
    c.significant ? "" : "n.s.",
  ]);
}

export function pairedHeader(result: PairedComparisons): string[] {
  const level = result.comparisons[0]?.bootstrap.level ?? 0.95;
  return [
    "run",
    "metric",
    "value",
    `${result.baseline} (baseline)`,
    "difference",
    `${Math.round(level * 100)}% interval`,
    "p",
    "",
  ];
}

/** A caption saying what was tested, for both renderings. */
export function pairedCaption(result: PairedComparisons): string {
  const c = result.comparisons[0];
  const how = c
    ? `${c.records} paired test records; two-sided paired t-test; paired bootstrap interval of the difference (${c.bootstrap.samples} resamples, seed ${c.bootstrap.seed})`
    : "nothing could be paired";
  return `Paired tests against ${result.baseline} (${how}). n.s. = not significant at α = ${result.alpha} (p ≥ α or the interval contains 0).`;
}

/** Aligned plain text: caption, table, and the runs that could not be paired. */
export function pairedTable(result: PairedComparisons): string {
  const rows = [pairedHeader(result), ...pairedRows(result)];
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, j) => (j < 2 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!)))
      .join("  ")
      .trimEnd();
  const lines = [pairedCaption(result)];
  if (result.comparisons.length > 0) lines.push(...rows.map(line));
  for (const s of result.skipped) lines.push(`${s.run}: not paired: ${s.reason}`);
  return lines.join("\n");
}
