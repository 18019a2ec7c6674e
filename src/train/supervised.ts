/**
 * The supervised training loop shared by LM pretraining, BIGRec SFT and latent SFT. One screen:
 * batch → micro-batches (loss summed over tokens, scaled by the batch's token count) → backward →
 * clip → schedule → step → log; validation loss each epoch, early stopping with patience, the best
 * checkpoint restored at the end. A killed run resumes from its last checkpoint and reaches the
 * same result as an uninterrupted one (data order depends only on seed and epoch).
 *
 * Data-parallel (`opts.dp`): every rank walks the same global batches, computes its share, divides
 * its token-loss sum by the global batch's token count and sums gradients with the others (in the
 * trainer), so each rank takes the optimizer step one process would take on the whole batch.
 * Validation is sharded too; rank 0 alone logs and writes checkpoints.
 */
import { noGrad, tidy, type Tensor } from "../engine/index.js";
import { DataParallel } from "../distributed/index.js";
import type { ParamStore } from "../nn/index.js";
import type { ParamSelection } from "./checkpoint.js";
import { PRECISION_SETTINGS, resolvePrecision } from "./precision.js";
import { Trainer } from "./trainer.js";
import type { RunFolder } from "./run-folder.js";
import { boolean, choice, configTable, int, number, type ConfigOf } from "../util/config-table.js";

/** Every setting of the supervised loop, declared once (defaults, bounds, help, CLI options). */
export const SUPERVISED_CONFIG = configTable(
  "supervised training",
  {
    epochs: int(3, "maximum epochs", { min: 1 }),
    batchSize: int(32, "examples per optimizer step (global batch)", { min: 1 }),
    microBatchSize: int(8, "examples per forward/backward (gradient accumulation = batch / micro-batch)", { min: 1 }),
    lr: number(3e-4, "peak learning rate (AdamW)", { above: 0 }),
    warmupSteps: int(20, "linear warm-up steps", { min: 0 }),
    schedule: choice(["linear", "cosine", "constant"] as const, "linear", "learning-rate schedule after warm-up"),
    weightDecay: number(0, "AdamW decoupled weight decay", { min: 0 }),
    maxGradNorm: number(1, "gradient-norm clipping", { above: 0 }),
    patience: int(1, "epochs without validation improvement before stopping (0 = off)", { min: 0 }),
    seed: int(42, "seed of data order and initialisation"),
    checkpointEvery: int(50, "optimizer steps between resumable checkpoints (and at every epoch end)", { min: 1 }),
    maxSteps: int(0, "stop after this many optimizer steps (0 = no limit)", { min: 0 }),
    precision: choice(
      PRECISION_SETTINGS,
      "auto",
      "fp32, or bf16/fp16 autocast over f32 master weights (fp16: CUDA only, with loss scaling); auto = bf16 on CUDA, fp32 on CPU",
    ),
    gradCheckpointing: boolean(
      "recompute decoder layers in backward instead of keeping their activations (less memory, about one extra forward)",
    ),
  },
  (c, name) =>
    c.batchSize % c.microBatchSize === 0
      ? undefined
      : `${name("batchSize")} (${c.batchSize}) must be a multiple of ${name("microBatchSize")} (${c.microBatchSize}): a batch is split into equal micro-batches`,
);
export type SupervisedConfig = ConfigOf<typeof SUPERVISED_CONFIG>;
export const DEFAULT_SUPERVISED: SupervisedConfig = SUPERVISED_CONFIG.defaults();

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
  /** Parameters saved in training checkpoints (default all; with LoRA the trainable ones: the frozen rest never changes). */
  checkpointed?: ParamSelection;
  /** The model whose decoder layers --grad-checkpointing recomputes. */
  model?: { gradientCheckpointing: boolean };
}

interface SupervisedState {
  step: number;
  epoch: number;
  /** Batches of the current epoch already trained on (the next one to train is this index). */
  batchInEpoch: number;
  bestValLoss: number;
  bestStep: number;
  badEpochs: number;
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
  history: SupervisedState["history"];
  seconds: number;
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

/** Loss sum of one batch with gradients accumulated over its micro-batches (each scaled by the batch's tokens). */
function accumulateGradients<E, S extends { step: number }>(
  trainer: Trainer<S>,
  task: SupervisedTask<E>,
  batch: readonly E[],
  microBatchSize: number,
  tokens: number,
) {
  let lossSum = 0;
  for (const micro of split(batch, microBatchSize)) {
    lossSum += tidy(() => {
      const loss = trainer.forward(() => task.lossSum(micro));
      trainer.backward(loss.div(tokens));
      return loss.item();
    });
  }
  return lossSum;
}

/** Tokens/s over a sliding window of about 30 s, for the progress line. */
class Throughput {
  private loss = 0;
  private tokens = 0;
  private start = performance.now();
  add(lossSum: number, tokens: number): { loss: number; tokensPerSecond: number } {
    this.loss += lossSum;
    this.tokens += tokens;
    const seconds = (performance.now() - this.start) / 1000;
    const out = { loss: this.loss / this.tokens, tokensPerSecond: this.tokens / Math.max(seconds, 1e-9) };
    if (seconds > 30) {
      this.loss = 0;
      this.tokens = 0;
      this.start = performance.now();
    }
    return out;
  }
}

export async function trainSupervised<E>(
  task: SupervisedTask<E>,
  config: SupervisedConfig,
  run: RunFolder,
  opts: { resume?: boolean; dp?: DataParallel } = {},
): Promise<SupervisedResult> {
  const dp = opts.dp ?? DataParallel.single();
  const stepsPerEpoch = task.batches(0, config.batchSize, config.seed).length;
  const plannedSteps = stepsPerEpoch * config.epochs;
  const totalSteps = config.maxSteps > 0 ? Math.min(plannedSteps, config.maxSteps) : plannedSteps;
  if (totalSteps === 0) {
    throw new Error(
      `[${task.label}] nothing to train on: ${task.train.length} training examples give no optimizer step (an empty split, or every row skipped?)`,
    );
  }
  const trainer = Trainer.start<SupervisedState>({
    label: task.label,
    run,
    store: task.store,
    trainable: task.trainable,
    ...config,
    precision: resolvePrecision(config.precision, task.store.device),
    checkpointed: task.checkpointed,
    gradientCheckpointing: task.model && { model: task.model, enabled: config.gradCheckpointing },
    totalSteps,
    resume: opts.resume ?? false,
    dp,
    initialState: {
      step: 0,
      epoch: 0,
      batchInEpoch: 0,
      bestValLoss: Infinity,
      bestStep: -1,
      badEpochs: 0,
      epochLossSum: 0,
      epochTokens: 0,
      history: [],
    },
    // JSON has no Infinity: a checkpoint taken before the first validation stores bestValLoss as
    // null, and `valLoss >= null` is true, which would count the first validation as "no
    // improvement" (and stop a patience-1 run after one epoch). Restore the "none yet" value.
    restored: (s) => ({ ...s, bestValLoss: typeof s.bestValLoss === "number" ? s.bestValLoss : Infinity }),
  });
  const state = () => trainer.state;
  const lead = dp.isRankZero;
  const throughput = new Throughput();

  /** Validation, early stopping and the best checkpoint at the end of an epoch. */
  const endEpoch = () => {
    const s = state();
    const valLoss = task.valid.length > 0 ? validationLoss(task, task.valid, config.microBatchSize, dp) : NaN;
    const trainLoss = s.epochLossSum / Math.max(s.epochTokens, 1);
    s.history.push({ epoch: s.epoch + 1, step: s.step, trainLoss, valLoss });
    if (lead) {
      run.logMetrics({ step: s.step, epoch: s.epoch + 1, val_loss: valLoss });
      console.error(`[${task.label}] epoch ${s.epoch + 1}: validation loss ${valLoss.toFixed(4)}`);
    }
    if (!(valLoss >= s.bestValLoss)) {
      s.bestValLoss = valLoss;
      s.bestStep = s.step;
      s.badEpochs = 0;
      trainer.saveBest();
    } else if (config.patience > 0 && ++s.badEpochs >= config.patience) {
      if (lead) console.error(`[${task.label}] no improvement for ${s.badEpochs} epoch(s): stopping early`);
      trainer.stopped = true;
    }
    Object.assign(s, { epoch: s.epoch + 1, batchInEpoch: 0, epochLossSum: 0, epochTokens: 0 });
    trainer.save();
  };

  while (!trainer.stopped && state().epoch < config.epochs) {
    const s = state();
    const batches = task.batches(s.epoch, config.batchSize, config.seed);
    if (s.batchInEpoch === batches.length) {
      endEpoch();
      continue;
    }
    if (trainer.done) break; // maxSteps reached mid-epoch
    const batch = batches[s.batchInEpoch++]!;
    const batchTokens = batch.reduce((n, e) => n + task.tokens(e), 0);
    const [lossSum] = dp.sum([
      accumulateGradients(trainer, task, dp.shard(batch), config.microBatchSize, batchTokens),
    ]) as [number];
    const loss = lossSum / batchTokens;
    const { gradNorm, lr } = trainer.optimizerStep(loss);
    s.epochLossSum += lossSum;
    s.epochTokens += batchTokens;
    const window = throughput.add(lossSum, batchTokens);
    await trainer.endStep(
      { epoch: s.epoch + 1, loss, lr, grad_norm: gradNorm, tokens: batchTokens },
      { epoch: `${s.epoch + 1}/${config.epochs}`, loss: window.loss, "tok/s": window.tokensPerSecond },
    );
  }
  // Rank 0 restores the best checkpoint and hands its parameters to the others (no shared disk needed).
  if (dp.rankZeroValue(lead && trainer.checkpoints.has("best") ? 1 : 0) === 1) {
    if (lead) trainer.checkpoints.loadParams("best", task.store);
    dp.broadcastFromRankZero(task.store.parameters());
  }
  const s = state();
  const seconds = trainer.finish(Number.isFinite(s.bestValLoss) ? { "best val loss": s.bestValLoss } : {});
  return { steps: s.step, bestValLoss: s.bestValLoss, bestStep: s.bestStep, history: s.history, seconds };
}
