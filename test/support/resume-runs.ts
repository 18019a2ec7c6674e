/**
 * Helpers of the kill-and-resume tests (GitHub issue 5): a tiny pretrained model made through the
 * CLI, a run killed at given checkpoints and resumed to the end, and the outputs compared.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, type CliResult } from "./cli-process.js";

/** The small synthetic dataset: 216 training rows, 60 items. */
export const SMALL_DATA = ["--synth-users", "60", "--synth-items", "60"];

export function assertOk(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what} failed (code ${r.code}, signal ${r.signal}):\n${r.stderr}`);
}

/** A tiny pretrained model (a few steps are enough: only determinism matters); returns its folder. */
export async function tinyPretrainedModel(dir: string, steps = 3): Promise<string> {
  const out = join(dir, "pretrain");
  assertOk(await runCli(["train", "pretrain", "--max-steps", String(steps), "--out", out, ...SMALL_DATA]), "pretrain");
  return join(out, "model");
}

export const modelBytes = (runDir: string): Buffer => readFileSync(join(runDir, "model", "model.safetensors"));
/** Wall-clock fields differ between any two runs; everything else must match exactly. */
const TIMING_FIELDS = ["step_seconds"];

export const metricsRows = (runDir: string): string[] =>
  readFileSync(join(runDir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      for (const f of TIMING_FIELDS) delete row[f];
      return JSON.stringify(row);
    });

/**
 * Runs `args --out dir` and kills it (SIGKILL) once it has checkpointed step `killAt[0]`, resumes it
 * and kills it again at `killAt[1]`, and so on; then resumes it to the end. Returns the stderr of
 * each resumed run.
 */
export async function interruptedRun(
  args: readonly string[],
  dir: string,
  killAt: readonly number[],
): Promise<string[]> {
  const logs: string[] = [];
  for (const [i, step] of killAt.entries()) {
    const r = await runCli([...args, "--out", dir, ...(i > 0 ? ["--resume"] : [])], {
      killAtCheckpoint: { runDir: dir, step },
    });
    assert.equal(r.signal, "SIGKILL", `run ${i + 1} should have been killed at step ${step}; it ended:\n${r.stderr}`);
    if (i > 0) logs.push(r.stderr);
  }
  const last = await runCli([...args, "--out", dir, "--resume"]);
  assertOk(last, "the final resumed run");
  logs.push(last.stderr);
  return logs;
}

/** The uninterrupted and the interrupted run folders have the same metrics rows and final model bytes. */
export function assertSameOutcome(interrupted: string, uninterrupted: string, what: string): void {
  assert.deepEqual(metricsRows(interrupted), metricsRows(uninterrupted), `${what}: metrics.jsonl rows differ`);
  assert.ok(modelBytes(interrupted).equals(modelBytes(uninterrupted)), `${what}: final model.safetensors differs`);
}
