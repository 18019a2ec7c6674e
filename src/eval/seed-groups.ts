/**
 * Evaluated runs of several methods and seeds, grouped for the seeds summary (seeds.ts). A pattern with
 * one capture group finds the seed:
 * - in a run's label ("pathwise-lr1e-4-seed2"): runs whose labels are equal once the match is removed
 *   are the seeds of one method, named by that remainder;
 * - else in its folder (`demo --seeds`'s "runs/cds/seed-2/eval/d3"): the method is the report's run
 *   name ("D3").
 * A run the pattern matches nowhere — a baseline trained once, such as the latent SFT every RL seed
 * starts from — stands in every seed.
 */
import type { RunReport } from "./compare.js";
import type { SeedReports } from "./seeds.js";

/** The pattern of `--seeds-from`, checked: it must have a capture group for the seed. */
export function seedPattern(source: string): RegExp {
  let pattern: RegExp;
  try {
    pattern = new RegExp(source);
  } catch (e) {
    throw new Error(`--seeds-from ${source}: not a regular expression (${(e as Error).message})`);
  }
  if (new RegExp(`${source}|`).exec("")!.length < 2)
    throw new Error(`--seeds-from ${source}: needs a capture group around the seed, e.g. "-seed(\\d+)$"`);
  return pattern;
}

/** One SeedReports per seed found, in increasing seed order; each report's `run` is its method. */
export function seedRunsFromLabels(runs: readonly RunReport[], pattern: RegExp): SeedReports[] {
  const shared: RunReport[] = [];
  const bySeed = new Map<number, Map<string, RunReport>>();
  for (const run of runs) {
    const parsed = parseRun(run, pattern);
    if (!parsed) {
      shared.push(run);
      continue;
    }
    const { method } = parsed;
    const seed = Number(parsed.seed);
    if (parsed.seed === "" || !Number.isInteger(seed))
      throw new Error(`--seeds-from: run "${run.label}": the seed "${parsed.seed}" is not an integer`);
    const methods = bySeed.get(seed) ?? new Map<string, RunReport>();
    const twin = methods.get(method);
    if (twin) throw new Error(`--seeds-from: "${twin.label}" and "${run.label}" are both seed ${seed} of "${method}"`);
    bySeed.set(seed, methods.set(method, run));
  }
  if (bySeed.size === 0)
    throw new Error(
      `--seeds-from ${pattern.source}: matches none of the runs (${runs.map((r) => JSON.stringify(r.label)).join(", ")})`,
    );
  const labelled = (run: RunReport, method: string) => ({ ...run.report, run: method });
  return [...bySeed.keys()]
    .sort((a, b) => a - b)
    .map((seed) => ({
      seed,
      reports: [
        ...shared.map((r) => labelled(r, r.label)),
        ...[...bySeed.get(seed)!].map(([method, r]) => labelled(r, method)),
      ],
    }));
}

/** The method a run belongs to under `pattern` (see the top of this file); an unmatched run's is its label. */
export function methodOf(run: RunReport, pattern: RegExp): string {
  return parseRun(run, pattern)?.method ?? run.label;
}

function parseRun(run: RunReport, pattern: RegExp): { method: string; seed: string } | undefined {
  const inLabel = pattern.exec(run.label);
  if (inLabel)
    return {
      method: run.label.slice(0, inLabel.index) + run.label.slice(inLabel.index + inLabel[0].length),
      seed: inLabel[1] ?? "",
    };
  const inFolder = pattern.exec(run.dir);
  return inFolder ? { method: run.report.run, seed: inFolder[1] ?? "" } : undefined;
}
