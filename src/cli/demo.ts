/** `latentr3 demo`: the whole pipeline on the embedded synthetic data (or --data / --model). */
import { bool, num, optStr, str, type CommandSpec } from "./command.js";
import { DATA_OPTIONS, DEVICE_OPTION, dataSourceFrom, deviceFrom } from "./options.js";
import { runDemo } from "../pipeline/demo.js";
import { PRESETS } from "../llm/config.js";
import { PRETRAIN_DEFAULTS, SFT_DEFAULTS } from "./train.js";
import { DEFAULT_LR_GRPO } from "../train/rl/lr-grpo.js";
import type { PromptTemplateName } from "../data/prompt.js";

export const demoCommand: CommandSpec = {
  path: ["demo"],
  summary: "run the whole system: pretrain, BIGRec/latent SFT, LR-GRPO + ablations, evaluation, one report.html",
  description:
    "Default: the embedded synthetic dataset and a small model pretrained from scratch (about 15 minutes on 2 cores).\n" +
    "--data DIR runs it on a real D3/MiniOneRec dataset, --model DIR starts from real Qwen2/Qwen2.5 weights.\n" +
    "Stages live in sub-folders of --out; --resume skips finished stages and continues a killed one.",
  options: [
    { name: "out", type: "string", default: "runs/demo", help: "run folder (report.html lands here)" },
    { name: "model", type: "string", help: "Hugging Face Qwen2 folder to start from (skips pretraining)" },
    {
      name: "preset",
      type: "string",
      choices: Object.keys(PRESETS),
      default: "tiny",
      help: "size of the from-scratch model",
    },
    {
      name: "template",
      type: "string",
      choices: ["reference", "clean"],
      default: "reference",
      help: "prompt template",
    },
    { name: "pretrain-epochs", type: "int", default: PRETRAIN_DEFAULTS.epochs, help: "LM pretraining epochs" },
    {
      name: "sft-epochs",
      type: "int",
      default: SFT_DEFAULTS.epochs,
      help: "maximum SFT epochs (early stopping, patience 1)",
    },
    {
      name: "sft-lr",
      type: "number",
      default: 1e-3,
      help: "SFT learning rate (small models from scratch like more than the reference's 3e-4)",
    },
    { name: "rl-steps", type: "int", default: 60, help: "LR-GRPO optimizer steps" },
    { name: "ablation-rl-steps", type: "int", default: 30, help: "RL steps of the two RL ablations" },
    {
      name: "rl-lr",
      type: "number",
      default: 2e-5,
      help: "LR-GRPO learning rate (larger ones lower the reward here; see docs/latentr3.md)",
    },
    {
      name: "sigma",
      type: "number",
      default: 0.1,
      help: "latent noise std (the reference's 1.5 is for Qwen2.5-1.5B's scale)",
    },
    { name: "prompts-per-step", type: "int", default: 16, help: "RL prompts per step" },
    { name: "limit", type: "int", default: 0, help: "evaluate only the first N test users (0 = all)" },
    {
      name: "quick",
      type: "boolean",
      help: "a few steps per stage and 30 test users: checks the installation in about a minute",
    },
    { name: "seed", type: "int", default: 42, help: "seed of initialisation, data order and noise" },
    ...DATA_OPTIONS,
    DEVICE_OPTION,
    { name: "resume", type: "boolean", help: "skip finished stages and continue a killed one" },
  ],
  examples: [
    "latentr3 demo",
    "latentr3 demo --out runs/demo --resume",
    "latentr3 demo --data ../shared/data/amazon-cds --preset small --out runs/cds-demo",
    "latentr3 demo --model /models/Qwen2.5-1.5B-Instruct --data ../shared/data/amazon-cds --device cuda",
  ],
  async run(args) {
    const source = await dataSourceFrom(args);
    const seed = num(args, "seed");
    // --quick: every stage runs a handful of steps (numbers are meaningless; the plumbing is exercised).
    const quick = bool(args, "quick");
    const steps = quick ? { maxSteps: 4 } : {};
    const { report, summary } = await runDemo({
      out: str(args, "out"),
      source,
      baseModel: optStr(args, "model"),
      preset: str(args, "preset"),
      template: str(args, "template") as PromptTemplateName,
      seed,
      device: deviceFrom(args),
      resume: bool(args, "resume"),
      pretrain: { ...PRETRAIN_DEFAULTS, epochs: num(args, "pretrain-epochs"), seed, checkpointEvery: 100, ...steps },
      sft: {
        ...SFT_DEFAULTS,
        epochs: num(args, "sft-epochs"),
        lr: num(args, "sft-lr"),
        seed,
        checkpointEvery: 100,
        ...steps,
      },
      rl: {
        ...DEFAULT_LR_GRPO,
        lr: num(args, "rl-lr"),
        sigma: num(args, "sigma"),
        maxSteps: quick ? 2 : num(args, "rl-steps"),
        warmupSteps: 5,
        promptsPerStep: num(args, "prompts-per-step"),
        microPrompts: num(args, "prompts-per-step"),
        seed,
      },
      ablationRlSteps: quick ? 2 : num(args, "ablation-rl-steps"),
      decode: { beams: 10, batchSize: 8, maxNewTokens: 128, limit: quick ? 30 : num(args, "limit") },
    });
    const took = `${(summary.seconds / 60).toFixed(1)} min${summary.resumed ? " (resumed: finished stages skipped)" : ""}`;
    console.log(`demo finished in ${took}; report: ${report}`);
  },
};
