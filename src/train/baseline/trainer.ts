/**
 * The baselines' training loop, one screen: per epoch shuffled batches → BCE (AlphaRec: InfoNCE) with sampled negatives →
 * backward → Adam step; every `evalEvery` epochs the caller's selection metric (NDCG@10 on the
 * selection split, never test); early stopping with patience; the best parameters restored at the end.
 * Checkpoints at every epoch end, and every random draw of an epoch (batch order, negatives, dropout)
 * comes from generators seeded by (seed, epoch), so a killed run resumed with --resume reaches the
 * same result as an uninterrupted one.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { Generator, adam, tidy, type Optimizer } from "../../engine/index.js";
import { sequenceBatch } from "../../baselines/batch.js";
import type { SequentialRecommender } from "../../baselines/model.js";
import type { SequenceRow } from "../../baselines/sequences.js";
import { hashSeed, Rng } from "../../data/rng.js";
import { CheckpointManager, stepName } from "../checkpoint.js";
import { Progress } from "../../util/progress.js";
import { saveCheckpoint, startOrResume } from "../resume.js";
import type { RunFolder } from "../run-folder.js";
import { AlphaRec } from "../../baselines/alpharec/model.js";
import { sampledInfoNceLoss } from "./infonce.js";
import { sampledBceLoss, type TrainPositions } from "./objective.js";

export interface BaselineTrainingConfig {
  /** Maximum epochs. */
  epochs: number;
  batchSize: number;
  lr: number;
  /** Adam's L2 weight decay (added to the gradient, as torch.optim.Adam). */
  weightDecay: number;
  adamBeta2: number;
  /** Negatives per positive. */
  negatives: number;
  positions: TrainPositions;
  /** Epochs between selection evaluations. */
  evalEvery: number;
  /** Selection evaluations without improvement before stopping (0 = never stop early). */
  patience: number;
  seed: number;
}

export interface SelectionHistory {
  epoch: number;
  step: number;
  trainLoss: number;
  selection: number;
}

interface TrainerState {
  step: number;
  epoch: number;
  best: number;
  bestEpoch: number;
  badEvaluations: number;
  stopped: boolean;
  history: SelectionHistory[];
  [key: string]: unknown;
}

export interface BaselineTrainingResult {
  best: number;
  bestEpoch: number;
  epochs: number;
  steps: number;
  history: SelectionHistory[];
  seconds: number;
}

export interface BaselineTask {
  label: string;
  model: SequentialRecommender;
  train: readonly SequenceRow[];
  /** The selection metric of the current parameters (higher is better). */
  select: () => number;
  /** What `select` measures, for logs ("NDCG@10 on the selection split"). */
  selectionName: string;
}

function epochBatches(rows: number, batchSize: number, seed: number, epoch: number): number[][] {
  const order = new Rng(hashSeed(seed, "baseline-batches", epoch)).shuffle(Array.from({ length: rows }, (_, i) => i));
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/**
 * One pass over `batches` (row indices): BCE with fresh negatives, backward, Adam step. Returns the
 * mean loss; `onStep(meanSoFar)` runs after every step.
 */
export async function trainEpoch(
  model: SequentialRecommender,
  rows: readonly SequenceRow[],
  batches: readonly (readonly number[])[],
  optimizer: Optimizer,
  config: Pick<BaselineTrainingConfig, "negatives" | "positions">,
  generator: Generator,
  onStep: (meanLoss: number) => void = () => {},
): Promise<number> {
  let lossSum = 0;
  for (const [i, indices] of batches.entries()) {
    lossSum += tidy(() => {
      const batch = sequenceBatch(
        indices.map((r) => rows[r]!),
        { maxLen: model.config.max_len, padding: model.padding, device: model.store.device },
      );
      // AlphaRec is trained by its own code's InfoNCE; the sequential models by BCE.
      const loss =
        model instanceof AlphaRec
          ? sampledInfoNceLoss(model, batch, config.negatives, generator)
          : sampledBceLoss(model, batch, config.negatives, config.positions, generator);
      loss.backward();
      return loss.item();
    });
    optimizer.step();
    optimizer.zeroGrad();
    onStep(lossSum / (i + 1));
    await yieldToEventLoop(); // let Node run finalizers and I/O between steps
  }
  return lossSum / batches.length;
}

export async function trainBaseline(
  task: BaselineTask,
  config: BaselineTrainingConfig,
  run: RunFolder,
  opts: { resume?: boolean } = {},
): Promise<BaselineTrainingResult> {
  const { model } = task;
  if (task.train.length === 0) throw new Error(`[${task.label}] no training rows`);
  const optimizer: Optimizer = adam(model.store.parameters(), {
    lr: config.lr,
    weightDecay: config.weightDecay,
    betas: [0.9, config.adamBeta2],
  });
  const checkpoints = new CheckpointManager(run.dir);
  const stepsPerEpoch = Math.ceil(task.train.length / config.batchSize);
  let state: TrainerState = {
    step: 0,
    epoch: 0,
    best: -Infinity,
    bestEpoch: 0,
    badEvaluations: 0,
    stopped: false,
    history: [],
  };
  const start = { run, checkpoints, label: task.label, store: model.store, optimizer, resume: opts.resume ?? false };
  const resumed = startOrResume<TrainerState>(start);
  if (resumed) {
    state = resumed.state;
    if (typeof state.best !== "number") state.best = -Infinity; // JSON has no -Infinity
    console.error(`[${task.label}] resumed from ${resumed.checkpoint} (epoch ${state.epoch})`);
  }
  const progress = new Progress(task.label, config.epochs * stepsPerEpoch, process.stderr, undefined, state.step);

  while (!state.stopped && state.epoch < config.epochs) {
    const generator = new Generator(hashSeed(config.seed, "baseline-epoch", state.epoch));
    const batches = epochBatches(task.train.length, config.batchSize, config.seed, state.epoch);
    const trainLoss = await trainEpoch(model, task.train, batches, optimizer, config, generator, (loss) =>
      progress.update(++state.step, { epoch: state.epoch + 1, loss }),
    );
    state.epoch++;
    const row: Record<string, number> = { step: state.step, epoch: state.epoch, loss: trainLoss };
    if (state.epoch % config.evalEvery === 0 || state.epoch === config.epochs) {
      const selection = task.select();
      row.selection = selection;
      state.history.push({ epoch: state.epoch, step: state.step, trainLoss, selection });
      if (selection > state.best) {
        Object.assign(state, { best: selection, bestEpoch: state.epoch, badEvaluations: 0 });
        checkpoints.save("best", model.store, null, { step: state.step });
      } else if (config.patience > 0 && ++state.badEvaluations >= config.patience) {
        state.stopped = true;
      }
      console.error(
        `[${task.label}] epoch ${state.epoch}: loss ${trainLoss.toFixed(4)}, ${task.selectionName} ${selection.toFixed(4)} (best ${state.best.toFixed(4)} at epoch ${state.bestEpoch})${state.stopped ? `; no improvement in ${config.patience} evaluations: stopping` : ""}`,
      );
    }
    run.logMetrics(row);
    saveCheckpoint(start, stepName(state.step), model.store, optimizer, state);
  }
  if (checkpoints.has("best")) checkpoints.loadParams("best", model.store);
  progress.finish({ [`best ${task.selectionName}`]: state.best });
  return {
    best: state.best,
    bestEpoch: state.bestEpoch,
    epochs: state.epoch,
    steps: state.step,
    history: state.history,
    seconds: progress.elapsedSeconds(),
  };
}
