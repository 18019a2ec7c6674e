/**
 * Training the baselines: negative sampling never returns the positive; SASRec learns a sequence whose
 * next item is a fixed function of the previous one (HR@1 > 0.9 on users it never saw); a run resumed
 * after its second epoch ends exactly where an uninterrupted run ends.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Generator, int64 } from "../../src/engine/index.js";
import {
  ItemVocabulary,
  baselineConfig,
  createBaseline,
  sampleNegatives,
  saveBaseline,
  sequenceBatch,
  sequenceRows,
  topItems,
  type Arch,
  type SequentialRecommender,
} from "../../src/baselines/index.js";
import { sampledBceLoss } from "../../src/train/baseline/objective.js";
import { PAPER_GRID, gridPointName, trainGrid } from "../../src/train/baseline/grid.js";
import { trainBaseline, type BaselineTask, type BaselineTrainingConfig } from "../../src/train/baseline/trainer.js";
import { RunFolder } from "../../src/train/run-folder.js";
import { tempDir } from "../support/helpers.js";
import { chainData } from "../support/chain-data.js";

test("negative sampling: uniform over the other items, never the positive, reproducible from the generator", () => {
  const positives = int64(
    Array.from({ length: 3000 }, (_, i) => (i % 3) + 1),
    [1000, 3],
  );
  const negatives = sampleNegatives(positives, 3, 4, new Generator(1));
  assert.deepEqual([...negatives.shape], [1000, 3, 4]);
  const pos = positives.toList();
  const neg = negatives.toList();
  const counts = new Map<string, number>();
  neg.forEach((n, j) => {
    const p = pos[Math.floor(j / 4)]!;
    assert.ok(n >= 1 && n <= 3 && n !== p, `negative ${n} for positive ${p}`);
    counts.set(`${p}->${n}`, (counts.get(`${p}->${n}`) ?? 0) + 1);
  });
  // Each positive has two possible negatives, each drawn about 2000 times out of 4000.
  for (const [pair, c] of counts) assert.ok(Math.abs(c - 2000) < 150, `${pair} drawn ${c} times`);
  assert.deepEqual(sampleNegatives(positives, 3, 4, new Generator(1)).toList(), neg);
  assert.throws(() => sampleNegatives(positives, 1, 1, new Generator(1)), /at least 2 catalogue items, got 1/);
});

const data = chainData();
const vocab = new ItemVocabulary(data.items);
const rows = {
  train: sequenceRows(data.train, vocab, null, "train"),
  valid: sequenceRows(data.valid, vocab, null, "valid"),
  test: sequenceRows(data.test, vocab, null, "test"),
};

function hitRateAt1(model: SequentialRecommender, split: typeof rows.test): number {
  const top = topItems(model, split, 1);
  return split.filter((r, i) => top[i]![0] === r.target).length / split.length;
}

function config(overrides: Partial<BaselineTrainingConfig> = {}): BaselineTrainingConfig {
  return {
    epochs: 20,
    batchSize: 64,
    lr: 1e-2,
    weightDecay: 0,
    adamBeta2: 0.98,
    negatives: 1,
    positions: "all",
    evalEvery: 1,
    patience: 3,
    seed: 11,
    ...overrides,
  };
}

function train(arch: Arch, dir: string, overrides: Partial<BaselineTrainingConfig> = {}, resume = false) {
  const model = createBaseline(baselineConfig(arch, vocab, null, { hidden_size: 32 }), { seed: 2 });
  const result = trainBaseline(
    { label: arch, model, train: rows.train, select: () => hitRateAt1(model, rows.valid), selectionName: "HR@1" },
    config(overrides),
    new RunFolder(dir),
    { resume },
  );
  return { model, result };
}

test("sasrec learns a fixed next-item function: HR@1 > 0.9 on held-out users", async () => {
  const { model, result } = train("sasrec", tempDir("chain-sasrec"));
  const r = await result;
  const hr = hitRateAt1(model, rows.test);
  assert.ok(hr > 0.9, `HR@1 ${hr} after ${r.epochs} epochs (selection history ${JSON.stringify(r.history)})`);
  assert.equal(r.best, Math.max(...r.history.map((h) => h.selection)), "the best selection is restored");
});

test("a run resumed after its second epoch ends exactly where an uninterrupted run ends", async () => {
  const whole = tempDir("resume-whole");
  const killed = tempDir("resume-killed");
  const full = await train("gru4rec", whole, { epochs: 4, patience: 0 }).result;
  await train("gru4rec", killed, { epochs: 2, patience: 0 }).result;
  const resumed = train("gru4rec", killed, { epochs: 4, patience: 0 }, true);
  const after = await resumed.result;
  assert.deepEqual(after.history, full.history);
  const strip = (dir: string) => readFileSync(join(dir, "metrics.jsonl"), "utf8");
  assert.equal(strip(killed), strip(whole));
});

test("caser trains on the row target only; asking for every position says so", () => {
  const model = createBaseline(baselineConfig("caser", vocab, null), { seed: 3 });
  const batch = sequenceBatch(rows.train.slice(0, 4), { maxLen: 5, padding: "left" });
  assert.throws(
    () => sampledBceLoss(model, batch, 1, "all", new Generator(1)),
    /caser reads one window per row: train it on the target only/,
  );
  assert.ok(Number.isFinite(sampledBceLoss(model, batch, 3, "target", new Generator(1)).item()));
});

test("grid: every point in its own folder, best by selection first, finished points not retrained on resume", async () => {
  const dir = tempDir("grid");
  const points = [
    { lr: 1e-5, weightDecay: 0 },
    { lr: 1e-2, weightDecay: 1e-6 },
  ];
  let built = 0;
  const task = (): BaselineTask => {
    built++;
    const model = createBaseline(baselineConfig("gru4rec", vocab, null, { hidden_size: 16 }), { seed: 2 });
    return {
      label: "gru4rec",
      model,
      train: rows.train,
      select: () => hitRateAt1(model, rows.valid),
      selectionName: "HR@1",
    };
  };
  const grid = (resume: boolean) =>
    trainGrid({ dir, points, config: config({ epochs: 2, patience: 0 }), task, save: saveBaseline, resume });
  const results = await grid(false);
  assert.equal(built, 2);
  assert.deepEqual(
    results.map((r) => gridPointName(r)),
    ["lr-1e-2_wd-1e-6", "lr-1e-5_wd-0e0"],
  );
  assert.ok(results[0]!.best > results[1]!.best);
  assert.ok(existsSync(join(results[0]!.dir, "model", "model.safetensors")));
  assert.deepEqual(await grid(true), results);
  assert.equal(built, 2, "finished points are read back, not retrained");
  await grid(false);
  assert.equal(built, 4, "without --resume the grid starts over");
  assert.deepEqual(PAPER_GRID.length, 9);
  assert.deepEqual(PAPER_GRID.map(gridPointName).slice(0, 4), [
    "lr-1e-2_wd-1e-4",
    "lr-1e-2_wd-1e-5",
    "lr-1e-2_wd-1e-6",
    "lr-1e-3_wd-1e-4",
  ]);
});
