import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runSeeds, seedDir, SEEDS_JSON, SEEDS_TXT } from "../../src/pipeline/seeds.js";
import { THREE_SEEDS } from "../eval/seeds-fixture.js";
import { tempDir } from "../support/helpers.js";

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
