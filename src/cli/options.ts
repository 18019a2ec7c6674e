/**
 * Option groups shared by several commands (data source, training knobs, decoding), declared once
 * with their conversion into configuration objects.
 */
import { bool, num, optStr, str, UsageError, type OptionSpec, type ParsedArgs } from "./command.js";
import { loadDataSource, type DataSource } from "../data/data-source.js";
import { SYNTHETIC_DEFAULTS } from "../data/synthetic/generate.js";
import type { SupervisedConfig } from "../train/supervised.js";
import { DEFAULT_LR_GRPO, type LrGrpoConfig } from "../train/rl/lr-grpo.js";
import { defaultDevice } from "../engine/index.js";
import { modelFolderProblem } from "../llm/checkpoint.js";
import { existsSync, statSync } from "node:fs";

export const DATA_OPTIONS: OptionSpec[] = [
  {
    name: "data",
    type: "string",
    help: "dataset folder (D3 or MiniOneRec layout); default: the embedded synthetic dataset",
  },
  { name: "stem", type: "string", help: "which dataset when the folder holds several info/<stem>.txt" },
  { name: "phrase", type: "string", help: 'prompt category phrase, e.g. "musics" (default: from the dataset name)' },
  { name: "skip-bad-rows", type: "boolean", help: "skip malformed rows (counted per reason) instead of failing" },
  { name: "synth-seed", type: "int", default: SYNTHETIC_DEFAULTS.seed, help: "seed of the synthetic dataset" },
  {
    name: "synth-users",
    type: "int",
    min: 1,
    default: SYNTHETIC_DEFAULTS.users,
    help: "users of the synthetic dataset",
  },
  {
    name: "synth-items",
    type: "int",
    min: 20,
    default: SYNTHETIC_DEFAULTS.items,
    help: "items of the synthetic dataset",
  },
];

export async function dataSourceFrom(args: ParsedArgs): Promise<DataSource> {
  const data = optStr(args, "data");
  if (data !== undefined && (!existsSync(data) || !statSync(data).isDirectory())) {
    const what = existsSync(data) ? "is a file, not a folder" : "no such folder";
    throw new UsageError(
      `--data ${data}: ${what} (expected a dataset folder with info/<stem>.txt and {train,valid,test}/<stem>.csv)`,
    );
  }
  try {
    return await loadDataSource({
      data,
      stem: optStr(args, "stem"),
      phrase: optStr(args, "phrase"),
      skipBadRows: bool(args, "skip-bad-rows"),
      synthetic: { seed: num(args, "synth-seed"), users: num(args, "synth-users"), items: num(args, "synth-items") },
    });
  } catch (err) {
    // Name the option in errors about the folder itself ("<dir>: not a dataset folder ...").
    const e = err as Error;
    if (data !== undefined && e.message.startsWith(`${data}:`)) e.message = `--data ${e.message}`;
    throw e;
  }
}

/**
 * The --model folder, checked before any data is loaded or generated: a wrong path fails at once,
 * naming the option, the path and what a model folder holds.
 */
export function modelFolderFrom(args: ParsedArgs): string {
  const dir = str(args, "model");
  const problem = modelFolderProblem(dir);
  if (problem) throw new UsageError(`--model ${dir}: ${problem}`);
  return dir;
}

export const DEVICE_OPTION: OptionSpec = {
  name: "device",
  type: "string",
  help: "cpu, cuda or cuda:N (default: cuda when libtorch has a GPU, else cpu)",
};

export function deviceFrom(args: ParsedArgs): string {
  return optStr(args, "device") ?? defaultDevice();
}

export function supervisedOptions(defaults: SupervisedConfig): OptionSpec[] {
  return [
    { name: "epochs", type: "int", min: 1, default: defaults.epochs, help: "maximum epochs" },
    {
      name: "batch-size",
      type: "int",
      min: 1,
      default: defaults.batchSize,
      help: "examples per optimizer step (global batch)",
    },
    {
      name: "micro-batch-size",
      type: "int",
      min: 1,
      default: defaults.microBatchSize,
      help: "examples per forward/backward",
    },
    { name: "lr", type: "number", above: 0, default: defaults.lr, help: "peak learning rate (AdamW)" },
    { name: "warmup-steps", type: "int", min: 0, default: defaults.warmupSteps, help: "linear warm-up steps" },
    {
      name: "schedule",
      type: "string",
      choices: ["linear", "cosine", "constant"],
      default: defaults.schedule,
      help: "learning-rate schedule after warm-up",
    },
    {
      name: "weight-decay",
      type: "number",
      min: 0,
      default: defaults.weightDecay,
      help: "AdamW decoupled weight decay",
    },
    { name: "max-grad-norm", type: "number", above: 0, default: defaults.maxGradNorm, help: "gradient-norm clipping" },
    {
      name: "patience",
      type: "int",
      min: 0,
      default: defaults.patience,
      help: "epochs without validation improvement before stopping (0 = off)",
    },
    {
      name: "max-steps",
      type: "int",
      min: 0,
      default: defaults.maxSteps,
      help: "stop after this many optimizer steps (0 = no limit)",
    },
    {
      name: "checkpoint-every",
      type: "int",
      min: 1,
      default: defaults.checkpointEvery,
      help: "optimizer steps between resumable checkpoints",
    },
    { name: "seed", type: "int", default: defaults.seed, help: "seed of data order and initialisation" },
  ];
}

export function supervisedFrom(args: ParsedArgs): SupervisedConfig {
  const c: SupervisedConfig = {
    epochs: num(args, "epochs"),
    batchSize: num(args, "batch-size"),
    microBatchSize: num(args, "micro-batch-size"),
    lr: num(args, "lr"),
    warmupSteps: num(args, "warmup-steps"),
    schedule: str(args, "schedule") as SupervisedConfig["schedule"],
    weightDecay: num(args, "weight-decay"),
    maxGradNorm: num(args, "max-grad-norm"),
    patience: num(args, "patience"),
    maxSteps: num(args, "max-steps"),
    checkpointEvery: num(args, "checkpoint-every"),
    seed: num(args, "seed"),
  };
  if (c.batchSize % c.microBatchSize !== 0) {
    throw new UsageError(
      `--batch-size (${c.batchSize}) must be a multiple of --micro-batch-size (${c.microBatchSize}): a batch is split into equal micro-batches`,
    );
  }
  return c;
}

export const RL_OPTIONS: OptionSpec[] = [
  {
    name: "samples",
    type: "int",
    min: 2,
    default: DEFAULT_LR_GRPO.samples,
    help: "latent samples per prompt K (sample 1 unnoised)",
  },
  {
    name: "sigma",
    type: "number",
    min: 0,
    default: DEFAULT_LR_GRPO.sigma,
    help: "std of the Gaussian noise on the (last) latent",
  },
  {
    name: "prompts-per-step",
    type: "int",
    min: 1,
    default: DEFAULT_LR_GRPO.promptsPerStep,
    help: "prompts per optimizer step (the advantage's batch)",
  },
  {
    name: "micro-prompts",
    type: "int",
    min: 1,
    default: DEFAULT_LR_GRPO.microPrompts,
    help: "prompts per forward/backward",
  },
  {
    name: "lr",
    type: "number",
    above: 0,
    default: DEFAULT_LR_GRPO.lr,
    help: "peak learning rate of LatentRATT (AdamW)",
  },
  {
    name: "warmup-steps",
    type: "int",
    min: 0,
    default: DEFAULT_LR_GRPO.warmupSteps,
    help: "warm-up steps of the cosine schedule",
  },
  { name: "epochs", type: "int", min: 1, default: DEFAULT_LR_GRPO.epochs, help: "passes over the training prompts" },
  {
    name: "max-steps",
    type: "int",
    min: 0,
    default: DEFAULT_LR_GRPO.maxSteps,
    help: "stop after this many steps (0 = the epochs' worth)",
  },
  { name: "clip-low", type: "number", min: 0, below: 1, default: DEFAULT_LR_GRPO.clipLow, help: "PPO ε_low" },
  { name: "clip-high", type: "number", min: 0, default: DEFAULT_LR_GRPO.clipHigh, help: "PPO ε_high" },
  {
    name: "iterations",
    type: "int",
    min: 1,
    default: DEFAULT_LR_GRPO.iterations,
    help: "policy updates per sampled batch (1 = ratio 1, as the reference)",
  },
  {
    name: "max-grad-norm",
    type: "number",
    above: 0,
    default: DEFAULT_LR_GRPO.maxGradNorm,
    help: "gradient-norm clipping",
  },
  {
    name: "advantage",
    type: "string",
    choices: ["batch", "group"],
    default: DEFAULT_LR_GRPO.advantage,
    help: "batch-level (LR-GRPO) or group-level (ablation) advantage",
  },
  {
    name: "reward",
    type: "string",
    choices: ["perplexity", "exact-match"],
    default: DEFAULT_LR_GRPO.reward,
    help: "negative perplexity of the true title (LR-GRPO), or 0/1 exact match of a generated answer (original GRPO)",
  },
  {
    name: "policy",
    type: "string",
    choices: ["target-likelihood", "gaussian"],
    default: DEFAULT_LR_GRPO.policy,
    help: "PPO ratio on the answer's likelihood under the noisy latent (paper), or on the latent's Gaussian density",
  },
  {
    name: "checkpoint-every",
    type: "int",
    min: 1,
    default: DEFAULT_LR_GRPO.checkpointEvery,
    help: "steps between resumable checkpoints",
  },
  { name: "seed", type: "int", default: DEFAULT_LR_GRPO.seed, help: "seed of prompt order and noise" },
];

export function rlFrom(args: ParsedArgs): LrGrpoConfig {
  const c: LrGrpoConfig = {
    ...DEFAULT_LR_GRPO,
    samples: num(args, "samples"),
    sigma: num(args, "sigma"),
    promptsPerStep: num(args, "prompts-per-step"),
    microPrompts: num(args, "micro-prompts"),
    lr: num(args, "lr"),
    warmupSteps: num(args, "warmup-steps"),
    epochs: num(args, "epochs"),
    maxSteps: num(args, "max-steps"),
    clipLow: num(args, "clip-low"),
    clipHigh: num(args, "clip-high"),
    iterations: num(args, "iterations"),
    maxGradNorm: num(args, "max-grad-norm"),
    advantage: str(args, "advantage") as LrGrpoConfig["advantage"],
    reward: str(args, "reward") as LrGrpoConfig["reward"],
    policy: str(args, "policy") as LrGrpoConfig["policy"],
    checkpointEvery: num(args, "checkpoint-every"),
    seed: num(args, "seed"),
  };
  return c;
}

export const DECODE_OPTIONS: OptionSpec[] = [
  { name: "beams", type: "int", min: 1, default: 10, help: "beam width = recommendations per user" },
  { name: "length-penalty", type: "number", default: 1, help: "1 = BIGRec (length-normalised), 0 = D3" },
  {
    name: "max-new-tokens",
    type: "int",
    min: 1,
    default: 128,
    help: "longest generated title, in tokens (the reference uses 128; one CDs title has 95)",
  },
  { name: "eval-batch-size", type: "int", min: 1, default: 8, help: "users decoded together" },
  { name: "limit", type: "int", min: 0, default: 0, help: "evaluate only the first N test users (0 = all)" },
];

export function decodeFrom(args: ParsedArgs) {
  return {
    beams: num(args, "beams"),
    lengthPenalty: num(args, "length-penalty"),
    maxNewTokens: num(args, "max-new-tokens"),
    batchSize: num(args, "eval-batch-size"),
    limit: num(args, "limit"),
  };
}
