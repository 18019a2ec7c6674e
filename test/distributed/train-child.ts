/**
 * A worker of data-parallel-training.test.ts: trains the tiny latent recommender for a few steps
 * (latent SFT or LR-GRPO) as one rank of the job the launcher started (or as a single process when
 * WORLD_SIZE is 1), then writes its parameters to `<out>/params-rank<r>.safetensors`.
 *
 *   train-child.js sft <out> <maxSteps> [resume]
 *   train-child.js rl <out> <steps>
 */
import { join } from "node:path";
import { writeSafetensors } from "../../src/engine/safetensors.js";
import { toTensorData } from "../../src/engine/tensor-io.js";
import { DataParallel } from "../../src/distributed/index.js";
import { DEFAULT_LR_GRPO } from "../../src/train/rl/config.js";
import { trainLrGrpo } from "../../src/train/rl/lr-grpo.js";
import { RunFolder } from "../../src/train/run-folder.js";
import { runSft } from "../../src/train/sft.js";
import { DEFAULT_SUPERVISED } from "../../src/train/supervised.js";
import { report } from "../support/launch-workers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

process.env.LATENTR3_QUIET = "1";
const [mode, out, steps, resume] = process.argv.slice(2) as [string, string, string, string | undefined];
const dp = DataParallel.fromEnv({ device: "cpu" });
const source = await smallSource();
const rec = await tinyRecommender(source, { numLatents: 1 });
const run = new RunFolder(join(out, "run"));

if (mode === "sft") {
  // 24 rows in global batches of 8 (3 steps an epoch; 8 rows over 3 ranks split 3/3/2), micro-batches
  // of 2 so each rank also accumulates; the epoch ends with a sharded validation pass and the best
  // checkpoint restored on rank 0 and broadcast.
  const config = {
    ...DEFAULT_SUPERVISED,
    epochs: 2,
    batchSize: 8,
    microBatchSize: 2,
    lr: 1e-3,
    warmupSteps: 0,
    schedule: "constant" as const,
    patience: 0,
    checkpointEvery: 1,
    maxSteps: Number(steps),
  };
  const result = await runSft(rec, source.splits.train.slice(0, 24), source.splits.valid.slice(0, 10), config, run, {
    dp,
    resume: resume === "resume",
  });
  report({ steps: result.steps, history: result.history });
} else if (mode === "rl") {
  const rows = source.splits.train.slice(0, 16).map((e) => rec.trainingRow(e));
  const config = {
    ...DEFAULT_LR_GRPO,
    samples: 4,
    sigma: 1.5,
    promptsPerStep: 8,
    microPrompts: 2,
    lr: 1e-3,
    warmupSteps: 0,
    maxSteps: Number(steps),
    iterations: 2,
    checkpointEvery: 1000,
  };
  const result = await trainLrGrpo(rec.reasoner!, rows, rec.tokenizer.padId, config, run, { dp });
  report({ history: result.history.map(({ step_seconds: _, ...stats }) => stats) });
}
writeSafetensors(join(out, `params-rank${dp.rank}.safetensors`), toTensorData(rec.model.store.namedParameters()));
dp.close();
