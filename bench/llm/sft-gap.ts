/**
 * The end-to-end gap of supervised fine-tuning: rows/s of the real training loop (`trainSupervised`,
 * what `latentr3 train sft` runs) against the bare step on the same model and the same batches, for
 * BIGRec SFT (`--latent 0`) and latent SFT (`--latent 1`), in one process, interleaved. Then the costs
 * the loop adds around the step, each timed on its own: metrics row, progress line, checkpoint,
 * validation pass, event-loop turn, and the collation inside the step.
 *
 * The bare step is the loop's step without the loop: micro-batches (loss sum / batch tokens, backward
 * inside `tidy`), gradient clipping, learning-rate schedule, AdamW, zero grad, one event-loop turn.
 *
 *   npx tsc -p tsconfig.json && ./latentr3 train pretrain --max-steps 1 --out /tmp/pre
 *   node dist/bench/llm/sft-gap.js --model /tmp/pre/model [--steps 30] [--rounds 2] [--latents 0,1]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as turn } from "node:timers/promises";
import { adamW, clipGradNorm, engineInfo, tidy } from "../../src/engine/index.js";
import { loadDataSource } from "../../src/data/data-source.js";
import { Recommender } from "../../src/latent/recommender.js";
import { collatePromptTarget, type PromptTarget } from "../../src/data/collate.js";
import { Progress } from "../../src/util/progress.js";
import { CheckpointManager } from "../../src/train/checkpoint.js";
import { saveCheckpoint } from "../../src/train/resume.js";
import { RunFolder } from "../../src/train/run-folder.js";
import { sftTask } from "../../src/train/sft.js";
import { makeSchedule } from "../../src/train/trainer.js";
import {
  DEFAULT_SUPERVISED,
  trainSupervised,
  validationLoss,
  type SupervisedConfig,
  type SupervisedTask,
} from "../../src/train/supervised.js";
import { argNumber, argValue } from "../common/args.js";
import { minorFaults } from "../common/faults.js";
import { machineFacts } from "../common/machine.js";
import { fmt, median } from "../common/stats.js";

const argv = process.argv.slice(2);
const modelDir = argValue(argv, "model");
if (!modelDir) throw new Error("sft-gap: --model DIR (a `latentr3 train pretrain` model folder) is required");
const steps = argNumber(argv, "steps", 30);
const rounds = argNumber(argv, "rounds", 2);
const latents = (argValue(argv, "latents") ?? "0,1").split(",").map(Number);
// The CLI's SFT defaults (src/cli/train.ts): global batch 32, micro-batch 16.
const batchSize = argNumber(argv, "batch-size", 32);
const microBatchSize = argNumber(argv, "micro-batch-size", 16);

const split = <E>(xs: readonly E[], size: number): E[][] => {
  const out: E[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
};

/** The loop's step, nothing around it; returns ms per step. */
async function bareSteps(task: SupervisedTask<PromptTarget>, config: SupervisedConfig): Promise<number[]> {
  const optimizer = adamW(task.trainable, { lr: config.lr, weightDecay: config.weightDecay });
  const schedule = makeSchedule(config.schedule, config.warmupSteps, steps);
  const batches = task.batches(0, config.batchSize, config.seed).slice(0, steps);
  const ms: number[] = [];
  for (const [i, batch] of batches.entries()) {
    const t0 = performance.now();
    const batchTokens = batch.reduce((n, e) => n + task.tokens(e), 0);
    for (const micro of split(batch, config.microBatchSize)) {
      tidy(() => {
        const loss = task.lossSum(micro);
        loss.div(batchTokens).backward();
        return loss.item();
      });
    }
    clipGradNorm(task.trainable, config.maxGradNorm);
    optimizer.scaleLr(schedule(i));
    optimizer.step();
    optimizer.zeroGrad();
    await turn();
    ms.push(performance.now() - t0);
  }
  return ms;
}

/** The real loop for `steps` optimizer steps; returns its wall time in ms (checkpoint every 50 as the CLI). */
async function loopRun(task: SupervisedTask<PromptTarget>, config: SupervisedConfig): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "latentr3-sft-gap-"));
  try {
    const t0 = performance.now();
    await trainSupervised(task, { ...config, maxSteps: steps }, new RunFolder(dir));
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median ms of `fn` over `n` calls. */
function each(n: number, fn: (i: number) => unknown): number {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn(i);
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const machine = machineFacts();
console.log(
  `machine: ${machine.cpu}, nproc ${machine.nproc}, load ${machine.load1}; allocator ${JSON.stringify(engineInfo().allocator)}`,
);
const source = await loadDataSource();
const train = source.splits.train;
const valid = source.splits.valid;
const config: SupervisedConfig = {
  ...DEFAULT_SUPERVISED,
  batchSize,
  microBatchSize,
  lr: 1e-3,
  epochs: 1,
  patience: 0,
  checkpointEvery: 50,
};
const results = [];
for (const numLatents of latents) {
  const rec = await Recommender.load(modelDir, { numLatents, readout: "ratt", phrase: source.phrase });
  rec.model.store.setTrainable("", true);
  const task = sftTask(rec, train, valid);
  const rows = steps * batchSize;
  const bare: number[] = [];
  const loop: number[] = [];
  const bareFaults: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first; the model's weights move, which changes neither shape nor cost.
    for (const which of r % 2 === 0 ? ["bare", "loop"] : ["loop", "bare"]) {
      if (which === "bare") {
        const f0 = minorFaults();
        bare.push((await bareSteps(task, config)).reduce((a, b) => a + b, 0));
        bareFaults.push((minorFaults() - f0) / steps);
      } else {
        loop.push(await loopRun(task, config));
      }
    }
    console.log(
      `latent ${numLatents} round ${r + 1}: bare ${fmt((rows * 1000) / bare.at(-1)!, 1)} rows/s, ` +
        `loop ${fmt((rows * 1000) / loop.at(-1)!, 1)} rows/s (load ${fmt(loadavg()[0]!, 2)})`,
    );
  }
  // The loop's extras, one by one.
  const dir = mkdtempSync(join(tmpdir(), "latentr3-sft-gap-"));
  const run = new RunFolder(dir);
  const metricsMs = each(50, (i) =>
    run.logMetrics({ step: i, epoch: 1, loss: 1.5, lr: 1e-3, grad_norm: 1, tokens: 400 }),
  );
  const progress = new Progress("bench", 1e9, process.stderr, 1e9);
  const progressMs = each(50, (i) => progress.update(i, { loss: 1.5, "tok/s": 1000 }));
  const micros = split(task.batches(0, batchSize, config.seed)[0]!, microBatchSize);
  const collateMs = each(20, (i) => {
    const b = collatePromptTarget(micros[i % micros.length]!, rec.tokenizer.padId);
    for (const t of [b.promptIds, b.promptMask, b.targetIds, b.targetMask, b.labels]) t.dispose();
  });
  const turns: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await turn();
    turns.push(performance.now() - t0);
  }
  const turnMs = median(turns);
  const optimizer = adamW(task.trainable, { lr: 1e-3 });
  const checkpoints = new CheckpointManager(dir);
  const start = { run, checkpoints, label: "bench", store: task.store, optimizer, resume: false };
  const checkpointMs = each(2, (i) => saveCheckpoint(start, `step-${i}`, task.store, optimizer, { step: i }));
  const validMs = each(1, () => validationLoss(task, task.valid, microBatchSize));
  rmSync(dir, { recursive: true, force: true });
  const stepsPerEpoch = task.batches(0, batchSize, config.seed).length;
  const r = {
    numLatents,
    rows,
    stepsPerEpoch,
    validRows: valid.length,
    bareRowsPerS: (rows * 1000) / median(bare),
    loopRowsPerS: (rows * 1000) / median(loop),
    loopOverBare: median(loop) / median(bare),
    bareFaultsPerStep: median(bareFaults),
    bareStepMs: median(bare) / steps,
    extrasMs: {
      metricsRow: metricsMs,
      progressUpdate: progressMs,
      eventLoopTurn: turnMs,
      collateMicroBatch: collateMs,
      checkpoint: checkpointMs,
      validationPass: validMs,
    },
  };
  results.push(r);
  rec.model.dispose();
}

console.log(`\n${steps} steps of ${batchSize} rows (micro-batches of ${microBatchSize}); median over ${rounds} rounds`);
console.log("| SFT | bare step rows/s | loop rows/s | loop / bare time | bare ms/step | faults/step |");
console.log("|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| latent ${r.numLatents} | ${fmt(r.bareRowsPerS, 1)} | ${fmt(r.loopRowsPerS, 1)} | ${fmt(r.loopOverBare, 3)} | ` +
      `${fmt(r.bareStepMs, 1)} | ${fmt(r.bareFaultsPerStep, 0)} |`,
  );
}
console.log("\nwhat the loop adds, ms each (per step unless noted):");
for (const r of results) {
  const e = r.extrasMs;
  console.log(
    `latent ${r.numLatents}: metrics row ${fmt(e.metricsRow, 3)}, progress ${fmt(e.progressUpdate, 3)}, ` +
      `event-loop turn ${fmt(e.eventLoopTurn, 3)}, collation per micro-batch ${fmt(e.collateMicroBatch, 2)} (inside the step), ` +
      `checkpoint ${fmt(e.checkpoint, 0)} (every 50 steps and each epoch end), ` +
      `validation ${fmt(e.validationPass, 0)} (${r.validRows} rows, once per epoch of ${r.stepsPerEpoch} steps)`,
  );
}
console.log(
  JSON.stringify({
    bench: "sft_gap",
    machine,
    loadAfter: loadavg()[0],
    steps,
    rounds,
    batchSize,
    microBatchSize,
    results,
  }),
);
