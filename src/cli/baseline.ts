/** `latentr3 train baseline`: SASRec, GRU4Rec or Caser, one run or the paper's grid (src/pipeline/baseline-stages.ts). */
import { bool, list, optNum, optStr, str, UsageError, type CommandSpec, type ParsedArgs } from "./command.js";
import { DATA_OPTIONS, DEVICE_OPTION, dataSourceFrom, deviceFrom } from "./options.js";
import { ARCHS, type Arch } from "../baselines/model.js";
import type { ConfigOverrides } from "../baselines/config.js";
import { SASREC_NORMS } from "../baselines/sasrec.js";
import { baselineTrainStage } from "../pipeline/baseline-stages.js";
import { BASELINE_TRAINING_DEFAULTS } from "../train/baseline/defaults.js";
import { PAPER_GRID, type GridPoint } from "../train/baseline/grid.js";
import type { BaselineTrainingConfig } from "../train/baseline/trainer.js";
import type { SelectionHits } from "../eval/baseline-predictions.js";

/** Model-size options and the config.json field each sets (only when given: the architecture's default otherwise). */
const MODEL_OPTIONS: [option: string, field: string, help: string][] = [
  ["hidden-size", "hidden_size", "hidden / embedding size d (default 64)"],
  ["max-len", "max_len", "history items read: SASRec and GRU4Rec 10, Caser's L 5"],
  ["dropout", "dropout", "dropout rate (default SASRec and GRU4Rec 0.2, Caser 0.5)"],
  ["blocks", "num_blocks", "SASRec: self-attention blocks (default 2)"],
  ["heads", "num_heads", "SASRec: attention heads (default 1)"],
  ["layers", "num_layers", "GRU4Rec: GRU layers (default 1)"],
  ["embedding-size", "embedding_size", "GRU4Rec: item embedding size (default 64)"],
];

/** Training options and the config field each sets (only when given: the architecture's default otherwise). */
const TRAINING_OPTIONS: [option: string, field: keyof BaselineTrainingConfig, type: "int" | "number", help: string][] =
  [
    ["epochs", "epochs", "int", "maximum epochs (default 200)"],
    ["batch-size", "batchSize", "int", "rows per step (default 128; Caser 512)"],
    ["lr", "lr", "number", "Adam learning rate without --grid (default 1e-3)"],
    ["weight-decay", "weightDecay", "number", "Adam L2 weight decay without --grid (default 0; Caser 1e-6)"],
    ["negatives", "negatives", "int", "sampled negatives per positive (default 1; Caser 3)"],
    ["patience", "patience", "int", "selection evaluations without improvement before stopping (default 10; 0 = off)"],
    ["eval-every", "evalEvery", "int", "epochs between selection evaluations (default 1)"],
    ["seed", "seed", "int", "seed of initialisation, batch order, negatives and dropout (default 42)"],
  ];

function trainingFrom(args: ParsedArgs, arch: Arch): BaselineTrainingConfig {
  const config: BaselineTrainingConfig = { ...BASELINE_TRAINING_DEFAULTS[arch] };
  for (const [option, field] of TRAINING_OPTIONS) {
    const v = optNum(args, option);
    if (v !== undefined) (config as unknown as Record<string, number>)[field] = v;
  }
  const positions = optStr(args, "positions");
  if (positions !== undefined) config.positions = positions as BaselineTrainingConfig["positions"];
  if (arch === "caser" && config.positions === "all") {
    throw new UsageError("--positions all: Caser reads one window per row and trains on the row's target only");
  }
  return config;
}

/** The paper's grid, or the product of --grid-lr and --grid-weight-decay where given. */
function gridFrom(args: ParsedArgs): GridPoint[] {
  const values = (name: string, paper: number[]): number[] => {
    const given = list(args, name);
    if (given.length === 0) return paper;
    return given.map((v) => {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n) || n < 0) {
        throw new UsageError(`--${name}: "${v}" is not a non-negative number (expected e.g. 1e-3,1e-4)`);
      }
      return n;
    });
  };
  const lrs = values("grid-lr", [...new Set(PAPER_GRID.map((p) => p.lr))]);
  const decays = values("grid-weight-decay", [...new Set(PAPER_GRID.map((p) => p.weightDecay))]);
  if (lrs.some((lr) => lr === 0)) throw new UsageError("--grid-lr: a learning rate must be > 0");
  return lrs.flatMap((lr) => decays.map((weightDecay) => ({ lr, weightDecay })));
}

function modelFrom(args: ParsedArgs): ConfigOverrides {
  const overrides: ConfigOverrides = {};
  for (const [option, field] of MODEL_OPTIONS) {
    const v = optNum(args, option);
    if (v !== undefined) overrides[field] = v;
  }
  const norm = optStr(args, "norm");
  if (norm !== undefined) overrides.norm = norm;
  return overrides;
}

export const trainBaselineCommand: CommandSpec = {
  path: ["train", "baseline"],
  summary: "train a traditional sequential recommender (SASRec, GRU4Rec, Caser) on the same rows as the LLM methods",
  description:
    "Binary cross-entropy with sampled negatives (never the positive), Adam with L2 weight decay, early stopping on\n" +
    "NDCG@10 on the selection split (never test). --grid trains lr ∈ {1e-2, 1e-3, 1e-4} × weight decay ∈\n" +
    "{1e-4, 1e-5, 1e-6} in <out>/grid/<point>/ and keeps the best point. Writes <out>/config.json,\n" +
    "metrics.jsonl, checkpoints/ and the model folder <out>/model (config.json + model.safetensors), which\n" +
    "`latentr3 eval --model <out>/model` evaluates. docs/baselines.md has the details.",
  options: [
    { name: "arch", type: "string", required: true, choices: ARCHS, help: "sasrec, gru4rec or caser" },
    { name: "out", type: "string", help: "run folder (default runs/<arch>)" },
    { name: "grid", type: "boolean", help: "the paper's 3 × 3 grid of learning rate and weight decay" },
    {
      name: "grid-lr",
      type: "list",
      help: "with --grid: learning rates to search instead of the paper's 1e-2,1e-3,1e-4",
    },
    {
      name: "grid-weight-decay",
      type: "list",
      help: "with --grid: weight decays to search instead of the paper's 1e-4,1e-5,1e-6",
    },
    {
      name: "positions",
      type: "string",
      choices: ["all", "target"],
      help: "train on every position of a row's history or on its target only (default: all; Caser: target)",
    },
    {
      name: "select-by",
      type: "string",
      choices: ["title", "item"],
      default: "title",
      help: "selection NDCG@10 with hits by title (as the tables report) or by item id",
    },
    ...TRAINING_OPTIONS.map(([name, , type, help]) => ({ name, type, min: 0, help })),
    ...MODEL_OPTIONS.map(([name, , help]) => ({ name, type: "number" as const, min: 0, help })),
    {
      name: "norm",
      type: "string",
      choices: SASREC_NORMS,
      help: "SASRec: layer-norm placement: original (the paper's, default), or the current port's post / pre (docs/baselines.md)",
    },
    ...DATA_OPTIONS,
    DEVICE_OPTION,
    {
      name: "resume",
      type: "boolean",
      help: "continue a killed run (or grid) from its last checkpoint in --out (without it, a used --out starts over)",
    },
  ],
  examples: [
    "latentr3 train baseline --arch sasrec --out runs/sasrec",
    "latentr3 train baseline --arch sasrec --grid --data ../shared/data/amazon-cds --out runs/cds-sasrec",
    "latentr3 train baseline --arch caser --grid --data ../shared/data/amazon-cds --out runs/cds-caser --resume",
  ],
  async run(args) {
    const arch = str(args, "arch") as Arch;
    const training = trainingFrom(args, arch);
    const model = modelFrom(args);
    const source = await dataSourceFrom(args);
    const dir = optStr(args, "out") ?? `runs/${arch}`;
    const result = await baselineTrainStage({
      source,
      dir,
      arch,
      model,
      training,
      ...(bool(args, "grid") ? { grid: gridFrom(args) } : {}),
      selectBy: str(args, "select-by") as SelectionHits,
      device: deviceFrom(args),
      resume: bool(args, "resume"),
    });
    console.log(
      `model saved to ${result.modelDir} (selection NDCG@10 ${result.best.toFixed(4)}, ${result.seconds.toFixed(0)} s)`,
    );
  },
};
