/**
 * How a training loop starts in its run folder, shared by the supervised loop and LR-GRPO: either
 * resume from the latest checkpoint (parameters, optimizer, trainer state, and metrics.jsonl cut
 * back to the rows logged before that checkpoint), or start fresh, removing what an earlier run
 * left there so none of it leaks into this one.
 */
import type { DataParallel } from "../distributed/index.js";
import type { Optimizer } from "../engine/index.js";
import type { ParamStore } from "../nn/index.js";
import type { CheckpointManager, CheckpointState, ParamSelection } from "./checkpoint.js";
import type { RunFolder } from "./run-folder.js";

export interface RunStart {
  run: RunFolder;
  checkpoints: CheckpointManager;
  label: string;
  store: ParamStore;
  optimizer: Optimizer;
  resume: boolean;
  /**
   * The data-parallel job (absent: one process). Every rank restores the same checkpoint; rank 0
   * alone writes: it cuts metrics.jsonl back, clears an earlier run's files and saves checkpoints.
   */
  dp?: DataParallel;
}

/** The resumed trainer state and its checkpoint's name, or undefined for a fresh start. */
export function startOrResume<S extends CheckpointState>(
  start: RunStart,
): { state: S; checkpoint: string } | undefined {
  const resumed = restoreOrClear<S>(start);
  start.dp?.agree(
    "the step this run starts from",
    resumed?.state.step ?? 0,
    `every rank must see the same run folder ${start.run.dir} (on several nodes: a shared filesystem)`,
  );
  return resumed;
}

function restoreOrClear<S extends CheckpointState>(start: RunStart): { state: S; checkpoint: string } | undefined {
  const { run, checkpoints, label } = start;
  const writer = start.dp?.isRankZero ?? true;
  if (start.resume) {
    const latest = checkpoints.latest();
    if (latest) {
      const state = checkpoints.load<S>(latest, start.store, start.optimizer);
      const rows = state.metricsRows;
      if (writer) run.truncateMetrics(typeof rows === "number" ? { rows } : { step: state.step });
      return { state, checkpoint: latest };
    }
    if (writer) console.error(`[${label}] --resume: no checkpoint in ${checkpoints.dir}, starting fresh`);
  }
  if (!writer) return undefined;
  // Without this, a stale "best" checkpoint would be restored at the end of a run that never
  // validated, a later --resume could pick up the old run's checkpoints, and metrics.jsonl would
  // mix both runs' rows.
  const hadCheckpoints = checkpoints.clear();
  const hadMetrics = run.clearMetrics();
  if (hadCheckpoints || hadMetrics) {
    console.error(
      `[${label}] starting fresh in ${run.dir}: removed an earlier run's checkpoints and metrics.jsonl (--resume continues a run instead)`,
    );
  }
  return undefined;
}

/**
 * Saves a checkpoint that records how many metrics rows precede it (what a resume keeps). In a
 * data-parallel job only rank 0 writes (every rank holds the same parameters and optimizer state).
 */
export function saveCheckpoint(
  start: Pick<RunStart, "run" | "checkpoints" | "dp">,
  name: string,
  store: ParamStore,
  optimizer: Optimizer | null,
  state: CheckpointState,
  select: ParamSelection = "",
): string | undefined {
  if (start.dp && !start.dp.isRankZero) return undefined;
  return start.checkpoints.save(name, store, optimizer, { ...state, metricsRows: start.run.metricsRows() }, select);
}
