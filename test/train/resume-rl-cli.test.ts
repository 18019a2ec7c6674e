/**
 * GitHub issue 5 for LR-GRPO: `latentr3 train rl` killed with SIGKILL and continued with `--resume`
 * reaches the same final model (bit for bit) and metrics rows as an uninterrupted run.
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

test("train rl: a run killed and resumed equals an uninterrupted run", async () => {
  const { dir, cleanup } = tempFolder("resume-rl");
  try {
    // A latent model to start from: two SFT steps give it LatentRATT weights.
    const pre = await tinyPretrainedModel(dir);
    const sftDir = join(dir, "sft");
    const sft = ["train", "sft", "--model", pre, "--latent", "1", "--max-steps", "2", "--batch-size", "8"];
    assertOk(await runCli([...sft, "--micro-batch-size", "8", "--out", sftDir, ...SMALL_DATA]), "sft");

    // 8 steps of 8 prompts × 4 samples, two policy passes per step (so the ratio and clip are live
    // and the optimizer moments matter), killed after the step-4 checkpoint.
    const rl = [
      ...["train", "rl", "--model", join(sftDir, "model"), ...SMALL_DATA],
      ...["--prompts-per-step", "8", "--micro-prompts", "4", "--samples", "4", "--sigma", "0.5"],
      ...["--max-steps", "8", "--warmup-steps", "2", "--lr", "1e-3", "--iterations", "2", "--checkpoint-every", "2"],
    ];
    const full = join(dir, "full");
    assertOk(await runCli([...rl, "--out", full]), "uninterrupted rl");
    const killed = join(dir, "killed");
    const [step] = (await interruptedRun(rl, killed, [4])).map(resumedStep);
    assert.ok(step! >= 4 && step! < 8, `resumed mid-run, got step ${step}`);
    assertSameOutcome(killed, full, "rl");
  } finally {
    cleanup();
  }
});
