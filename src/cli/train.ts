/**
 * `latentr3 train pretrain | sft | rl`: thin shells over the pipeline stages (src/pipeline/stages.ts).
 */
import { trainBaselineCommand } from "./baseline.js";
import type { CommandSpec, ParsedArgs } from "./command.js";
import { dataSourceFrom, deviceFrom, modelFolderFrom } from "./options.js";
import { DATA_SOURCE_CONFIG } from "../data/data-source.js";
import { DEVICE_CONFIG } from "../engine/index.js";
import { DISTRIBUTED_CONFIG, isRankZeroProcess } from "../distributed/index.js";
import {
  PRETRAIN_STAGE,
  RL_STAGE,
  SFT_STAGE,
  STAGE_COMMANDS,
  pretrainStage,
  rlStage,
  sftStage,
  type RunFolderOptions,
} from "../pipeline/stages.js";
import { PRETRAIN_CONFIG } from "../train/pretrain.js";
import { LR_GRPO_CONFIG } from "../train/rl/config.js";
import { HELD_OUT_REWARD_CONFIG } from "../train/rl/held-out-reward.js";
import { RUN_CONFIG, TRAINING_ARTIFACTS, checkRunFolder } from "../train/run-folder.js";
import { SFT_CONFIG } from "../train/sft.js";
import { LORA_CONFIG, loraFromConfig } from "../llm/lora.js";

/** The run-folder checks that need no data, made before any data is loaded or generated. */
function checkOut(args: ParsedArgs, out: string, command: string, model?: string): RunFolderOptions {
  const run = RUN_CONFIG.from(args.values);
  const data = DATA_SOURCE_CONFIG.from(args.values).data;
  checkRunFolder(out, { command, inputs: { model, data }, ...run, artifacts: TRAINING_ARTIFACTS });
  return run;
}

/** Under a launcher, rank 0 alone saved the model and says so. */
function printSaved(result: { modelDir: string; steps: number; seconds: number }): void {
  if (!isRankZeroProcess()) return;
  console.log(`model saved to ${result.modelDir} (${result.steps} steps, ${result.seconds.toFixed(0)} s)`);
}

const pretrain: CommandSpec = {
  path: ["train", "pretrain"],
  summary: "create a small Qwen2-shaped model over a compacted vocabulary and pretrain it as a language model",
  description:
    "The model reads the data's catalogue titles and training prompts (next-token loss on every token).\n" +
    "Writes <out>/config.json, metrics.jsonl, checkpoints/ and the model folder <out>/model.",
  options: [PRETRAIN_STAGE, PRETRAIN_CONFIG, DATA_SOURCE_CONFIG, DEVICE_CONFIG, DISTRIBUTED_CONFIG, RUN_CONFIG],
  examples: [
    "latentr3 train pretrain --out runs/pretrain",
    "latentr3 train pretrain --data ../shared/data/amazon-cds --preset small --out runs/cds-pretrain",
  ],
  async run(args) {
    const stage = PRETRAIN_STAGE.from(args.values);
    const config = PRETRAIN_CONFIG.from(args.values);
    const run = checkOut(args, stage.out, STAGE_COMMANDS.pretrain);
    const device = deviceFrom(args);
    const source = await dataSourceFrom(args);
    printSaved(
      await pretrainStage({
        source,
        dir: stage.out,
        preset: stage.preset,
        template: stage.template,
        seed: config.seed,
        config,
        device,
        ...DISTRIBUTED_CONFIG.from(args.values),
        ...run,
      }),
    );
  },
};

const sft: CommandSpec = {
  path: ["train", "sft"],
  summary: "supervised fine-tuning: BIGRec (no latents) or LatentR3's warm-up (--latent N)",
  description:
    "Target-only cross-entropy on the quoted title, newline and EOS; all parameters train (with --lora-rank, only\n" +
    "LoRA adapters and LatentRATT, saved as a PEFT adapter folder over --model); AdamW with warm-up,\n" +
    "gradient accumulation, clipping, validation loss each epoch, early stopping and the best checkpoint restored.\n" +
    "--model is a folder from `train pretrain`, an earlier `train sft`, or a Hugging Face Qwen2 folder.",
  options: [SFT_STAGE, SFT_CONFIG, LORA_CONFIG, DATA_SOURCE_CONFIG, DEVICE_CONFIG, DISTRIBUTED_CONFIG, RUN_CONFIG],
  examples: [
    "latentr3 train sft --model runs/pretrain/model --out runs/bigrec",
    "latentr3 train sft --model runs/pretrain/model --latent 1 --out runs/latent-sft",
    "latentr3 train sft --model runs/pretrain/model --latent 1 --out runs/latent-sft --resume   # after a kill: same options + --resume",
    "latentr3 train sft --model /models/Qwen2.5-3B --latent 1 --lora-rank 16 --grad-checkpointing --precision bf16 --device cuda --out runs/lora",
    "latentr3 launch --nproc 2 -- train sft --model runs/pretrain/model --out runs/bigrec   # data-parallel on 2 processes / GPUs",
  ],
  async run(args) {
    const stage = SFT_STAGE.from(args.values);
    const model = modelFolderFrom(args);
    const run = checkOut(args, stage.out, STAGE_COMMANDS.sft, model);
    const device = deviceFrom(args);
    const source = await dataSourceFrom(args);
    printSaved(
      await sftStage({
        source,
        dir: stage.out,
        model,
        numLatents: stage.latent,
        readout: stage.readout,
        config: SFT_CONFIG.from(args.values),
        lora: loraFromConfig(LORA_CONFIG.from(args.values)),
        device,
        ...DISTRIBUTED_CONFIG.from(args.values),
        ...run,
      }),
    );
  },
};

const rl: CommandSpec = {
  path: ["train", "rl"],
  summary: "LR-GRPO: reinforce the latent thought (only LatentRATT trains)",
  description:
    "Per prompt K latent samples (sample 1 unnoised, the rest + N(0, σ²)); reward = −perplexity of the true title;\n" +
    "batch-level advantage; PPO clipped objective; cosine schedule with warm-up. Logs reward, advantage,\n" +
    "clip fraction and grad norm per step to <out>/metrics.jsonl, and every --eval-every steps the unnoised reward\n" +
    "on fixed prompts (eval_reward: selection split, never trained on; eval_train_reward: training prompts).",
  options: [
    RL_STAGE,
    LR_GRPO_CONFIG,
    HELD_OUT_REWARD_CONFIG,
    DATA_SOURCE_CONFIG,
    DEVICE_CONFIG,
    DISTRIBUTED_CONFIG,
    RUN_CONFIG,
  ],
  examples: [
    "latentr3 train rl --model runs/latent-sft/model --out runs/rl",
    "latentr3 train rl --model runs/latent-sft/model --advantage group --out runs/rl-group",
  ],
  async run(args) {
    const stage = RL_STAGE.from(args.values);
    const model = modelFolderFrom(args);
    const run = checkOut(args, stage.out, STAGE_COMMANDS.rl, model);
    const device = deviceFrom(args);
    const source = await dataSourceFrom(args);
    printSaved(
      await rlStage({
        source,
        dir: stage.out,
        model,
        config: LR_GRPO_CONFIG.from(args.values),
        heldOut: HELD_OUT_REWARD_CONFIG.from(args.values),
        device,
        ...DISTRIBUTED_CONFIG.from(args.values),
        ...run,
      }),
    );
  },
};

export const trainCommands: CommandSpec[] = [pretrain, sft, rl, trainBaselineCommand];
