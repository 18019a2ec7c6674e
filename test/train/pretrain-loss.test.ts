/**
 * GitHub issue 3: pretraining a small model on a toy corpus must clearly drive its loss down
 * (a loop that silently does not learn — wrong labels shift, frozen parameters, lr 0 — fails here).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RunFolder } from "../../src/train/run-folder.js";
import { pretrainingCorpus, pretrainTask, runPretrain } from "../../src/train/pretrain.js";
import { DEFAULT_SUPERVISED, validationLoss } from "../../src/train/supervised.js";
import { tempFolder } from "../support/helpers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

process.env.LATENTR3_QUIET = "1";

test("pretraining on a toy corpus drives the validation loss clearly down", async () => {
  const source = await smallSource();
  const rec = await tinyRecommender(source);
  // Toy corpus: the 60 catalogue titles and 40 training prompts with answers (≈ 6k tokens over a
  // compacted vocabulary of ≈ 120), 6 epochs of 16-row batches = 36 steps, a few seconds on 2 cores.
  const corpus = pretrainingCorpus(
    rec,
    source.items.map((i) => i.title.trim()),
    source.splits.train.slice(0, 40),
  );
  const config = {
    ...DEFAULT_SUPERVISED,
    epochs: 6,
    batchSize: 16,
    microBatchSize: 16,
    lr: 3e-3,
    warmupSteps: 5,
    schedule: "cosine" as const,
    patience: 0,
  };
  // runPretrain holds out the same validation rows (a pure function of corpus and seed).
  const probe = pretrainTask(rec, corpus, 0.05, config.seed);
  const before = validationLoss(probe, probe.valid, 16);
  const uniform = Math.log(rec.tokenizer.vocabSize);
  assert.ok(Math.abs(before - uniform) < 0.5, `a random model is near the uniform loss: ${before} vs ${uniform}`);
  const { dir, cleanup } = tempFolder("pretrain-loss");
  try {
    const r = await runPretrain(rec, corpus, config, new RunFolder(dir));
    const after = validationLoss(probe, probe.valid, 16);
    // Measured ≈ 4.9 → 2.2 nats; require at least 40 % off, and the training loss falling too.
    assert.ok(after < 0.6 * before, `validation loss ${before.toFixed(3)} → ${after.toFixed(3)}: not a clear drop`);
    const train = r.history.map((h) => h.trainLoss);
    assert.ok(train.at(-1)! < train[0]! - 1, `training loss per epoch: ${train.map((x) => x.toFixed(3)).join(", ")}`);
  } finally {
    cleanup();
    rec.dispose();
  }
});
