/**
 * The scaffolding every training loop shares, so each loop is reduced to its step: the AdamW
 * optimizer over the trainable parameters, the learning-rate schedule, starting fresh or resuming
 * from the run folder's latest checkpoint, gradient clipping, metrics.jsonl, progress, periodic
 * atomic checkpoints, numerical-health checks, and yielding to the event loop between steps (Node
 * finalises native objects only when the loop turns).
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

/**
 * The warm-up a run of `totalSteps` can use. A warm-up longer than half the run leaves the schedule no
 * room: the reference's RL default (200 steps) never reaches the peak learning rate on a 173-step CDs
 * run, and its cosine never decays. Such a warm-up is clamped to 10 % of the run (HF's usual
 * warmup_ratio), and the returned note says so.
 */
export function fittedWarmup(warmupSteps: number, totalSteps: number): { steps: number; note?: string } {
  if (warmupSteps <= totalSteps / 2) return { steps: warmupSteps };
  const steps = Math.round(totalSteps * 0.1);
  return {
    steps,
    note: `warm-up of ${warmupSteps} steps is more than half of this ${totalSteps}-step run: using ${steps} (10 %) so the learning rate reaches its peak and the schedule decays`,
  };
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
}

/** Consecutive steps with a zero or non-finite gradient norm before a warning. */
const DEAD_GRADIENT_STEPS = 20;

export class Trainer<S extends CheckpointState> {
  readonly optimizer: Optimizer;
  readonly checkpoints: CheckpointManager;
  readonly progress: Progress;
  state: S;
  /** Set by the loop (early stopping) or by endStep (a NaN loss). */
  stopped = false;
  /** The warm-up actually used (see fittedWarmup). */
  readonly warmupSteps: number;
  private readonly schedule: Schedule;
  private readonly start: RunStart;
  private deadGradientSteps = 0;

  private constructor(
    readonly options: TrainerOptions<S>,
    resumedFrom: string | undefined,
    state: S,
    optimizer: Optimizer,
    start: RunStart,
  ) {
    this.optimizer = optimizer;
    this.start = start;
    this.checkpoints = start.checkpoints;
    this.state = state;
    const warmup = fittedWarmup(options.warmupSteps, options.totalSteps);
    this.warmupSteps = warmup.steps;
    if (warmup.note && process.env.LATENTR3_QUIET !== "1") console.error(`[${options.label}] note: ${warmup.note}`);
    this.schedule = makeSchedule(options.schedule, warmup.steps, options.totalSteps);
    if (resumedFrom) console.error(`[${options.label}] resumed from ${resumedFrom} (step ${state.step})`);
    this.progress = new Progress(options.label, options.totalSteps, process.stderr, undefined, state.step);
  }

  /** Creates the optimizer and starts fresh or resumes from the run folder's latest checkpoint. */
  static start<S extends CheckpointState>(options: TrainerOptions<S>): Trainer<S> {
    const optimizer = adamW(options.trainable, { lr: options.lr, weightDecay: options.weightDecay });
    const checkpoints = new CheckpointManager(options.run.dir);
    const start: RunStart = {
      run: options.run,
      checkpoints,
      label: options.label,
      store: options.store,
      optimizer,
      resume: options.resume,
    };
    const resumed = startOrResume<S>(start);
    const state = resumed ? (options.restored?.(resumed.state) ?? resumed.state) : options.initialState;
    return new Trainer(options, resumed?.checkpoint, state, optimizer, start);
  }

  get done(): boolean {
    return this.stopped || this.state.step >= this.options.totalSteps;
  }

  /**
   * Clips the gradients, sets the scheduled learning rate, steps the optimizer and drops the
   * gradients. A NaN loss stops training before the update (the parameters and the last checkpoint
   * stay good); a non-finite gradient norm skips the update.
   */
  optimizerStep(loss: number): { gradNorm: number; lr: number } {
    if (Number.isNaN(loss)) {
      this.stopped = true;
      throw new Error(
        `[${this.options.label}] the loss is NaN at step ${this.state.step + 1}: training diverged (lower --lr, or check the data); the last good checkpoint is in ${this.checkpoints.dir}`,
      );
    }
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
    this.options.run.logMetrics({ step: this.state.step, ...metrics });
    this.progress.update(this.state.step, fields);
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
    this.progress.finish(fields);
    return this.progress.elapsedSeconds();
  }

  private watchGradient(norm: number): void {
    const dead = !Number.isFinite(norm) || norm === 0;
    this.deadGradientSteps = dead ? this.deadGradientSteps + 1 : 0;
    if (this.deadGradientSteps === DEAD_GRADIENT_STEPS) {
      console.error(
        `[${this.options.label}] warning: the gradient norm has been ${norm} for ${DEAD_GRADIENT_STEPS} steps: nothing is learning (frozen parameters, a zero loss, or overflow)`,
      );
    }
  }
}
