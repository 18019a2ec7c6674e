/**
 * The scaffolding every training loop shares, so each loop is reduced to its step: the AdamW
 * optimizer over the trainable parameters, the learning-rate schedule, starting fresh or resuming
 * from the run folder's latest checkpoint, gradient clipping, metrics.jsonl, progress, periodic
 * atomic checkpoints, numerical-health checks, and yielding to the event loop between steps (Node
 * finalises native objects only when the loop turns).
 *
 * Data-parallel (`dp`): the trainer sums the gradients over ranks before clipping, so every rank
 * takes the same optimizer step, and rank 0 alone logs, prints progress and writes checkpoints.
 * A loop only has to compute its rank's share of each global batch, normalised by the global
 * batch's count, and pass global numbers (losses) to the trainer.
 *
 *   const trainer = Trainer.start({ ... });
 *   while (!trainer.done) {
 *     // advance the loop's own position in trainer.state first: a checkpoint taken by endStep
 *     // must resume after this step's data, never repeat it
 *     ...forward, backward...
 *     const { gradNorm, lr } = trainer.optimizerStep(loss);
 *     await trainer.endStep({ loss, grad_norm: gradNorm, lr }, { loss });
 *   }
 *   trainer.finish();
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import {
  adamW,
  clipGradNorm,
  constant,
  cosineWithWarmup,
  linearWithWarmup,
  type Optimizer,
  type Schedule,
  type Tensor,
} from "../engine/index.js";
import { DataParallel } from "../distributed/index.js";
import type { ParamStore } from "../nn/index.js";
import { Progress } from "../util/progress.js";
import { CheckpointManager, stepName, type CheckpointState } from "./checkpoint.js";
import { saveCheckpoint, startOrResume, type RunStart } from "./resume.js";
import type { RunFolder } from "./run-folder.js";

export type ScheduleKind = "linear" | "cosine" | "constant";

export function makeSchedule(kind: ScheduleKind, warmupSteps: number, totalSteps: number): Schedule {
  if (kind === "linear") return linearWithWarmup({ warmupSteps, totalSteps });
  if (kind === "cosine") return cosineWithWarmup({ warmupSteps, totalSteps });
  return constant();
}

export interface TrainerOptions<S extends CheckpointState> {
  label: string;
  run: RunFolder;
  store: ParamStore;
  trainable: Tensor[];
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  schedule: ScheduleKind;
  warmupSteps: number;
  totalSteps: number;
  checkpointEvery: number;
  /** Only parameters under this name prefix go into step checkpoints (e.g. LatentRATT's in LR-GRPO). */
  checkpointPrefix?: string;
  resume: boolean;
  /** The loop's own state at step 0 (data position, bookkeeping); saved in every checkpoint. */
  initialState: S;
  /** Repairs a resumed state (e.g. values JSON cannot hold). */
  restored?: (state: S) => S;
  /** The data-parallel job; absent: one process. */
  dp?: DataParallel;
}

/** Consecutive steps with a zero or non-finite gradient norm before a warning. */
const DEAD_GRADIENT_STEPS = 20;

export class Trainer<S extends CheckpointState> {
  readonly optimizer: Optimizer;
  readonly checkpoints: CheckpointManager;
  readonly dp: DataParallel;
  /** Progress output: rank 0's only. */
  readonly progress: Progress | undefined;
  state: S;
  /** Set by the loop (early stopping) or by endStep (a NaN loss). */
  stopped = false;
  private readonly schedule: Schedule;
  private readonly start: RunStart;
  private deadGradientSteps = 0;
  private readonly startedAt = performance.now();

  private constructor(
    readonly options: TrainerOptions<S>,
    resumedFrom: string | undefined,
    state: S,
    optimizer: Optimizer,
    start: RunStart,
  ) {
    this.optimizer = optimizer;
    this.start = start;
    this.dp = start.dp ?? DataParallel.single();
    this.checkpoints = start.checkpoints;
    this.state = state;
    this.schedule = makeSchedule(options.schedule, options.warmupSteps, options.totalSteps);
    const lead = this.dp.isRankZero;
    if (resumedFrom && lead) console.error(`[${options.label}] resumed from ${resumedFrom} (step ${state.step})`);
    this.progress = lead
      ? new Progress(options.label, options.totalSteps, process.stderr, undefined, state.step)
      : undefined;
  }

  /** Creates the optimizer and starts fresh or resumes from the run folder's latest checkpoint. */
  static start<S extends CheckpointState>(options: TrainerOptions<S>): Trainer<S> {
    const optimizer = adamW(options.trainable, { lr: options.lr, weightDecay: options.weightDecay });
    const dp = options.dp ?? DataParallel.single();
    const checkpoints = new CheckpointManager(options.run.dir);
    const start: RunStart = {
      run: options.run,
      checkpoints,
      label: options.label,
      store: options.store,
      optimizer,
      resume: options.resume,
      dp,
    };
    const resumed = startOrResume<S>(start);
    // Every rank starts from rank 0's parameters, whatever each loaded or initialised.
    dp.broadcastFromRankZero(options.trainable);
    const state = resumed ? (options.restored?.(resumed.state) ?? resumed.state) : options.initialState;
    return new Trainer(options, resumed?.checkpoint, state, optimizer, start);
  }

  get done(): boolean {
    return this.stopped || this.state.step >= this.options.totalSteps;
  }

  /**
   * Sums the gradients over ranks, clips them, sets the scheduled learning rate, steps the optimizer
   * and drops the gradients. `loss` is the global batch's (the same on every rank). A NaN loss stops
   * training before the update (the parameters and the last checkpoint stay good); a non-finite
   * gradient norm skips the update.
   */
  optimizerStep(loss: number): { gradNorm: number; lr: number } {
    if (Number.isNaN(loss)) {
      this.stopped = true;
      throw new Error(
        `[${this.options.label}] the loss is NaN at step ${this.state.step + 1}: training diverged (lower --lr, or check the data); the last good checkpoint is in ${this.checkpoints.dir}`,
      );
    }
    this.dp.syncGradients(this.options.trainable);
    const gradNorm = clipGradNorm(this.options.trainable, this.options.maxGradNorm);
    this.watchGradient(gradNorm);
    this.optimizer.scaleLr(this.schedule(this.state.step));
    const lr = this.optimizer.lr();
    if (Number.isFinite(gradNorm)) this.optimizer.step();
    this.optimizer.zeroGrad();
    return { gradNorm, lr };
  }

  /**
   * Ends an optimizer step: counts it, logs `metrics` (step added), updates the progress line with
   * `fields`, saves a checkpoint when due, and lets the event loop turn.
   */
  async endStep(metrics: Record<string, number | string>, fields: Record<string, string | number> = {}): Promise<void> {
    this.state.step++;
    if (this.dp.isRankZero) this.options.run.logMetrics({ step: this.state.step, ...metrics });
    this.progress?.update(this.state.step, fields);
    if (this.state.step % this.options.checkpointEvery === 0 || this.state.step === this.options.totalSteps) {
      this.save();
    }
    await yieldToEventLoop();
  }

  /** Saves a resumable checkpoint of the current state. */
  save(): void {
    saveCheckpoint(
      this.start,
      stepName(this.state.step),
      this.options.store,
      this.optimizer,
      this.state,
      this.options.checkpointPrefix,
    );
  }

  finish(fields: Record<string, string | number> = {}): number {
    this.progress?.finish(fields);
    return this.progress?.elapsedSeconds() ?? (performance.now() - this.startedAt) / 1000;
  }

  private watchGradient(norm: number): void {
    const dead = !Number.isFinite(norm) || norm === 0;
    this.deadGradientSteps = dead ? this.deadGradientSteps + 1 : 0;
    if (this.deadGradientSteps === DEAD_GRADIENT_STEPS && this.dp.isRankZero) {
      console.error(
        `[${this.options.label}] warning: the gradient norm has been ${norm} for ${DEAD_GRADIENT_STEPS} steps: nothing is learning (frozen parameters, a zero loss, or overflow)`,
      );
    }
  }
}
