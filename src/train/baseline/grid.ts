/**
 * The paper's hyper-parameter search (Appendix B): every (learning rate, weight decay) pair trained in
 * its own run folder, the best kept by the selection metric (never test). Resumable: a finished point
 * (its result.json written) is not trained again, and an unfinished one resumes from its checkpoint.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { SequentialRecommender } from "../../baselines/model.js";
import { writeJsonAtomic } from "../../util/atomic-file.js";
import { ConfigError } from "../../util/config-table.js";
import { RunFolder, TRAINING_ARTIFACTS } from "../run-folder.js";
import {
  trainBaseline,
  type BaselineTask,
  type BaselineTrainingConfig,
  type BaselineTrainingResult,
} from "./trainer.js";

export interface GridPoint {
  lr: number;
  weightDecay: number;
}

/** lr ∈ {1e-2, 1e-3, 1e-4} × weight decay ∈ {1e-4, 1e-5, 1e-6}. */
export const PAPER_GRID: readonly GridPoint[] = [1e-2, 1e-3, 1e-4].flatMap((lr) =>
  [1e-4, 1e-5, 1e-6].map((weightDecay) => ({ lr, weightDecay })),
);

/**
 * The grid of the given learning rates × weight decays (each list as the CLI passes it: strings);
 * an empty list means the paper's values. `flags` names the settings in errors.
 */
export function gridPoints(
  lrs: readonly string[],
  decays: readonly string[],
  flags = { lr: "--grid-lr", weightDecay: "--grid-weight-decay" },
): GridPoint[] {
  const values = (given: readonly string[], flag: string, paper: number[], positive: boolean): number[] => {
    if (given.length === 0) return paper;
    return given.map((v) => {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n) || n < 0 || (positive && n === 0)) {
        const what = positive ? "a positive number" : "a non-negative number";
        throw new ConfigError(`${flag}: "${v}" is not ${what} (expected e.g. 1e-3,1e-4)`, flag);
      }
      return n;
    });
  };
  const paperLrs = [...new Set(PAPER_GRID.map((p) => p.lr))];
  const paperDecays = [...new Set(PAPER_GRID.map((p) => p.weightDecay))];
  const lrValues = values(lrs, flags.lr, paperLrs, true);
  const decayValues = values(decays, flags.weightDecay, paperDecays, false);
  return lrValues.flatMap((lr) => decayValues.map((weightDecay) => ({ lr, weightDecay })));
}

export interface GridPointResult extends GridPoint {
  /** The point's run folder. */
  dir: string;
  best: number;
  bestEpoch: number;
  epochs: number;
  steps: number;
  seconds: number;
}

const RESULT_FILE = "result.json";
/** What a point's folder is claimed as inside the grid's run folder (see RunFolder.claim). */
const GRID_POINT_COMMAND = "train baseline (grid point)";
const GRID_POINT_ARTIFACTS = [...TRAINING_ARTIFACTS, RESULT_FILE];

/** Folder name of a point: `lr-1e-3_wd-1e-5`. */
export function gridPointName(p: GridPoint): string {
  const short = (v: number) => v.toExponential().replace("e+", "e").replace(/\.0+e/, "e");
  return `lr-${short(p.lr)}_wd-${short(p.weightDecay)}`;
}

/**
 * Trains every point under `<dir>/grid/<point>/` and returns the results, best first by the selection
 * metric (ties: grid order). `task(point)` builds a fresh model and task per point; `save` writes the
 * point's trained model (into `<point>/model`) before its result is recorded. Without `resume`, earlier
 * results in `dir` are removed first, so nothing of an earlier run is reused (the caller has claimed
 * `dir`; each point claims its own folder, so a resumed point must have the settings it started with).
 */
export async function trainGrid(opts: {
  dir: string;
  points: readonly GridPoint[];
  config: BaselineTrainingConfig;
  task: (point: GridPoint) => BaselineTask;
  save: (model: SequentialRecommender, dir: string) => void;
  resume: boolean;
}): Promise<GridPointResult[]> {
  const root = join(opts.dir, "grid");
  if (!opts.resume) rmSync(root, { recursive: true, force: true });
  const results: GridPointResult[] = [];
  for (const [i, point] of opts.points.entries()) {
    const dir = join(root, gridPointName(point));
    const done = join(dir, RESULT_FILE);
    if (existsSync(done)) {
      results.push(JSON.parse(readFileSync(done, "utf8")) as GridPointResult);
      console.error(`[grid] ${i + 1}/${opts.points.length} ${gridPointName(point)}: done earlier`);
      continue;
    }
    console.error(`[grid] ${i + 1}/${opts.points.length} ${gridPointName(point)}`);
    const task = opts.task(point);
    const config = { ...opts.config, lr: point.lr, weightDecay: point.weightDecay };
    // A point resumed with other settings than it started with would mix two runs in one curve.
    const run = RunFolder.claim(dir, {
      command: GRID_POINT_COMMAND,
      settings: { point, training: config },
      resume: opts.resume,
      overwrite: false,
      artifacts: GRID_POINT_ARTIFACTS,
    });
    const trained: BaselineTrainingResult = await trainBaseline(task, config, run, { resume: opts.resume });
    opts.save(task.model, join(dir, "model"));
    task.model.store.dispose();
    const result: GridPointResult = {
      ...point,
      dir,
      best: trained.best,
      bestEpoch: trained.bestEpoch,
      epochs: trained.epochs,
      steps: trained.steps,
      seconds: trained.seconds,
    };
    writeJsonAtomic(done, result);
    results.push(result);
  }
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.best - a.r.best || a.i - b.i)
    .map(({ r }) => r);
}
