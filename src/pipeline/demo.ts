/**
 * `latentr3 demo`: the whole system on one dataset, stage by stage, into one run folder:
 * base model (pretrained small LM, or --model) → BIGRec SFT, latent SFT, w/o-LatentRATT SFT →
 * LR-GRPO and its ablations (group advantage, original GRPO) → the traditional baselines (Caser,
 * GRU4Rec, SASRec) → evaluation of every variant with BIGRec (lp 1) and D3 (lp 0) decoding next to
 * the baselines and most-popular (by title aggregate and by item) → report.html.
 * Each stage lives in its own sub-folder; with --resume finished stages are skipped and a killed one
 * continues from its checkpoint.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Device } from "../engine/index.js";
import { PROMPT_TEMPLATES, type PromptTemplateName } from "../data/prompt.js";
import { DECODING_CONFIG } from "../decode/decoding-config.js";
import { PRESETS } from "../llm/config.js";
import { LR_GRPO_CONFIG } from "../train/rl/config.js";
import { PRETRAIN_CONFIG } from "../train/pretrain.js";
import { SFT_CONFIG } from "../train/sft.js";
import {
  boolean,
  choice,
  configTable,
  int,
  list,
  number,
  optional,
  string,
  type ConfigOf,
} from "../util/config-table.js";
import { Recommender } from "../latent/recommender.js";
import type { LrGrpoConfig } from "../train/rl/config.js";
import type { SupervisedConfig } from "../train/supervised.js";
import { writeJsonAtomic } from "../util/atomic-file.js";
import type { DataSource } from "../data/data-source.js";
import { renderDemoReport, type DemoSummary, type StageCost } from "../eval/demo-report.js";
import { formatMetricsLine } from "../eval/format.js";
import { readReport } from "../eval/report.js";
import type { Report } from "../eval/report-schema.js";
import {
  MODEL_SUBDIR,
  claimOnRankZero,
  describeSource,
  joinJob,
  pretrainStage,
  rlStage,
  sftStage,
  trainingLogOf,
} from "./stages.js";
import { evaluateStage, popularityStage } from "./evaluation-stages.js";
import { writeFileAtomic } from "../util/atomic-file.js";
import type { Arch } from "../baselines/model.js";
import type { PopularityRanking } from "../eval/popularity-baseline.js";
import { BASELINE_TRAINING_DEFAULTS } from "../train/baseline/defaults.js";
import { baselineEvaluateStage, baselineTrainStage } from "./baseline-stages.js";
import { readJsonFile } from "../util/json-file.js";
import { RunFolder } from "../train/run-folder.js";

/**
 * The SFT epoch cap on real data (`--data`), chosen on Amazon CDs' selection split (docs/results.md):
 * at the reference's 3 the selection loss was still falling on every shared dataset; with 10 early
 * stopping ends training (CDs: best epoch 6, stopped at 7) and selection NDCG@10 rises for both
 * decodings (BIGRec 0.0038 → 0.0132, D3 0.0179 → 0.0269).
 */
export const REAL_DATA_SFT_EPOCHS = 10;

/** The demo's settings, declared once; `demoOptions` turns them into every stage's configuration. */
export const DEMO_CONFIG = configTable("demo", {
  out: string("runs/demo", "run folder (report.html lands here)"),
  model: optional("string", "Hugging Face Qwen2 folder to start from (skips pretraining)"),
  preset: choice(Object.keys(PRESETS), "tiny", "size of the from-scratch model"),
  template: choice(Object.keys(PROMPT_TEMPLATES) as PromptTemplateName[], "reference", "prompt template"),
  pretrainEpochs: int(PRETRAIN_CONFIG.fields.epochs.default, "LM pretraining epochs", { min: 1 }),
  sftEpochs: optional(
    "int",
    `maximum SFT epochs (early stopping on the selection loss, patience 1); default: ${SFT_CONFIG.fields.epochs.default} on the synthetic data, ${REAL_DATA_SFT_EPOCHS} with --data (the real-data recipe, docs/results.md)`,
    { min: 1 },
  ),
  sftLr: number(1e-3, "SFT learning rate (small models from scratch like more than the reference's 3e-4)", {
    above: 0,
  }),
  rlSteps: int(60, "LR-GRPO optimizer steps", { min: 1 }),
  ablationRlSteps: int(30, "RL steps of the two RL ablations", { min: 1 }),
  rlLr: number(2e-5, "LR-GRPO learning rate (larger ones lower the reward here; see docs/latentr3.md)", {
    above: 0,
  }),
  sigma: number(0.1, "latent noise std (the reference's 1.5 is for Qwen2.5-1.5B's scale)", { min: 0 }),
  promptsPerStep: int(16, "RL prompts per step", { min: 1 }),
  limit: int(0, "evaluate only the first N test users (0 = all)", { min: 0 }),
  quick: boolean("a few steps per stage and 30 test users: checks the installation in about a minute"),
  seed: int(42, "seed of initialisation, data order and noise"),
  seeds: {
    ...list(
      [],
      "run the whole pipeline once per seed (e.g. 1,2,3) into <out>/seed-<s>/ and report mean ± std with paired tests",
    ),
    valueName: "S,S,...",
  },
  baseline: string("BIGRec", "the method (report label) the --seeds paired tests compare against"),
  ablations: choice(
    ["every-seed", "first-seed", "none"],
    "every-seed",
    "the three ablations (w/o LatentRATT, w/o batch advantage, original GRPO): in every seed, in the first seed only, or none",
  ),
  sharePretraining: boolean(
    "with --seeds: pretrain once (first seed) and fine-tune every seed from it, as the paper's seeds fine-tune one fixed Qwen2.5",
  ),
  baselineEpochs: int(
    50,
    "maximum epochs of each traditional baseline (Caser, GRU4Rec, SASRec; early stopping, patience 5)",
    { min: 1 },
  ),
});
export type DemoConfig = ConfigOf<typeof DEMO_CONFIG>;

/** Every stage's configuration from the demo's settings (`quick`: a handful of steps per stage). */
export function demoOptions(
  c: DemoConfig,
  run: { source: DataSource; device?: Device; backend?: string; resume: boolean; overwrite: boolean },
): DemoOptions {
  const steps = c.quick ? { maxSteps: 4 } : {};
  const { seed } = c;
  return {
    out: c.out,
    ...run,
    baseModel: c.model,
    preset: c.preset,
    template: c.template,
    seed,
    pretrain: PRETRAIN_CONFIG.make({ epochs: c.pretrainEpochs, seed, checkpointEvery: 100, ...steps }),
    sft: SFT_CONFIG.make({
      epochs: c.sftEpochs ?? (run.source.dir ? REAL_DATA_SFT_EPOCHS : SFT_CONFIG.fields.epochs.default),
      lr: c.sftLr,
      seed,
      checkpointEvery: 100,
      ...steps,
    }),
    rl: LR_GRPO_CONFIG.make({
      lr: c.rlLr,
      sigma: c.sigma,
      maxSteps: c.quick ? 2 : c.rlSteps,
      warmupSteps: 5,
      promptsPerStep: c.promptsPerStep,
      microPrompts: c.promptsPerStep,
      seed,
    }),
    ablationRlSteps: c.quick ? 2 : c.ablationRlSteps,
    ...(c.ablations === "none" ? { withoutAblations: true } : {}),
    // Each evaluation sets its own length penalty (BIGRec 1, D3 0).
    decode: { ...DECODING_CONFIG.pick("beams", "maxNewTokens", "batchSize").defaults(), limit: c.quick ? 30 : c.limit },
    baselines: { epochs: c.quick ? 1 : c.baselineEpochs, patience: 5 },
  };
}

export interface DemoOptions {
  out: string;
  source: DataSource;
  /** A Hugging Face Qwen2 folder to start from instead of pretraining a small model. */
  baseModel?: string;
  preset: string;
  template: PromptTemplateName;
  seed: number;
  device?: Device;
  /** c10d backend override under a launcher (gloo or nccl). */
  backend?: string;
  resume: boolean;
  /** Start over in a used demo folder (removes only the demo's own stage folders and reports). */
  overwrite: boolean;
  pretrain: SupervisedConfig;
  sft: SupervisedConfig;
  rl: LrGrpoConfig;
  /** RL steps of the two ablations (w/o batch advantage, original GRPO). */
  ablationRlSteps: number;
  /**
   * Leave out the three ablation stages and their evaluations. Absent rather than false by default, so
   * that run folders written before the option existed keep their settings and resume.
   */
  withoutAblations?: true;
  decode: { beams: number; batchSize: number; maxNewTokens: number; limit: number };
  /** Training of the sequential baselines: each architecture's defaults with these epochs and patience. */
  baselines: { epochs: number; patience: number };
}

interface Trained {
  modelDir: string;
  cost: StageCost;
}

/** One row of the demo's table: what is evaluated (exactly one of model, baseline, popularity) and how. */
interface Evaluation {
  name: string;
  label: string;
  model?: Trained;
  baseline?: Trained;
  popularity?: PopularityRanking;
  /** The training folder whose log goes into the report, when it is not `name`. */
  trainDir?: string;
  lp: number;
  method: string;
}

/** The ablations' rows, evaluated like LatentR3 on BIGRec (lp 1). */
function ablationEvaluations(a: { noRatt: Trained; groupAdv: Trained; exactMatch: Trained }): Evaluation[] {
  return [
    {
      name: "no-ratt",
      label: "w/o LatentRATT",
      model: a.noRatt,
      lp: 1,
      method: "N=1 last hidden state as latent, SFT, lp 1",
    },
    {
      name: "rl-group",
      label: "w/o batch advantage",
      model: a.groupAdv,
      lp: 1,
      method: "N=1, SFT + GRPO group advantage, lp 1",
    },
    {
      name: "rl-original",
      label: "original GRPO",
      model: a.exactMatch,
      lp: 1,
      method: "N=1, SFT + GRPO with 0/1 exact-match reward, lp 1",
    },
  ];
}

/** What a demo writes in its folder: all that --overwrite removes. */
export const DEMO_ARTIFACTS = [
  "config.json",
  "report.json",
  "report.html",
  "pretrain",
  "bigrec",
  "latent-sft",
  "no-ratt",
  "rl",
  "rl-group",
  "rl-original",
  "caser",
  "gru4rec",
  "sasrec",
  "eval",
] as const;

/** What a multi-seed demo writes in its folder besides the seed-<s>/ runs. */
export const SEEDS_ARTIFACTS = ["config.json", "seeds.json", "seeds.txt"] as const;

/**
 * The demo's claim on its folder without the settings, for the checks made before the data loads.
 * A multi-seed demo owns its folder as `demo --seeds`: one demo run per seed inside it.
 */
export function demoFolderClaim(run: {
  resume: boolean;
  overwrite: boolean;
  model?: string;
  data?: string;
  seeds?: boolean;
}) {
  return {
    command: run.seeds ? "demo --seeds" : "demo",
    inputs: { model: run.model, data: run.data },
    resume: run.resume,
    overwrite: run.overwrite,
    artifacts: run.seeds ? [...SEEDS_ARTIFACTS, "seed-*"] : DEMO_ARTIFACTS,
  };
}

/** What defines a demo run (compared on --resume): every option but where and how it runs. */
export function demoSettings(opts: DemoOptions): Record<string, unknown> {
  const {
    source,
    device: _device,
    backend: _backend,
    resume: _resume,
    overwrite: _overwrite,
    out: _out,
    ...settings
  } = opts;
  return { ...settings, data: describeSource(source) };
}

export async function runDemo(opts: DemoOptions): Promise<{ report: string; summary: DemoSummary }> {
  const started = performance.now();
  // Under a launcher every stage runs data-parallel; rank 0 alone writes the demo's own files.
  const dp = joinJob({ device: opts.device, backend: opts.backend });
  claimOnRankZero(dp, opts.out, () =>
    RunFolder.claim(opts.out, {
      ...demoFolderClaim({ ...opts, model: opts.baseModel, data: opts.source.dir }),
      settings: demoSettings(opts),
    }),
  );
  const dir = (name: string) => join(opts.out, name);
  const costs: StageCost[] = [];
  let resumed = false;
  const done = (name: string) => opts.resume && existsSync(join(dir(name), MODEL_SUBDIR, "config.json"));
  const log = (msg: string) => dp.isRankZero && console.error(`[demo] ${msg}`);

  /**
   * Runs a training stage unless a resumed demo already finished it; its cost (steps, seconds) is kept
   * in the stage folder so a resumed demo still reports it.
   */
  async function stage(
    name: string,
    label: string,
    train: () => Promise<{ modelDir: string; seconds: number; steps: number; rec?: { dispose(): void } }>,
  ): Promise<Trained> {
    const costFile = join(dir(name), "cost.json");
    if (done(name)) {
      resumed = true;
      log(`${label}: already done (${dir(name)})`);
      const saved = existsSync(costFile) ? readJsonFile<StageCost>(costFile, "stage cost") : undefined;
      const cost = { stage: label, steps: saved?.steps ?? NaN, seconds: saved?.seconds ?? NaN };
      costs.push(cost);
      return { modelDir: join(dir(name), MODEL_SUBDIR), cost };
    }
    log(`${label} …`);
    const r = await train();
    // The model lives on in its folder: free its memory now rather than whenever the GC runs.
    r.rec?.dispose();
    const cost = { stage: label, steps: r.steps, seconds: r.seconds };
    if (dp.isRankZero) writeJsonAtomic(costFile, cost);
    costs.push(cost);
    return { modelDir: r.modelDir, cost };
  }

  const common = { source: opts.source, device: opts.device, backend: opts.backend, resume: opts.resume };
  const base = opts.baseModel
    ? { modelDir: opts.baseModel, cost: { stage: "base model (given)", steps: 0, seconds: 0 } }
    : await stage("pretrain", "LM pretraining", () =>
        pretrainStage({
          ...common,
          dir: dir("pretrain"),
          preset: opts.preset,
          template: opts.template,
          seed: opts.seed,
          config: opts.pretrain,
        }),
      );
  const sft = (name: string, label: string, numLatents: number, readout: "ratt" | "last-hidden") =>
    stage(name, label, () =>
      sftStage({ ...common, dir: dir(name), model: base.modelDir, numLatents, readout, config: opts.sft, label: name }),
    );
  const bigrec = await sft("bigrec", "BIGRec SFT", 0, "ratt");
  const latentSft = await sft("latent-sft", "latent SFT (N=1)", 1, "ratt");
  const rl = (name: string, label: string, config: LrGrpoConfig) =>
    stage(name, label, () => rlStage({ ...common, dir: dir(name), model: latentSft.modelDir, config, label: name }));
  const lrGrpo = await rl("rl", "LR-GRPO", opts.rl);
  const ablations = opts.withoutAblations ? undefined : await trainAblations();
  if (!ablations) log("ablations (w/o LatentRATT, w/o batch advantage, original GRPO) left out");

  async function trainAblations() {
    const noRatt = await sft("no-ratt", "latent SFT w/o LatentRATT", 1, "last-hidden");
    const ablation = { ...opts.rl, maxSteps: opts.ablationRlSteps };
    const groupAdv = await rl("rl-group", "LR-GRPO w/o batch advantage", { ...ablation, advantage: "group" });
    const exactMatch = await rl("rl-original", "original GRPO (0/1 exact match)", {
      ...ablation,
      advantage: "group",
      reward: "exact-match",
    });
    return { noRatt, groupAdv, exactMatch };
  }

  const baseline = (arch: Arch, label: string) =>
    stage(arch, label, () =>
      baselineTrainStage({
        ...common,
        dir: dir(arch),
        arch,
        model: {},
        training: { ...BASELINE_TRAINING_DEFAULTS[arch], ...opts.baselines, seed: opts.seed },
        selectBy: "title",
      }),
    );
  // The sequential baselines train in one process; a launched demo leaves them out (and says so).
  const withBaselines = dp.worldSize === 1;
  if (!withBaselines)
    log("Caser, GRU4Rec and SASRec run in one process: left out under launch (`latentr3 train baseline`)");
  const baselineRows: { name: string; label: string; baseline: Trained; lp: number; method: string }[] = [];
  if (withBaselines) {
    for (const [arch, label] of [
      ["caser", "Caser"],
      ["gru4rec", "GRU4Rec"],
      ["sasrec", "SASRec"],
    ] as const) {
      baselineRows.push({
        name: arch,
        label,
        baseline: await baseline(arch, label),
        lp: 1,
        method: `${label} (full ranking)`,
      });
    }
  }

  // Evaluation of every variant by the same evaluator.
  const evaluations: Evaluation[] = [
    {
      name: "popularity",
      label: "Most popular (title aggregate)",
      popularity: "titles",
      lp: 1,
      method: "most popular (train frequency, title aggregate)",
    },
    {
      name: "popularity-items",
      label: "Most popular (by item)",
      popularity: "items",
      lp: 1,
      method: "most popular (train frequency, item ranked)",
    },
    ...baselineRows,
    { name: "bigrec", label: "BIGRec", model: bigrec, lp: 1, method: "no reasoning, lp 1" },
    { name: "d3", label: "D3", model: bigrec, trainDir: "bigrec", lp: 0, method: "no reasoning, lp 0" },
    {
      name: "latent-sft",
      label: "LatentR3 w/o RL (SFT only)",
      model: latentSft,
      lp: 1,
      method: "N=1 LatentRATT, SFT only, lp 1",
    },
    {
      name: "rl",
      label: "LatentR3 (on BIGRec)",
      model: lrGrpo,
      lp: 1,
      method: "N=1 LatentRATT, SFT + LR-GRPO, lp 1",
    },
    {
      name: "rl-d3",
      label: "LatentR3 on D3",
      model: lrGrpo,
      trainDir: "rl",
      lp: 0,
      method: "N=1 LatentRATT, SFT + LR-GRPO, lp 0",
    },
    ...(ablations ? ablationEvaluations(ablations) : []),
  ];
  const reports: Report[] = [];
  for (const e of evaluations) {
    const evalDir = dir(join("eval", e.name));
    if (opts.resume && existsSync(join(evalDir, "report.json"))) {
      resumed = true;
      reports.push({ ...readReport(evalDir), run: e.label });
      continue;
    }
    let report: Report;
    if (e.popularity) {
      // A killed demo may leave an unfinished evaluation folder: it is redone.
      report = popularityStage({
        source: opts.source,
        dir: evalDir,
        limit: opts.decode.limit,
        ranking: e.popularity,
        overwrite: true,
      });
    } else if (e.baseline) {
      report = baselineEvaluateStage({
        source: opts.source,
        dir: evalDir,
        modelDir: e.baseline.modelDir,
        run: e.label,
        method: e.method,
        limit: opts.decode.limit,
        batchSize: 256,
        device: dp.device,
        overwrite: true,
      });
    } else if (e.model) {
      const rec = await Recommender.load(e.model.modelDir, {}, { device: dp.device });
      report = evaluateStage({
        source: opts.source,
        dir: evalDir,
        rec,
        run: e.label,
        method: e.method,
        lengthPenalty: e.lp,
        ...opts.decode,
        trainingLog: trainingLogOf(dir(e.trainDir ?? e.name)),
        modelDir: e.model.modelDir,
        // A killed demo's unfinished decoding continues from the rankings it saved.
        ...(opts.resume ? { resume: true } : { overwrite: true }),
      });
      rec.dispose();
    } else {
      throw new Error(`demo: evaluation ${e.name} has nothing to evaluate`);
    }
    report.run = e.label;
    if (dp.isRankZero) console.log(formatMetricsLine(report));
    reports.push(report);
  }

  const summary: DemoSummary = {
    data: opts.source,
    baseModel: opts.baseModel ?? `${opts.preset} preset, pretrained in ${dir("pretrain")}`,
    costs,
    reports,
    trainingLogs: {
      "LM pretraining": opts.baseModel ? undefined : trainingLogOf(dir("pretrain")),
      "BIGRec SFT": trainingLogOf(dir("bigrec")),
      "latent SFT": trainingLogOf(dir("latent-sft")),
      "LR-GRPO": trainingLogOf(dir("rl")),
      "LR-GRPO w/o batch advantage": trainingLogOf(dir("rl-group")),
      "original GRPO": trainingLogOf(dir("rl-original")),
      Caser: trainingLogOf(dir("caser")),
      GRU4Rec: trainingLogOf(dir("gru4rec")),
      SASRec: trainingLogOf(dir("sasrec")),
    },
    seconds: (performance.now() - started) / 1000,
    resumed,
  };
  const reportPath = join(opts.out, "report.html");
  if (dp.isRankZero) {
    writeFileAtomic(reportPath, renderDemoReport(summary));
    writeJsonAtomic(join(opts.out, "report.json"), {
      ...summary,
      data: { name: opts.source.name, protocol: opts.source.splits.protocol },
    });
  }
  return { report: reportPath, summary };
}
