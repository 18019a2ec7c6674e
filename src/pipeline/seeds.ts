/**
 * One experiment over several seeds: each seed runs the whole pipeline into `<out>/seed-<s>/` (so a
 * killed sweep resumes seed by seed with --resume), then the reports are summarised as mean ± std per
 * method with paired tests against a baseline method (eval/seeds.ts), written to `<out>/seeds.json`
 * and `<out>/seeds.txt`. The data, its test records and the decoding settings are the same for every
 * seed; only initialisation, data order and RL noise change.
 */
import { join } from "node:path";
import type { Report } from "../eval/report-schema.js";
import {
  formatSeedsSummary,
  summariseSeeds,
  type SeedReports,
  type SeedsOptions,
  type SeedsSummary,
} from "../eval/seeds.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic-file.js";
import { RunFolder } from "../train/run-folder.js";
import { DataParallel } from "../distributed/index.js";
import { demoFolderClaim, demoSettings, runDemo, type DemoOptions } from "./demo.js";
import { MODEL_SUBDIR, claimOnRankZero, joinJob } from "./stages.js";

export const SEEDS_JSON = "seeds.json";
export const SEEDS_TXT = "seeds.txt";

/** The folder of one seed's run. */
export const seedDir = (out: string, seed: number): string => join(out, `seed-${seed}`);

/**
 * Runs `runSeed` per seed, summarises the reports, writes seeds.json and seeds.txt into `out` (in a
 * distributed job every rank runs the seeds together and rank 0 alone logs and writes).
 */
export async function runSeeds(
  seeds: readonly number[],
  out: string,
  runSeed: (seed: number, dir: string) => Promise<readonly Report[]>,
  options: SeedsOptions,
  dp: DataParallel = DataParallel.single(),
): Promise<{ summary: SeedsSummary; text: string }> {
  if (seeds.length === 0) throw new Error("--seeds: expected at least one seed");
  if (new Set(seeds).size !== seeds.length) throw new Error(`--seeds: repeated seed in ${seeds.join(",")}`);
  const started = performance.now();
  const runs: SeedReports[] = [];
  for (const [i, seed] of seeds.entries()) {
    const minutes = ((performance.now() - started) / 60_000).toFixed(1);
    if (dp.isRankZero)
      console.error(
        `[seeds] seed ${seed} (${i + 1} of ${seeds.length}; ${minutes} min so far) → ${seedDir(out, seed)}`,
      );
    runs.push({ seed, reports: await runSeed(seed, seedDir(out, seed)) });
  }
  const summary = summariseSeeds(runs, options);
  const text = formatSeedsSummary(summary);
  if (dp.isRankZero) {
    writeJsonAtomic(join(out, SEEDS_JSON), summary);
    writeFileAtomic(join(out, SEEDS_TXT), `${text}\n`);
  }
  return { summary, text };
}

/** How a multi-seed demo shares work between its seeds. */
export interface DemoSeedsPlan {
  /** The method (report label) the paired tests compare against. */
  baseline: string;
  /** Run the ablations in the first seed only (the ablation table is one seed's, as in the paper). */
  ablationsFirstSeedOnly: boolean;
  /**
   * Pretrain once, in the first seed, and fine-tune every seed from that model: the paper's seeds
   * fine-tune one fixed pretrained Qwen2.5, so the spread is the fine-tuning's, not the pretraining's.
   */
  sharePretraining: boolean;
}

/**
 * `latentr3 demo --seeds …`: the demo once per seed, every component seeded with that seed. The
 * folder is claimed as a `demo --seeds` run (resumed seed by seed, or started over as a whole).
 */
export async function runDemoSeeds(
  opts: DemoOptions,
  seeds: readonly number[],
  plan: DemoSeedsPlan = { baseline: "BIGRec", ablationsFirstSeedOnly: false, sharePretraining: false },
): Promise<{ summary: SeedsSummary; text: string }> {
  const dp = joinJob({ device: opts.device, backend: opts.backend });
  // The sharing options are recorded only when set, so folders from before them still resume.
  const sharing = {
    ...(plan.ablationsFirstSeedOnly ? { ablations: "first-seed" } : {}),
    ...(plan.sharePretraining ? { sharePretraining: true } : {}),
  };
  claimOnRankZero(dp, opts.out, () =>
    RunFolder.claim(opts.out, {
      ...demoFolderClaim({ ...opts, model: opts.baseModel, data: opts.source.dir, seeds: true }),
      settings: { seeds, baseline: plan.baseline, ...sharing, ...demoSettings({ ...opts, seed: 0 }) },
    }),
  );
  const first = seeds[0]!;
  const sharedBase =
    plan.sharePretraining && !opts.baseModel ? join(seedDir(opts.out, first), "pretrain", MODEL_SUBDIR) : undefined;
  return runSeeds(
    seeds,
    opts.out,
    async (seed, dir) => {
      const later = seed !== first;
      const { summary } = await runDemo({
        ...opts,
        overwrite: false,
        out: dir,
        seed,
        ...(later && sharedBase ? { baseModel: sharedBase } : {}),
        ...(later && plan.ablationsFirstSeedOnly ? { withoutAblations: true } : {}),
        pretrain: { ...opts.pretrain, seed },
        sft: { ...opts.sft, seed },
        rl: { ...opts.rl, seed },
      });
      return summary.reports;
    },
    { baseline: plan.baseline },
    dp,
  );
}
