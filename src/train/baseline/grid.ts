/**
 * The paper's hyper-parameter search (Appendix B): every (learning rate, weight decay) pair trained in
 * its own run folder, the best kept by the selection metric (never test). Resumable: a finished point
 * (its result.json written) is not trained again, and an unfinished one resumes from its checkpoint.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { SequentialRecommender } from "../../baselines/model.js";
import { writeJsonAtomic } from "../../util/atomic-file.js";
import { RunFolder } from "../run-folder.js";
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

/** Folder name of a point: `lr-1e-3_wd-1e-5`. */
export function gridPointName(p: GridPoint): string {
  const short = (v: number) => v.toExponential().replace("e+", "e").replace(/\.0+e/, "e");
  return `lr-${short(p.lr)}_wd-${short(p.weightDecay)}`;
}

/**
 * Trains every point under `<dir>/grid/<point>/` and returns the results, best first by the selection
 * metric (ties: grid order). `task(point)` builds a fresh model and task per point; `save` writes the
 * point's trained model (into `<point>/model`) before its result is recorded. Without `resume`, earlier
 * results in `dir` are removed first, so nothing of an earlier run is reused.
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
    const run = new RunFolder(dir);
    run.writeConfig({ point, training: config });
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
