/**
 * `latentr3 train pretrain | sft | rl`: thin shells over the pipeline stages (src/eval/stages.ts).
 */
import { bool, num, str, type CommandSpec, type OptionSpec } from "./command.js";
import {
  DATA_OPTIONS,
  DEVICE_OPTION,
  RL_OPTIONS,
  dataSourceFrom,
  deviceFrom,
  modelFolderFrom,
  rlFrom,
  supervisedFrom,
  supervisedOptions,
} from "./options.js";
import { pretrainStage, rlStage, sftStage } from "../pipeline/stages.js";
import { PRESETS } from "../llm/config.js";
import { DEFAULT_SUPERVISED, type SupervisedConfig } from "../train/supervised.js";
import type { PromptTemplateName } from "../data/prompt.js";

const RESUME: OptionSpec = {
  name: "resume",
  type: "boolean",
  help: "continue a killed run from its last checkpoint in --out (without it, a used --out starts over: its old checkpoints and metrics.jsonl are removed)",
};

/** Defaults for LM pretraining of a small model on the data's prompts and titles. */
export const PRETRAIN_DEFAULTS: SupervisedConfig = {
  ...DEFAULT_SUPERVISED,
  epochs: 1,
  batchSize: 16,
  microBatchSize: 16,
  lr: 1e-3,
  warmupSteps: 20,
  schedule: "cosine",
  patience: 0,
};

/** SFT defaults: the reference recipe (lr 3e-4, linear, warm-up 20, patience 1) with CPU-sized batches. */
export const SFT_DEFAULTS: SupervisedConfig = { ...DEFAULT_SUPERVISED, batchSize: 32, microBatchSize: 16 };

const pretrain: CommandSpec = {
  path: ["train", "pretrain"],
  summary: "create a small Qwen2-shaped model over a compacted vocabulary and pretrain it as a language model",
  description:
    "The model reads the data's catalogue titles and training prompts (next-token loss on every token).\n" +
    "Writes <out>/config.json, metrics.jsonl, checkpoints/ and the model folder <out>/model.",
  options: [
    { name: "out", type: "string", default: "runs/pretrain", help: "run folder" },
    { name: "preset", type: "string", choices: Object.keys(PRESETS), default: "tiny", help: "model size" },
    {
      name: "template",
      type: "string",
      choices: ["reference", "clean"],
      default: "reference",
      help: "prompt template (reference keeps the original typos)",
    },
    ...supervisedOptions(PRETRAIN_DEFAULTS),
    ...DATA_OPTIONS,
    DEVICE_OPTION,
    RESUME,
  ],
  examples: [
    "latentr3 train pretrain --out runs/pretrain",
    "latentr3 train pretrain --data ../shared/data/amazon-cds --preset small --out runs/cds-pretrain",
  ],
  async run(args) {
    const config = supervisedFrom(args); // option checks first: fail before generating data
    const source = await dataSourceFrom(args);
    const result = await pretrainStage({
      source,
      dir: str(args, "out"),
      preset: str(args, "preset"),
      template: str(args, "template") as PromptTemplateName,
      seed: num(args, "seed"),
      config,
      device: deviceFrom(args),
      resume: bool(args, "resume"),
    });
    console.log(`model saved to ${result.modelDir} (${result.steps} steps, ${result.seconds.toFixed(0)} s)`);
  },
};

const sft: CommandSpec = {
  path: ["train", "sft"],
  summary: "supervised fine-tuning: BIGRec (no latents) or LatentR3's warm-up (--latent N)",
  description:
    "Target-only cross-entropy on the quoted title, newline and EOS; all parameters train; AdamW with warm-up,\n" +
    "gradient accumulation, clipping, validation loss each epoch, early stopping and the best checkpoint restored.\n" +
    "--model is a folder from `train pretrain`, an earlier `train sft`, or a Hugging Face Qwen2 folder.",
  options: [
    { name: "model", type: "string", required: true, help: "model folder to start from" },
    { name: "out", type: "string", default: "runs/sft", help: "run folder" },
    { name: "latent", type: "int", min: 0, default: 0, help: "number of latent thoughts N (0 = BIGRec)" },
    {
      name: "readout",
      type: "string",
      choices: ["ratt", "last-hidden"],
      default: "ratt",
      help: "latent read-out: LatentRATT, or the last hidden state (w/o LatentRATT ablation)",
    },
    ...supervisedOptions(SFT_DEFAULTS),
    ...DATA_OPTIONS,
    DEVICE_OPTION,
    RESUME,
  ],
  examples: [
    "latentr3 train sft --model runs/pretrain/model --out runs/bigrec",
    "latentr3 train sft --model runs/pretrain/model --latent 1 --out runs/latent-sft",
    "latentr3 train sft --model runs/pretrain/model --latent 1 --out runs/latent-sft --resume   # after a kill: same options + --resume",
  ],
  async run(args) {
    const config = supervisedFrom(args);
    const model = modelFolderFrom(args);
    const source = await dataSourceFrom(args);
    const result = await sftStage({
      source,
      dir: str(args, "out"),
      model,
      numLatents: num(args, "latent"),
      readout: str(args, "readout") as "ratt" | "last-hidden",
      config,
      device: deviceFrom(args),
      resume: bool(args, "resume"),
    });
    console.log(`model saved to ${result.modelDir} (${result.steps} steps, ${result.seconds.toFixed(0)} s)`);
  },
};

const rl: CommandSpec = {
  path: ["train", "rl"],
  summary: "LR-GRPO: reinforce the latent thought (only LatentRATT trains)",
  description:
    "Per prompt K latent samples (sample 1 unnoised, the rest + N(0, σ²)); reward = −perplexity of the true title;\n" +
    "batch-level advantage; PPO clipped objective; cosine schedule with warm-up. Logs reward, advantage,\n" +
    "clip fraction and grad norm per step to <out>/metrics.jsonl.",
  options: [
    { name: "model", type: "string", required: true, help: "a latent-SFT model folder (with LatentRATT)" },
    { name: "out", type: "string", default: "runs/rl", help: "run folder" },
    ...RL_OPTIONS,
    ...DATA_OPTIONS,
    DEVICE_OPTION,
    RESUME,
  ],
  examples: [
    "latentr3 train rl --model runs/latent-sft/model --out runs/rl",
    "latentr3 train rl --model runs/latent-sft/model --advantage group --out runs/rl-group",
  ],
  async run(args) {
    const config = rlFrom(args);
    const model = modelFolderFrom(args);
    const source = await dataSourceFrom(args);
    const result = await rlStage({
      source,
      dir: str(args, "out"),
      model,
      config,
      device: deviceFrom(args),
      resume: bool(args, "resume"),
    });
    console.log(`model saved to ${result.modelDir} (${result.steps} steps, ${result.seconds.toFixed(0)} s)`);
  },
};

export const trainCommands: CommandSpec[] = [pretrain, sft, rl];
