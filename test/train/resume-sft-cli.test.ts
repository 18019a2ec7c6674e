/**
 * GitHub issue 5: `latentr3 train sft` killed with SIGKILL and continued with `--resume` reaches the
 * same result as an uninterrupted run: the same final model, bit for bit, and the same metrics rows.
 * Real CLI in child processes, on the small synthetic dataset.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempFolder } from "../support/helpers.js";
import { resumedStep, runCli } from "../support/cli-process.js";
import {
  assertOk,
  assertSameOutcome,
  interruptedRun,
  SMALL_DATA,
  tinyPretrainedModel,
} from "../support/resume-runs.js";

test("train sft --latent 1: a run killed twice and resumed equals an uninterrupted run", async () => {
  const { dir, cleanup } = tempFolder("resume-sft");
  try {
    const model = await tinyPretrainedModel(dir);
    // 216 training rows / 24 = 9 steps per epoch; 2 epochs with validation, patience 1 and the best
    // checkpoint restored at the end. Killed mid epoch 1 (before any validation: the state then has
    // no best loss yet) and again mid epoch 2.
    const sft = [
      ...["train", "sft", "--model", model, "--latent", "1", ...SMALL_DATA],
      ...["--epochs", "2", "--batch-size", "24", "--micro-batch-size", "12", "--warmup-steps", "4"],
      ...["--patience", "1", "--checkpoint-every", "2"],
    ];
    const full = join(dir, "full");
    const r = await runCli([...sft, "--out", full]);
    assertOk(r, "uninterrupted sft");
    assert.match(r.stderr, /epoch 2: validation loss/, "the uninterrupted run trains both epochs");
    const killed = join(dir, "killed");
    const [first, second] = (await interruptedRun(sft, killed, [4, 12])).map(resumedStep);
    assert.ok(first! >= 4 && first! < 9, `first resume in epoch 1, got step ${first}`);
    assert.ok(second! >= 12 && second! < 18, `second resume in epoch 2, got step ${second}`);
    assertSameOutcome(killed, full, "sft");
  } finally {
    cleanup();
  }
});
