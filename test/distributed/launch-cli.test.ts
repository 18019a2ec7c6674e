/**
 * `latentr3 launch` end to end: two CLI workers run `train sft` data-parallel; rank 0 alone prints
 * and writes, and the saved model has the single-process run's format. A worker that fails (here:
 * a backend this build lacks) fails the job with its rank and message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { collectiveBackends } from "../../src/engine/index.js";
import { openSafetensors } from "../../src/engine/safetensors.js";
import { tempFolder } from "../support/helpers.js";
import { runCli } from "../support/cli-process.js";
import { freePort } from "../support/launch-workers.js";
import { assertOk, metricsRows, SMALL_DATA, tinyPretrainedModel } from "../support/resume-runs.js";

const skip = collectiveBackends().includes("gloo") ? false : "the addon was built without Gloo";

function layout(modelDir: string): { files: string[]; tensors: string[] } {
  const file = openSafetensors(join(modelDir, "model.safetensors"));
  try {
    const tensors = [...file.entries].map(([name, e]) => `${name} ${e.dtype} [${e.shape.join(",")}]`).sort();
    return { files: readdirSync(modelDir).sort(), tensors };
  } finally {
    file.close();
  }
}

test(
  "launch --nproc 2 -- train sft: one run folder, written by rank 0, in the single-process format",
  { skip, timeout: 900_000 },
  async () => {
    const { dir, cleanup } = tempFolder("launch-cli");
    try {
      const model = await tinyPretrainedModel(dir);
      const sft = [
        "train",
        "sft",
        "--model",
        model,
        ...SMALL_DATA,
        "--max-steps",
        "2",
        "--batch-size",
        "8",
        "--micro-batch-size",
        "4",
      ];
      const two = join(dir, "two");
      const r = await runCli([
        "launch",
        "--nproc",
        "2",
        "--master-port",
        String(await freePort()),
        "--",
        ...sft,
        "--out",
        two,
      ]);
      assertOk(r, "launch");
      assert.match(r.stdout, /^\[rank 0\] model saved to .*two\/model \(2 steps/m);
      assert.doesNotMatch(r.stdout, /\[rank 1\] model saved/);
      assert.doesNotMatch(r.stderr, /\[rank 1\] \[sft\]/, "rank 1 prints no progress");
      const config = JSON.parse(readFileSync(join(two, "config.json"), "utf8")) as { distributed?: unknown };
      assert.deepEqual(config.distributed, { worldSize: 2, device: "cpu" });
      assert.equal(metricsRows(two).length, 2, "one metrics row per step, written once");

      const one = join(dir, "one");
      assertOk(await runCli([...sft, "--out", one]), "single process");
      assert.deepEqual(layout(join(two, "model")), layout(join(one, "model")));
    } finally {
      cleanup();
    }
  },
);

test("launch: a worker's failure fails the job with its rank and message", { skip, timeout: 300_000 }, async () => {
  const { dir, cleanup } = tempFolder("launch-cli-fail");
  try {
    const port = String(await freePort());
    const r = await runCli([
      ...["launch", "--nproc", "2", "--master-port", port, "--"],
      ...["train", "pretrain", ...SMALL_DATA, "--max-steps", "1", "--backend", "nccl", "--out", join(dir, "x")],
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /latentr3 launch: the job failed: rank [01] exited with code 1; its last output:/);
    assert.match(r.stderr, /\[rank [01]\] .*distributed backend nccl is not available in this build/);
  } finally {
    cleanup();
  }
});

test(
  "launch --nproc 2 -- demo --quick: every stage data-parallel, one report written by rank 0",
  { skip, timeout: 1_200_000 },
  async () => {
    const { dir, cleanup } = tempFolder("launch-demo");
    try {
      const out = join(dir, "demo");
      const port = String(await freePort());
      const r = await runCli([
        "launch",
        "--nproc",
        "2",
        "--master-port",
        port,
        "--",
        "demo",
        "--quick",
        ...SMALL_DATA,
        "--out",
        out,
      ]);
      assertOk(r, "launch demo");
      assert.equal(r.stdout.match(/demo finished in .*; report: /g)?.length, 1, "one closing line");
      assert.match(r.stdout, /^\[rank 0\] demo finished in .*report: .*demo\/report\.html$/m);
      assert.doesNotMatch(r.stdout, /^\[rank 1\] (BIGRec|Most popular):/m, "rank 1 prints no metrics");
      assert.doesNotMatch(r.stderr, /^\[rank 1\] \[demo\]/m, "rank 1 prints no stage log");
      const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as {
        reports: { run: string }[];
        costs: { stage: string; steps: number }[];
      };
      // Both most-popular lists and the eight LLM variants; the sequential baselines run in one process
      // and a launched demo leaves them out, saying so.
      assert.equal(report.reports.length, 10, "every variant evaluated once");
      assert.ok(!report.reports.some((x) => /Caser|GRU4Rec|SASRec/.test(x.run)), "no baseline under launch");
      assert.match(r.stderr, /Caser, GRU4Rec and SASRec run in one process: left out under launch/);
      assert.ok(readFileSync(join(out, "report.html"), "utf8").includes("BIGRec"));
      for (const stage of ["pretrain", "bigrec", "rl"]) {
        const config = JSON.parse(readFileSync(join(out, stage, "config.json"), "utf8")) as { distributed?: unknown };
        assert.deepEqual(config.distributed, { worldSize: 2, device: "cpu" }, `${stage} ran data-parallel`);
      }
      const evaluations = readdirSync(join(out, "eval"));
      assert.equal(evaluations.length, 10, "one folder per evaluation");
    } finally {
      cleanup();
    }
  },
);
