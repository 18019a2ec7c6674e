/**
 * Several seeds of the same experiment, summarised: per method, the mean ± standard deviation of each
 * metric over seeds, and tests of each method against a baseline method on HR@10 and NDCG@10:
 *
 * - over seeds (the paper's Appendix E): a paired t-test of the per-seed metric values, paired by
 *   seed (same data order and initialisation seed for both methods); needs at least 2 seeds;
 * - over test records: each record's metric averaged over the seeds, then the paired t-test and the
 *   paired bootstrap interval over records (compare-paired.ts's test, with the seed noise averaged
 *   out); needs per-user results of every seed on the same test records.
 *
 * A method is identified by its report's `run` label (the demo's "BIGRec", "LatentR3 (on BIGRec)", …).
 * A method that only some seeds ran (the demo's ablations with `--ablations first-seed`) is not
 * summarised: a mean over fewer seeds would sit in the same column as the others; it is listed instead.
 */
import { DEFAULT_ALPHA, formatP, PAIRED_METRICS, type PairedMetric } from "./compare-paired.js";
import { metricAt } from "./metrics.js";
import { pairingProblem } from "./per-user.js";
import type { Report } from "./report-schema.js";
import {
  pairedBootstrap,
  pairedTTest,
  type BootstrapInterval,
  type BootstrapOptions,
  type PairedTTest,
} from "./significance.js";

/** The reports one seed produced, one per method. */
export interface SeedReports {
  seed: number;
  reports: readonly Report[];
}

export interface MetricSummary {
  metric: string;
  /** Per seed, in seed order. */
  values: number[];
  mean: number;
  /** Sample standard deviation over seeds (n − 1); NaN for one seed. */
  std: number;
}

export interface SeedTest {
  method: string;
  metric: string;
  /** Paired by seed; undefined with fewer than 2 seeds. */
  overSeeds?: PairedTTest;
  /** Over test records of the seed-averaged metric; undefined when per-user results are missing. */
  overRecords?: { tTest: PairedTTest; bootstrap: BootstrapInterval; significant: boolean };
  /** Why a test could not be run. */
  note?: string;
}

export interface SeedsSummary {
  seeds: number[];
  baseline: string;
  alpha: number;
  /** Methods that every seed ran, in the order they first appear. */
  methods: { method: string; metrics: MetricSummary[] }[];
  tests: SeedTest[];
  /** Methods that only some seeds ran, with those seeds: not summarised. */
  partial: { method: string; seeds: number[] }[];
}

export interface SeedsOptions {
  /** The method the others are tested against (a report `run` label). */
  baseline: string;
  /** Cut-offs summarised (default 5, 10 and 20 where evaluated). */
  ks?: readonly number[];
  tested?: readonly PairedMetric[];
  alpha?: number;
  bootstrap?: BootstrapOptions;
}

const name = (kind: "hr" | "ndcg", k: number) => `${kind === "hr" ? "HR" : "NDCG"}@${k}`;

function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, std };
}

/**
 * The reports of every method that every seed ran, in the order of the methods' first appearance, and
 * the methods only some seeds ran.
 */
function reportsByMethod(runs: readonly SeedReports[]): {
  complete: Map<string, Report[]>;
  partial: { method: string; seeds: number[] }[];
} {
  if (runs.length === 0) throw new Error("seeds: no runs to summarise");
  const methods = [...new Set(runs.flatMap((run) => run.reports.map((r) => r.run)))];
  const complete = new Map<string, Report[]>();
  const partial: { method: string; seeds: number[] }[] = [];
  for (const method of methods) {
    const found = runs.map((run) => run.reports.find((r) => r.run === method));
    if (found.every((r): r is Report => r !== undefined)) complete.set(method, found);
    else partial.push({ method, seeds: runs.filter((_, i) => found[i]).map((run) => run.seed) });
  }
  return { complete, partial };
}

/** Mean ± std per method and metric, and the tests against the baseline. */
export function summariseSeeds(runs: readonly SeedReports[], options: SeedsOptions): SeedsSummary {
  const { complete: byMethod, partial } = reportsByMethod(runs);
  const base = byMethod.get(options.baseline);
  if (!base) {
    const some = partial.find((p) => p.method === options.baseline);
    throw new Error(
      some
        ? `seeds: baseline "${options.baseline}" was run in seed(s) ${some.seeds.join(", ")} only, not in every seed`
        : `seeds: baseline "${options.baseline}" is not among the methods (${[...byMethod.keys()].map((m) => JSON.stringify(m)).join(", ")})`,
    );
  }
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const evaluated = (reports: Report[], k: number) => reports.every((r) => r.metrics.ks.includes(k));
  const methods = [...byMethod].map(([method, reports]) => ({
    method,
    metrics: (options.ks ?? [5, 10, 20])
      .filter((k) => evaluated(reports, k))
      .flatMap((k) =>
        (["hr", "ndcg"] as const).map((kind) => {
          const values = reports.map((r) => metricAt(r.metrics, kind, k) ?? NaN);
          return { metric: name(kind, k), values, ...meanStd(values) };
        }),
      ),
  }));
  const tests: SeedTest[] = [];
  for (const [method, reports] of byMethod) {
    if (method === options.baseline) continue;
    for (const m of options.tested ?? PAIRED_METRICS) {
      const test: SeedTest = { method, metric: name(m.kind, m.k) };
      tests.push(test);
      if (!evaluated(reports, m.k) || !evaluated(base, m.k)) {
        test.note = `${test.metric} not evaluated in every seed`;
        continue;
      }
      const values = (rs: Report[]) => rs.map((r) => metricAt(r.metrics, m.kind, m.k) ?? NaN);
      if (runs.length >= 2) test.overSeeds = pairedTTest(values(reports), values(base));
      const pooled = seedAveragedRecords(reports, base, m);
      if (typeof pooled === "string") {
        test.note = pooled;
        continue;
      }
      const tTest = pairedTTest(pooled.method, pooled.baseline);
      const bootstrap = pairedBootstrap(pooled.method, pooled.baseline, options.bootstrap);
      test.overRecords = {
        tTest,
        bootstrap,
        significant: tTest.p < alpha && (bootstrap.low > 0 || bootstrap.high < 0),
      };
    }
  }
  return { seeds: runs.map((r) => r.seed), baseline: options.baseline, alpha, methods, tests, partial };
}

/** Each record's metric averaged over seeds, for the method and the baseline; a string says why not. */
function seedAveragedRecords(
  reports: readonly Report[],
  base: readonly Report[],
  m: PairedMetric,
): { method: number[]; baseline: number[] } | string {
  const all = [...reports, ...base];
  const first = all[0]!.perUser;
  if (!first || all.some((r) => !r.perUser)) return "per-user results missing in some seed";
  for (const r of all) {
    const problem = pairingProblem(first, r.perUser!);
    if (problem) return `test records differ between seeds or methods: ${problem}`;
  }
  const average = (rs: readonly Report[]) => {
    const sum = new Array<number>(first.records.length).fill(0);
    for (const r of rs) r.perUser!.values(m.kind, m.k).forEach((v, i) => (sum[i]! += v));
    return sum.map((s) => s / rs.length);
  };
  return { method: average(reports), baseline: average(base) };
}

const pm = (s: MetricSummary) =>
  Number.isNaN(s.std) ? s.mean.toFixed(4) : `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`;
const signed = (x: number) => `${x >= 0 ? "+" : "-"}${Math.abs(x).toFixed(4)}`;

function aligned(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? "").length)));
  return rows.map((cells) =>
    cells
      .map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!)))
      .join("  ")
      .trimEnd(),
  );
}

/** Two aligned text tables: mean ± std per method, then the tests against the baseline. */
export function formatSeedsSummary(s: SeedsSummary): string {
  // Every metric some method has (a baseline ranking 20 items has @20, a list of 10 has not), "–" elsewhere.
  const metricNames = [...new Set(s.methods.flatMap((m) => m.metrics.map((x) => x.metric)))];
  const cell = (m: SeedsSummary["methods"][number], name: string) => {
    const found = m.metrics.find((x) => x.metric === name);
    return found ? pm(found) : "–";
  };
  const means = [
    ["method", ...metricNames],
    ...s.methods.map((m) => [m.method, ...metricNames.map((name) => cell(m, name))]),
  ];
  const tests = [
    ["method", "metric", "p over seeds", "p over records", "difference (records)", "95% interval", ""],
    ...s.tests.map((t) => [
      t.method,
      t.metric,
      t.overSeeds ? formatP(t.overSeeds.p) : "-",
      t.overRecords ? formatP(t.overRecords.tTest.p) : "-",
      t.overRecords ? signed(t.overRecords.tTest.meanDifference) : "-",
      t.overRecords ? `[${signed(t.overRecords.bootstrap.low)}, ${signed(t.overRecords.bootstrap.high)}]` : "-",
      t.overRecords ? (t.overRecords.significant ? "" : "n.s.") : (t.note ?? ""),
    ]),
  ];
  const partial = s.partial.map((p) => `${p.method} (seed ${p.seeds.join(", ")})`).join("; ");
  return [
    `${s.seeds.length} seed(s): ${s.seeds.join(", ")}; mean ± sample std over seeds`,
    ...aligned(means),
    ...(partial ? [`Run in some seeds only, not summarised (their seed's report has them): ${partial}`] : []),
    "",
    `Against ${s.baseline}: paired t-test over seeds (pairs = same seed; the paper's Appendix E) and over test records of the seed-averaged metric, ` +
      `with its paired bootstrap interval; n.s. = not significant at α = ${s.alpha} over records (p ≥ α or the interval contains 0)`,
    ...aligned(tests),
  ].join("\n");
}
