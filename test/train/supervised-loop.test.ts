/**
 * The shared supervised loop on a toy regression task (milliseconds per run): early stopping with
 * patience, the best checkpoint restored at the end, a kill at any point resumed to the same result,
 * and a fresh run in a used folder not inheriting the old run's state.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointManager, stepName } from "../../src/train/checkpoint.js";
import { RunFolder } from "../../src/train/run-folder.js";
import {
  DEFAULT_SUPERVISED,
  trainSupervised,
  validationLoss,
  type SupervisedConfig,
} from "../../src/train/supervised.js";
import { tempFolder } from "../support/helpers.js";
import { line, toyTask, type Pair, type ToyTask } from "../support/toy-task.js";

process.env.LATENTR3_QUIET = "1";

/**
 * Constant learning rate, no warm-up, no clipping in practice: Adam then moves w by about `lr` per
 * step towards the training slope, so epochs map to predictable values of w.
 */
const BASE: SupervisedConfig = {
  ...DEFAULT_SUPERVISED,
  batchSize: 2,
  microBatchSize: 2,
  lr: 0.1,
  warmupSteps: 0,
  schedule: "constant",
  maxGradNorm: 100,
  seed: 7,
  checkpointEvery: 2,
};

/** Train on slope 2, validate on slope 1: w climbs from 0 past 1, so validation improves, then worsens. */
const OVERSHOOT = { train: line(6, 2), valid: line(3, 1) };

const wOf = (task: ToyTask) => task.w.toList();

/** Parameters stored in a checkpoint, read into a fresh task's store. */
function checkpointW(runDir: string, name: string, data: { train: Pair[]; valid: Pair[] }): number[] {
  const fresh = toyTask(data.train, data.valid);
  new CheckpointManager(runDir).loadParams(name, fresh.store);
  return wOf(fresh);
}

test("early stopping: a validation loss that cannot improve stops the run after `patience` bad epochs", async () => {
  // Validation inputs are 0, so the validation loss is y² whatever w is: epoch 1 sets the best,
  // every later epoch is "no improvement".
  const constantValid = [{ x: [0], y: 1 }];
  for (const patience of [1, 2, 3]) {
    const { dir, cleanup } = tempFolder("early-stop");
    try {
      const r = await trainSupervised(
        toyTask(line(6, 2), constantValid),
        { ...BASE, epochs: 10, patience },
        new RunFolder(dir),
      );
      assert.equal(r.history.length, 1 + patience, `patience ${patience}: epochs run`);
      assert.equal(r.steps, 3 * (1 + patience));
      assert.equal(r.bestStep, 3, "the best epoch is the first");
    } finally {
      cleanup();
    }
  }
  // patience 0 never stops early.
  const { dir, cleanup } = tempFolder("early-stop");
  try {
    const r = await trainSupervised(
      toyTask(line(6, 2), constantValid),
      { ...BASE, epochs: 5, patience: 0 },
      new RunFolder(dir),
    );
    assert.equal(r.history.length, 5);
  } finally {
    cleanup();
  }
});

test("the best checkpoint's parameters are restored at the end", async () => {
  const { dir, cleanup } = tempFolder("best");
  try {
    const task = toyTask(OVERSHOOT.train, OVERSHOOT.valid);
    const r = await trainSupervised(task, { ...BASE, epochs: 6, patience: 0 }, new RunFolder(dir));
    const vals = r.history.map((h) => h.valLoss);
    const bestEpoch = vals.indexOf(Math.min(...vals));
    assert.ok(bestEpoch > 0 && bestEpoch < 5, `validation improves, then worsens: ${vals.join(", ")}`);
    assert.equal(r.bestStep, r.history[bestEpoch]!.step);
    assert.deepEqual(wOf(task), checkpointW(dir, "best", OVERSHOOT), "final params = the best checkpoint's");
    assert.notDeepEqual(wOf(task), checkpointW(dir, stepName(r.steps), OVERSHOOT), "and not the last step's");
    assert.equal(validationLoss(task, task.valid, 2), r.bestValLoss);
  } finally {
    cleanup();
  }
});

class Killed extends Error {}

/** A run folder whose process "dies" right after writing its n-th metrics row (before any later checkpoint). */
class DyingRunFolder extends RunFolder {
  private logged = 0;
  constructor(
    dir: string,
    private readonly dieAfter: number,
  ) {
    super(dir);
  }
  override logMetrics(row: Record<string, number | string>): void {
    super.logMetrics(row);
    if (++this.logged === this.dieAfter) throw new Killed(`killed after row ${this.dieAfter}`);
  }
}

test("killed after any metrics row and resumed, a run equals the uninterrupted one", async () => {
  // Patience 1: w overshoots, so the run stops early after its first worse epoch; checkpoints every
  // 2 steps with 3 steps per epoch, so kills fall before, between and after checkpoints, before the
  // first validation, and between a validation row and the epoch-end checkpoint.
  const config = { ...BASE, epochs: 8, patience: 1 };
  const reference = tempFolder("kill-ref");
  try {
    const refTask = toyTask(OVERSHOOT.train, OVERSHOOT.valid);
    const ref = await trainSupervised(refTask, config, new RunFolder(reference.dir));
    const refMetrics = readFileSync(join(reference.dir, "metrics.jsonl"), "utf8");
    const rows = refMetrics.trim().split("\n").length;
    assert.ok(ref.history.length < 8, "the reference run stops early");
    for (let n = 1; n < rows; n++) {
      const { dir, cleanup } = tempFolder("kill");
      try {
        // Each "process" starts from freshly initialised parameters, as a new CLI process would.
        await assert.rejects(
          trainSupervised(toyTask(OVERSHOOT.train, OVERSHOOT.valid), config, new DyingRunFolder(dir, n)),
          Killed,
        );
        const task = toyTask(OVERSHOOT.train, OVERSHOOT.valid);
        const r = await trainSupervised(task, config, new RunFolder(dir), { resume: true });
        assert.deepEqual(wOf(task), wOf(refTask), `killed after row ${n}: final parameters`);
        assert.equal(readFileSync(join(dir, "metrics.jsonl"), "utf8"), refMetrics, `killed after row ${n}: metrics`);
        assert.deepEqual(
          { steps: r.steps, bestStep: r.bestStep, bestValLoss: r.bestValLoss, history: r.history },
          { steps: ref.steps, bestStep: ref.bestStep, bestValLoss: ref.bestValLoss, history: ref.history },
          `killed after row ${n}: result`,
        );
      } finally {
        cleanup();
      }
    }
  } finally {
    reference.cleanup();
  }
});

test("a fresh run (no --resume) in a used run folder does not inherit the old run's checkpoints or metrics", async () => {
  const clean = tempFolder("fresh-clean");
  const used = tempFolder("fresh-used");
  try {
    // A short run that stops before any validation (so it has no best checkpoint of its own).
    const short = { ...BASE, epochs: 1, maxSteps: 2 };
    const expected = toyTask(OVERSHOOT.train, OVERSHOOT.valid);
    await trainSupervised(expected, short, new RunFolder(clean.dir));

    await trainSupervised(toyTask(OVERSHOOT.train, OVERSHOOT.valid), { ...BASE, epochs: 4 }, new RunFolder(used.dir));
    const task = toyTask(OVERSHOOT.train, OVERSHOOT.valid);
    await trainSupervised(task, short, new RunFolder(used.dir));
    assert.deepEqual(wOf(task), wOf(expected), "parameters (not the old run's best checkpoint)");
    assert.equal(
      readFileSync(join(used.dir, "metrics.jsonl"), "utf8"),
      readFileSync(join(clean.dir, "metrics.jsonl"), "utf8"),
      "metrics.jsonl holds only the new run's rows",
    );
  } finally {
    clean.cleanup();
    used.cleanup();
  }
});
