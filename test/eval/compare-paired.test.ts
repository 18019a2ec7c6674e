import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadRunReports, type RunReport } from "../../src/eval/compare.js";
import { pairedComparisons, pairedTable } from "../../src/eval/compare-paired.js";
import { PerUserResults } from "../../src/eval/per-user.js";
import { writeReport } from "../../src/eval/report.js";
import { renderComparison } from "../../src/eval/report-html.js";
import { makeReport, perUserOf } from "./report-fixture.js";
import { tempDir } from "../support/helpers.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

const runOf = (label: string, ranks: number[]): RunReport => ({
  dir: `runs/${label}`,
  label,
  report: makeReport(label, ranks),
});

test("paired tests by hand: HR@10 and NDCG@10 of two runs on four records", () => {
  // bigrec ranks 0, ∞, 7, ∞ → HR@10 [1, 0, 1, 0]; latentr3 ranks 1, 0, 3, ∞ → [1, 1, 1, 0].
  // d = [0, 1, 0, 0]: mean .25, sd .5, t = .25/(.5/2) = 1, df 3, p = 2(1 − F₃(1)) = 0.391002.
  // NDCG@10: d = [1/log2 3 − 1, 1, 1/log2 5 − 1/log2 9, 0]: t 0.642874, p 0.566064 (/usr/bin/python3).
  const result = pairedComparisons(
    [runOf("bigrec", [0, Infinity, 7, Infinity]), runOf("latentr3", [1, 0, 3, Infinity])],
    {
      bootstrap: { samples: 2000, seed: 1 },
    },
  );
  assert.equal(result.baseline, "bigrec");
  const [hr, ndcg] = result.comparisons;
  assert.equal(hr!.metric, "HR@10");
  assert.equal(hr!.runMean, 0.75);
  assert.equal(hr!.baselineMean, 0.5);
  assert.equal(hr!.tTest.t, 1);
  assert.ok(Math.abs(hr!.tTest.p - 0.39100221895576803) < 1e-10);
  // Resampled means of d are multiples of ¼ between 0 and 1.
  assert.ok(hr!.bootstrap.low >= 0 && hr!.bootstrap.high <= 1);
  assert.equal(hr!.significant, false);
  assert.equal(ndcg!.metric, "NDCG@10");
  assert.ok(Math.abs(ndcg!.tTest.t - 0.64287357935489) < 1e-10);
  assert.ok(Math.abs(ndcg!.tTest.p - 0.566064135076566) < 1e-10);
  const text = pairedTable(result);
  assert.match(text, /^Paired tests against bigrec \(4 paired test records/);
  assert.match(text, /latentr3 +HR@10 +0\.7500 +0\.5000 +\+0\.2500 +\[.*\] +0\.391 +n\.s\./);
});

test("a clear difference on many records is significant; unpairable runs are named with the reason", () => {
  // 300 records: the baseline hits every 5th (rank 4), the run every 2nd (rank 0).
  const n = 300;
  const base = runOf(
    "base",
    Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 4 : Infinity)),
  );
  const better = runOf(
    "better",
    Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0 : Infinity)),
  );
  const old = runOf(
    "old",
    Array.from({ length: n }, () => 0),
  );
  delete old.report.perUser;
  const fewer = runOf("fewer", [0, 1, 2]);
  const other = runOf(
    "other",
    Array.from({ length: n }, () => 0),
  );
  const records = perUserOf(Array.from({ length: n }, () => 0)).records.map((r, i) =>
    i === 7 ? { ...r, user: "someone else" } : r,
  );
  other.report.perUser = new PerUserResults(records);
  const result = pairedComparisons([base, better, old, fewer, other], { baseline: "runs/base" });
  assert.equal(result.comparisons.length, 2);
  for (const c of result.comparisons) {
    assert.equal(c.significant, true, c.metric);
    assert.ok(c.tTest.p < 1e-6 && c.bootstrap.low > 0);
  }
  assert.deepEqual(
    result.skipped.map((s) => s.run),
    ["old", "fewer", "other"],
  );
  assert.match(result.skipped[0]!.reason, /no per-user results/);
  assert.match(result.skipped[1]!.reason, /3 records against 300/);
  assert.match(result.skipped[2]!.reason, /record 7 differs/);
  assert.throws(
    () => pairedComparisons([base, better], { baseline: "nope" }),
    /--baseline nope: no such run; expected one of "base", "better"/,
  );
  const html = renderComparison([base.report, better.report], ["base", "better"], result);
  assert.ok(html.includes("<h2>Paired significance tests</h2>"));
  assert.ok(html.includes("fewer: not paired: 3 records against 300"));
});

test("latentr3 compare prints the paired tests against --baseline", () => {
  const root = tempDir("paired");
  writeReport(join(root, "bigrec"), makeReport("bigrec", [0, Infinity, 7, Infinity]));
  writeReport(join(root, "latentr3"), makeReport("latentr3", [1, 0, 3, Infinity]));
  const p = spawnSync(
    process.execPath,
    [cli, "compare", join(root, "latentr3"), join(root, "bigrec"), "--baseline", "bigrec"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /Paired tests against bigrec/);
  assert.match(p.stdout, /latentr3 +NDCG@10 +0\.5154 +0\.3289 +\+0\.1865 .* 0\.566 +n\.s\./);
  // The runs read back from disk carry their per-user results.
  assert.equal(loadRunReports([join(root, "bigrec")])[0]!.report.perUser!.records.length, 4);
});
