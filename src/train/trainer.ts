/**
 * The scaffolding every training loop shares, so each loop is reduced to its step: the AdamW
 * optimizer over the trainable parameters, the learning-rate schedule, starting fresh or resuming
 * from the run folder's latest checkpoint, mixed precision (autocast forward, fp16 loss scaling
 * with overflowing steps skipped), gradient checkpointing of the model's decoder layers, gradient
 * clipping, metrics.jsonl, progress, periodic atomic checkpoints, numerical-health checks, and
 * yielding to the event loop between steps (Node finalises native objects only when the loop turns).
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
 *     const loss = trainer.forward(() => ...);   // in the run's compute precision
 *     trainer.backward(loss);                    // scaled under fp16
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
import { CheckpointManager, stepName, type CheckpointState, type ParamSelection } from "./checkpoint.js";
import { MixedPrecision, type Precision } from "./precision.js";
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
  /**
   * The parameters step and best checkpoints hold (default all): a name prefix (LatentRATT's in
   * LR-GRPO) or a predicate (the trainable ones in LoRA SFT; the frozen rest never changes).
   */
  checkpointed?: ParamSelection;
  /** Compute precision, already resolved for the device (default fp32). */
  precision?: Precision;
  /** Recompute these decoder layers in backward while training (restored by `finish`). */
  gradientCheckpointing?: { model: { gradientCheckpointing: boolean }; enabled: boolean };
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
  readonly precision: MixedPrecision;
  state: S;
  /** Set by the loop (early stopping) or by endStep (a NaN loss). */
  stopped = false;
  /** The warm-up actually used (see fittedWarmup). */
  readonly warmupSteps: number;
  private readonly schedule: Schedule;
  private readonly start: RunStart;
  private deadGradientSteps = 0;
  /** Whether the last optimizerStep was skipped for overflowing fp16 gradients. */
  private skipped = false;
  /** The model's gradient-checkpointing flag before this run set it. */
  private readonly recomputeBefore: boolean | undefined;
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
    const warmup = fittedWarmup(options.warmupSteps, options.totalSteps);
    this.warmupSteps = warmup.steps;
    const lead = this.dp.isRankZero;
    if (warmup.note && lead && process.env.LATENTR3_QUIET !== "1")
      console.error(`[${options.label}] note: ${warmup.note}`);
    this.schedule = makeSchedule(options.schedule, warmup.steps, options.totalSteps);
    this.precision = new MixedPrecision(options.precision ?? "fp32", options.store.device);
    const scaler = this.precision.scaler;
    if (scaler && typeof state.lossScale === "number") scaler.scale = state.lossScale;
    if (scaler && typeof state.lossScaleGoodSteps === "number") scaler.goodSteps = state.lossScaleGoodSteps;
    const recompute = options.gradientCheckpointing;
    this.recomputeBefore = recompute?.model.gradientCheckpointing;
    if (recompute) recompute.model.gradientCheckpointing = recompute.enabled;
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

  /** Runs a forward (and its loss) in the run's compute precision (autocast under bf16/fp16). */
  forward<T>(fn: () => T): T {
    return this.precision.forward(fn);
  }

  /** Backward of `loss`, scaled under fp16 (optimizerStep unscales the gradients). */
  backward(loss: Tensor): void {
    this.precision.backward(loss);
  }

  /**
   * Sums the gradients over ranks, unscales them (fp16), clips them, sets the scheduled learning
   * rate, steps the optimizer and drops the gradients. `loss` is the global batch's (the same on every
   * rank). A NaN loss stops training before the update (the parameters and the last checkpoint stay
   * good), except under fp16, where an overflow is expected now and then: its step is skipped and the
   * loss scale backs off, as for any step with inf/NaN gradients. A non-finite gradient norm skips the
   * update.
   */
  optimizerStep(loss: number): { gradNorm: number; lr: number; skipped: boolean } {
    const scaler = this.precision.scaler;
    if (Number.isNaN(loss) && !scaler) {
      this.stopped = true;
      this.restoreModel();
      throw new Error(
        `[${this.options.label}] the loss is NaN at step ${this.state.step + 1}: training diverged (lower --lr, or check the data); the last good checkpoint is in ${this.checkpoints.dir}`,
      );
    }
    this.dp.syncGradients(this.options.trainable);
    this.skipped = false;
    if (scaler) {
      const finite = scaler.unscale(this.options.trainable);
      scaler.update(finite);
      this.skipped = !finite;
      if (this.skipped) {
        console.error(
          `[${this.options.label}] step ${this.state.step + 1}: inf/NaN gradients under fp16, step skipped (loss scale now ${scaler.scale})`,
        );
      }
    }
    const gradNorm = this.skipped ? NaN : clipGradNorm(this.options.trainable, this.options.maxGradNorm);
    this.watchGradient(gradNorm);
    this.optimizer.scaleLr(this.schedule(this.state.step));
    const lr = this.optimizer.lr();
    if (Number.isFinite(gradNorm)) this.optimizer.step();
    this.optimizer.zeroGrad();
    return { gradNorm, lr, skipped: this.skipped };
  }

  /**
   * Ends an optimizer step: counts it, logs `metrics` (step added), updates the progress line with
   * `fields`, saves a checkpoint when due, and lets the event loop turn.
   */
  async endStep(metrics: Record<string, number | string>, fields: Record<string, string | number> = {}): Promise<void> {
    this.state.step++;
    const scaler = this.precision.scaler;
    const scaling: Record<string, number> = scaler ? { loss_scale: scaler.scale, skipped: this.skipped ? 1 : 0 } : {};
    if (this.dp.isRankZero) this.options.run.logMetrics({ step: this.state.step, ...metrics, ...scaling });
    this.progress?.update(this.state.step, fields);
    if (this.state.step % this.options.checkpointEvery === 0 || this.state.step === this.options.totalSteps) {
      this.save();
    }
    await yieldToEventLoop();
  }

  /** Saves a resumable checkpoint of the current state. */
  save(): void {
    const scaler = this.precision.scaler;
    // The loss scale resumes where it was: a fresh 2^16 would overflow again for steps.
    if (scaler) Object.assign(this.state, { lossScale: scaler.scale, lossScaleGoodSteps: scaler.goodSteps });
    saveCheckpoint(
      this.start,
      stepName(this.state.step),
      this.options.store,
      this.optimizer,
      this.state,
      this.options.checkpointed,
    );
  }

  /** Saves the parameters as the run's best so far (restored at the end by the loop). */
  saveBest(): void {
    if (!this.dp.isRankZero) return;
    this.checkpoints.save("best", this.options.store, null, { step: this.state.step }, this.options.checkpointed);
  }

  finish(fields: Record<string, string | number> = {}): number {
    this.restoreModel();
    this.progress?.finish(fields);
    return this.progress?.elapsedSeconds() ?? (performance.now() - this.startedAt) / 1000;
  }

  private restoreModel(): void {
    const recompute = this.options.gradientCheckpointing;
    if (recompute && this.recomputeBefore !== undefined) recompute.model.gradientCheckpointing = this.recomputeBefore;
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
