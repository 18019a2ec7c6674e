import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runSeeds, seedDir, SEEDS_JSON, SEEDS_TXT } from "../../src/pipeline/seeds.js";
import { THREE_SEEDS } from "../eval/seeds-fixture.js";
import { tempDir } from "../support/helpers.js";
import { runCli } from "../support/cli-process.js";
import { assertOk, SMALL_DATA } from "../support/resume-runs.js";
import type { SeedsSummary } from "../../src/eval/seeds.js";

test("runSeeds: one run per seed in its own folder, summary written as JSON and text", async () => {
  const out = tempDir("seeds");
  const calls: [number, string][] = [];
  const { summary, text } = await runSeeds(
    [1, 2, 3],
    out,
    async (seed, dir) => {
      calls.push([seed, dir]);
      return THREE_SEEDS.find((s) => s.seed === seed)!.reports;
    },
    { baseline: "BIGRec" },
  );
  assert.deepEqual(
    calls,
    [1, 2, 3].map((s) => [s, seedDir(out, s)]),
  );
  assert.equal(seedDir(out, 2), join(out, "seed-2"));
  assert.equal(readFileSync(join(out, SEEDS_TXT), "utf8"), `${text}\n`);
  const json = JSON.parse(readFileSync(join(out, SEEDS_JSON), "utf8"));
  assert.deepEqual(json.seeds, [1, 2, 3]);
  assert.equal(json.methods.length, summary.methods.length);
  await assert.rejects(
    runSeeds([1, 1], out, async () => [], { baseline: "BIGRec" }),
    /repeated seed/,
  );
  await assert.rejects(
    runSeeds([], out, async () => [], { baseline: "BIGRec" }),
    /at least one seed/,
  );
  assert.ok(!existsSync(join(out, "seed-1")), "the runner, not runSeeds, creates the seed folders");
});

test(
  "demo --seeds --share-pretraining --ablations first-seed: later seeds fine-tune seed 1's pretrained model, ablations in seed 1 only",
  { timeout: 600_000 },
  async () => {
    const out = tempDir("seeds-shared");
    const r = await runCli([
      "demo",
      "--quick",
      ...SMALL_DATA,
      "--seeds",
      "1,2",
      "--share-pretraining",
      "--ablations",
      "first-seed",
      "--out",
      out,
    ]);
    assertOk(r, "demo --seeds");
    const settings = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { settings: Record<string, unknown> }).settings;
    const sharedModel = join(seedDir(out, 1), "pretrain", "model");
    assert.ok(existsSync(join(sharedModel, "config.json")), "seed 1 pretrains");
    assert.ok(!existsSync(join(seedDir(out, 2), "pretrain")), "seed 2 does not");
    assert.equal(settings(seedDir(out, 2)).baseModel, sharedModel);
    assert.equal(settings(seedDir(out, 1)).baseModel, undefined);
    // The BIGRec SFT of seed 2 starts from seed 1's pretrained weights.
    assert.equal(
      (
        JSON.parse(readFileSync(join(seedDir(out, 2), "bigrec", "config.json"), "utf8")) as {
          settings: { model: string };
        }
      ).settings.model,
      sharedModel,
    );
    for (const ablation of ["no-ratt", "rl-group", "rl-original"]) {
      assert.ok(existsSync(join(seedDir(out, 1), "eval", ablation, "report.json")), `seed 1 evaluates ${ablation}`);
      assert.ok(!existsSync(join(seedDir(out, 2), ablation)), `seed 2 trains no ${ablation}`);
      assert.ok(!existsSync(join(seedDir(out, 2), "eval", ablation)), `seed 2 evaluates no ${ablation}`);
    }
    const summary = JSON.parse(readFileSync(join(out, SEEDS_JSON), "utf8")) as SeedsSummary;
    assert.deepEqual(
      summary.partial.map((p) => [p.method, p.seeds]),
      [
        ["w/o LatentRATT", [1]],
        ["w/o batch advantage", [1]],
        ["original GRPO", [1]],
      ],
    );
    assert.ok(summary.methods.some((m) => m.method === "LatentR3 (on BIGRec)"));
    assert.match(r.stdout, /Run in some seeds only, not summarised .*: w\/o LatentRATT \(seed 1\)/);
    assert.deepEqual(settings(out).sharePretraining, true);
    assert.deepEqual(settings(out).ablations, "first-seed");
  },
);

test("demo: --share-pretraining and --ablations first-seed without --seeds are refused", async () => {
  for (const flag of [["--share-pretraining"], ["--ablations", "first-seed"]]) {
    const r = await runCli(["demo", "--quick", ...SMALL_DATA, ...flag, "--out", tempDir("no-seeds")]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /share work between seeds and need --seeds/);
  }
});
