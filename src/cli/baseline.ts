/** `latentr3 train baseline`: SASRec, GRU4Rec or Caser, one run or the paper's grid (src/pipeline/baseline-stages.ts). */
import { UsageError, type CommandSpec } from "./command.js";
import { dataSourceFrom, deviceFrom } from "./options.js";
import { BASELINE_MODEL_CONFIG, modelOverrides } from "../baselines/config.js";
import type { Arch } from "../baselines/model.js";
import { DATA_SOURCE_CONFIG } from "../data/data-source.js";
import { DEVICE_CONFIG } from "../engine/index.js";
import {
  BASELINE_ARTIFACTS,
  BASELINE_COMMAND,
  BASELINE_STAGE,
  baselineTrainStage,
} from "../pipeline/baseline-stages.js";
import { BASELINE_TRAINING_CONFIG, baselineTraining } from "../train/baseline/defaults.js";
import { gridPoints } from "../train/baseline/grid.js";
import { RUN_CONFIG, checkRunFolder } from "../train/run-folder.js";
import { ConfigError } from "../util/config-table.js";

/** Settings that only fail together (Caser with --positions all, a bad grid value) are usage errors. */
function usage<T>(derive: () => T): T {
  try {
    return derive();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`train baseline: ${err.message}`);
    throw err;
  }
}

export const trainBaselineCommand: CommandSpec = {
  path: ["train", "baseline"],
  summary: "train a traditional sequential recommender (SASRec, GRU4Rec, Caser) on the same rows as the LLM methods",
  description:
    "Binary cross-entropy with sampled negatives (never the positive), Adam with L2 weight decay, early stopping on\n" +
    "NDCG@10 on the selection split (never test). --grid trains lr ∈ {1e-2, 1e-3, 1e-4} × weight decay ∈\n" +
    "{1e-4, 1e-5, 1e-6} in <out>/grid/<point>/ and keeps the best point. Writes <out>/config.json,\n" +
    "metrics.jsonl, checkpoints/ and the model folder <out>/model (config.json + model.safetensors), which\n" +
    "`latentr3 eval --model <out>/model` evaluates. Model and training settings left unset keep the\n" +
    "architecture's defaults. docs/baselines.md has the details.",
  options: [
    BASELINE_STAGE,
    BASELINE_TRAINING_CONFIG,
    BASELINE_MODEL_CONFIG,
    DATA_SOURCE_CONFIG,
    DEVICE_CONFIG,
    RUN_CONFIG,
  ],
  examples: [
    "latentr3 train baseline --arch sasrec --out runs/sasrec",
    "latentr3 train baseline --arch sasrec --grid --data ../shared/data/amazon-cds --out runs/cds-sasrec",
    "latentr3 train baseline --arch alpharec --model runs/demo/model --out runs/alpharec",
    "latentr3 train baseline --arch caser --grid --data ../shared/data/amazon-cds --out runs/cds-caser --resume",
  ],
  async run(args) {
    const stage = BASELINE_STAGE.from(args.values);
    const arch = stage.arch as Arch;
    const { training, grid } = usage(() => ({
      training: baselineTraining(arch, BASELINE_TRAINING_CONFIG.from(args.values)),
      grid: stage.grid ? gridPoints(stage.gridLr, stage.gridWeightDecay) : undefined,
    }));
    const model = modelOverrides(BASELINE_MODEL_CONFIG.from(args.values));
    const run = RUN_CONFIG.from(args.values);
    const dir = stage.out ?? `runs/${arch}`;
    // The folder checks that need no data, before any is loaded.
    checkRunFolder(dir, {
      command: BASELINE_COMMAND,
      inputs: { data: DATA_SOURCE_CONFIG.from(args.values).data },
      ...run,
      artifacts: BASELINE_ARTIFACTS,
    });
    const source = await dataSourceFrom(args);
    const result = await baselineTrainStage({
      source,
      dir,
      arch,
      model,
      training,
      ...(grid ? { grid } : {}),
      selectBy: stage.selectBy,
      ...(stage.model ? { llm: stage.model } : {}),
      device: deviceFrom(args),
      ...run,
    });
    console.log(
      `model saved to ${result.modelDir} (selection NDCG@10 ${result.best.toFixed(4)}, ${result.seconds.toFixed(0)} s)`,
    );
  },
};
