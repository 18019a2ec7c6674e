import { test } from "node:test";
import assert from "node:assert/strict";
import { methodOf, seedPattern, seedRunsFromLabels } from "../../src/eval/seed-groups.js";
import { summariseSeeds } from "../../src/eval/seeds.js";
import type { RunReport } from "../../src/eval/compare.js";
import { makeReport } from "./report-fixture.js";
import { ranks } from "./seeds-fixture.js";

const run = (label: string, hits: number): RunReport => ({
  dir: `runs/${label}`,
  label,
  report: makeReport(label, ranks(hits)),
});
const PATTERN = seedPattern("-seed(\\d+)$");

test("runs named by method and seed: one SeedReports per seed, the unmatched baseline in every seed", () => {
  const runs = [run("sft", 10), run("rl-seed2", 14), run("rl-seed1", 12), run("pw-seed1", 9), run("pw-seed2", 11)];
  const seeds = seedRunsFromLabels(runs, PATTERN);
  assert.deepEqual(
    seeds.map((s) => [s.seed, s.reports.map((r) => r.run)]),
    [
      [1, ["sft", "rl", "pw"]],
      [2, ["sft", "rl", "pw"]],
    ],
  );
  // The seed-2 "rl" report is rl-seed2's (14 hits of 100), not a copy of seed 1's.
  assert.equal(seeds[1]!.reports[1]!.metrics.hr["10"], 0.14);
  const summary = summariseSeeds(seeds, { baseline: "sft" });
  const hr10 = summary.methods.find((m) => m.method === "rl")!.metrics.find((m) => m.metric === "HR@10")!;
  assert.deepEqual(hr10.values, [0.12, 0.14]);
  // Against a baseline trained once, the over-seeds test pairs each seed with that one run: d = [0.02, 0.04].
  const test = summary.tests.find((t) => t.method === "rl" && t.metric === "HR@10")!;
  assert.ok(Math.abs(test.overSeeds!.meanDifference - 0.03) < 1e-12);
  assert.equal(methodOf(run("rl-seed2", 1), PATTERN), "rl");
  assert.equal(methodOf(run("sft", 1), PATTERN), "sft");
});

test("the seed in the folder: the method is the report's run name (demo --seeds layout)", () => {
  const inFolder = (seed: number, name: string, hits: number): RunReport => ({
    dir: `runs/cds/seed-${seed}/eval/${name}`,
    label: `${name.toUpperCase()} (${name})`,
    report: makeReport(name.toUpperCase(), ranks(hits)),
  });
  const runs = [inFolder(1, "d3", 20), inFolder(2, "d3", 22), inFolder(1, "rl-d3", 23), inFolder(2, "rl-d3", 26)];
  const pattern = seedPattern("seed-(\\d+)/");
  const seeds = seedRunsFromLabels(runs, pattern);
  assert.deepEqual(
    seeds.map((s) => [s.seed, s.reports.map((r) => [r.run, r.metrics.hr["10"]])]),
    [
      [
        1,
        [
          ["D3", 0.2],
          ["RL-D3", 0.23],
        ],
      ],
      [
        2,
        [
          ["D3", 0.22],
          ["RL-D3", 0.26],
        ],
      ],
    ],
  );
  assert.equal(methodOf(runs[3]!, pattern), "RL-D3");
});

test("--seeds-from refuses what cannot be grouped, naming the runs", () => {
  assert.throws(() => seedPattern("-seed\\d+$"), /needs a capture group around the seed/);
  assert.throws(() => seedPattern("-seed(\\d+"), /not a regular expression/);
  assert.throws(
    () => seedRunsFromLabels([run("sft", 1), run("rl", 2)], PATTERN),
    /matches none of the runs \("sft", "rl"\)/,
  );
  assert.throws(
    () => seedRunsFromLabels([run("rl-seed1", 1), run("rl-seed01", 2)], PATTERN),
    /"rl-seed1" and "rl-seed01" are both seed 1 of "rl"/,
  );
  assert.throws(
    () => seedRunsFromLabels([run("rl-seedx", 1)], seedPattern("-seed(\\w+)$")),
    /run "rl-seedx": the seed "x" is not an integer/,
  );
});
