/**
 * The supervised training loop shared by LM pretraining, BIGRec SFT and latent SFT. One screen:
 * batch → micro-batches (loss summed over tokens, scaled by the batch's token count) → backward →
 * clip → schedule → step → log; validation loss each epoch, early stopping with patience, the best
 * checkpoint restored at the end. A killed run resumes from its last checkpoint and reaches the
 * same result as an uninterrupted one (data order depends only on seed and epoch).
 *
 * Data-parallel (`opts.dp`): every rank walks the same global batches, computes its share, divides
 * its token-loss sum by the global batch's token count and sums gradients with the others, so each
 * rank takes the optimizer step one process would take on the whole batch. Rank 0 alone logs,
 * prints progress and writes checkpoints.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import {
  adamW,
  clipGradNorm,
  constant,
  cosineWithWarmup,
  linearWithWarmup,
  noGrad,
  tidy,
  type Optimizer,
  type Schedule,
  type Tensor,
} from "../engine/index.js";
import { DataParallel } from "../distributed/index.js";
import type { ParamStore } from "../nn/index.js";
import { CheckpointManager, stepName } from "./checkpoint.js";
import { Progress } from "../util/progress.js";
import { saveCheckpoint, startOrResume } from "./resume.js";
import type { RunFolder } from "./run-folder.js";

export interface SupervisedConfig {
  epochs: number;
  /** Examples per optimizer step (the global batch). */
  batchSize: number;
  /** Examples per forward/backward (gradient accumulation = batchSize / microBatchSize). */
  microBatchSize: number;
  lr: number;
  warmupSteps: number;
  schedule: "linear" | "cosine" | "constant";
  weightDecay: number;
  maxGradNorm: number;
  /** Epochs without validation improvement before stopping (0 = never stop early). */
  patience: number;
  seed: number;
  /** Save a resumable checkpoint every this many optimizer steps (and at every epoch end). */
  checkpointEvery: number;
  /** Stop after this many optimizer steps in total (for smoke runs); 0 = no limit. */
  maxSteps: number;
}

export const DEFAULT_SUPERVISED: SupervisedConfig = {
  epochs: 3,
  batchSize: 32,
  microBatchSize: 8,
  lr: 3e-4,
  warmupSteps: 20,
  schedule: "linear",
  weightDecay: 0,
  maxGradNorm: 1,
  patience: 1,
  seed: 42,
  checkpointEvery: 50,
  maxSteps: 0,
};

/** What a supervised objective provides; the loop knows nothing about prompts or latents. */
export interface SupervisedTask<E> {
  label: string;
  store: ParamStore;
  /** Parameters that train (others are frozen by the caller). */
  trainable: Tensor[];
  train: readonly E[];
  valid: readonly E[];
  /** The epoch's batches of training examples, deterministic in (seed, epoch). */
  batches(epoch: number, batchSize: number, seed: number): E[][];
  /** Number of loss tokens an example contributes. */
  tokens(example: E): number;
  /** Sum (not mean) of the token losses of a micro-batch, with the autograd graph attached. */
  lossSum(micro: readonly E[]): Tensor;
}

interface TrainerState {
  step: number;
  epoch: number;
  batchInEpoch: number;
  bestValLoss: number;
  bestStep: number;
  badEpochs: number;
  stopped: boolean;
  /** Loss sum and token count of the current epoch so far (for the epoch's train loss). */
  epochLossSum: number;
  epochTokens: number;
  history: { epoch: number; step: number; trainLoss: number; valLoss: number }[];
  [key: string]: unknown;
}

export interface SupervisedResult {
  steps: number;
  bestValLoss: number;
  bestStep: number;
  history: TrainerState["history"];
  seconds: number;
}

export function makeSchedule(kind: SupervisedConfig["schedule"], warmupSteps: number, totalSteps: number): Schedule {
  if (kind === "linear") return linearWithWarmup({ warmupSteps, totalSteps });
  if (kind === "cosine") return cosineWithWarmup({ warmupSteps, totalSteps });
  return constant();
}

function split<E>(xs: readonly E[], size: number): E[][] {
  const out: E[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Token-mean validation loss over `examples`, no gradients (each rank scores its share). */
export function validationLoss<E>(
  task: SupervisedTask<E>,
  examples: readonly E[],
  microBatchSize: number,
  dp: DataParallel = DataParallel.single(),
): number {
  let sum = 0;
  let tokens = 0;
  for (const micro of split(dp.shard(examples), microBatchSize)) {
    sum += noGrad(() => tidy(() => task.lossSum(micro).item()));
    tokens += micro.reduce((n, e) => n + task.tokens(e), 0);
  }
  [sum, tokens] = dp.sum([sum, tokens]) as [number, number];
  return sum / Math.max(tokens, 1);
}

export async function trainSupervised<E>(
  task: SupervisedTask<E>,
  config: SupervisedConfig,
  run: RunFolder,
  opts: { resume?: boolean; dp?: DataParallel } = {},
): Promise<SupervisedResult> {
  const dp = opts.dp ?? DataParallel.single();
  const lead = dp.isRankZero;
  const optimizer: Optimizer = adamW(task.trainable, { lr: config.lr, weightDecay: config.weightDecay });
  const stepsPerEpoch = task.batches(0, config.batchSize, config.seed).length;
  const plannedSteps = stepsPerEpoch * config.epochs;
  const totalSteps = config.maxSteps > 0 ? Math.min(plannedSteps, config.maxSteps) : plannedSteps;
  const schedule = makeSchedule(config.schedule, config.warmupSteps, totalSteps);
  const checkpoints = new CheckpointManager(run.dir);

  let state: TrainerState = {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    bestValLoss: Infinity,
    bestStep: -1,
    badEpochs: 0,
    stopped: false,
    epochLossSum: 0,
    epochTokens: 0,
    history: [],
  };
  const start = { run, checkpoints, label: task.label, store: task.store, optimizer, resume: opts.resume ?? false, dp };
  const resumed = startOrResume<TrainerState>(start);
  if (resumed) {
    state = resumed.state;
    // JSON has no Infinity: a checkpoint taken before the first validation stores bestValLoss as
    // null, and `valLoss >= null` is true, which would count the first validation as "no
    // improvement" (and stop a patience-1 run after one epoch). Restore the "none yet" value.
    if (typeof state.bestValLoss !== "number") state.bestValLoss = Infinity;
    if (lead)
      console.error(
        `[${task.label}] resumed from ${resumed.checkpoint} (step ${state.step}, epoch ${state.epoch + 1})`,
      );
  }

  dp.broadcastFromRankZero(task.trainable);
  const startedAt = performance.now();
  const progress = lead ? new Progress(task.label, totalSteps, process.stderr, undefined, state.step) : undefined;
  const save = () => saveCheckpoint(start, stepName(state.step), task.store, optimizer, state);
  let windowLoss = 0;
  let windowTokens = 0;
  let windowStart = performance.now();

  while (!state.stopped && state.epoch < config.epochs && state.step < totalSteps) {
    const batches = task.batches(state.epoch, config.batchSize, config.seed);
    for (; state.batchInEpoch < batches.length && state.step < totalSteps; state.batchInEpoch++) {
      const batch = batches[state.batchInEpoch]!;
      const batchTokens = batch.reduce((n, e) => n + task.tokens(e), 0);
      let lossSum = 0;
      for (const micro of split(dp.shard(batch), config.microBatchSize)) {
        lossSum += tidy(() => {
          const loss = task.lossSum(micro);
          loss.div(batchTokens).backward();
          return loss.item();
        });
      }
      dp.syncGradients(task.trainable);
      [lossSum] = dp.sum([lossSum]) as [number];
      const gradNorm = clipGradNorm(task.trainable, config.maxGradNorm);
      optimizer.scaleLr(schedule(state.step));
      const lr = optimizer.lr();
      optimizer.step();
      optimizer.zeroGrad();
      state.step++;
      windowLoss += lossSum;
      windowTokens += batchTokens;
      state.epochLossSum += lossSum;
      state.epochTokens += batchTokens;
      const loss = lossSum / batchTokens;
      const seconds = (performance.now() - windowStart) / 1000;
      if (lead)
        run.logMetrics({
          step: state.step,
          epoch: state.epoch + 1,
          loss,
          lr,
          grad_norm: gradNorm,
          tokens: batchTokens,
        });
      progress?.update(state.step, {
        epoch: `${state.epoch + 1}/${config.epochs}`,
        loss: windowLoss / windowTokens,
        "tok/s": windowTokens / Math.max(seconds, 1e-9),
      });
      if (seconds > 30) {
        windowLoss = 0;
        windowTokens = 0;
        windowStart = performance.now();
      }
      if (state.step % config.checkpointEvery === 0) {
        state.batchInEpoch++;
        save();
        state.batchInEpoch--;
      }
      // Let Node run finalizers and I/O between steps.
      await yieldToEventLoop();
    }
    if (state.batchInEpoch < batches.length) break; // maxSteps reached mid-epoch
    const valLoss = task.valid.length > 0 ? validationLoss(task, task.valid, config.microBatchSize, dp) : NaN;
    const trainLoss = state.epochLossSum / Math.max(state.epochTokens, 1);
    state.history.push({ epoch: state.epoch + 1, step: state.step, trainLoss, valLoss });
    if (lead) {
      run.logMetrics({ step: state.step, epoch: state.epoch + 1, val_loss: valLoss });
      console.error(`[${task.label}] epoch ${state.epoch + 1}: validation loss ${valLoss.toFixed(4)}`);
    }
    if (!(valLoss >= state.bestValLoss)) {
      state.bestValLoss = valLoss;
      state.bestStep = state.step;
      state.badEpochs = 0;
      if (lead) checkpoints.save("best", task.store, null, { step: state.step });
    } else {
      state.badEpochs++;
      if (config.patience > 0 && state.badEpochs >= config.patience) {
        if (lead) console.error(`[${task.label}] no improvement for ${state.badEpochs} epoch(s): stopping early`);
        state.stopped = true;
      }
    }
    state.epoch++;
    state.batchInEpoch = 0;
    state.epochLossSum = 0;
    state.epochTokens = 0;
    save();
  }
  // Rank 0 restores the best checkpoint and hands its parameters to the others (no shared disk needed).
  if (dp.rankZeroValue(lead && checkpoints.has("best") ? 1 : 0) === 1) {
    if (lead) checkpoints.loadParams("best", task.store);
    dp.broadcastFromRankZero(task.store.parameters());
  }
  progress?.finish(Number.isFinite(state.bestValLoss) ? { "best val loss": state.bestValLoss } : {});
  return {
    steps: state.step,
    bestValLoss: state.bestValLoss,
    bestStep: state.bestStep,
    history: state.history,
    seconds: (performance.now() - startedAt) / 1000,
  };
}
