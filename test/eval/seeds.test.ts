import { test } from "node:test";
import assert from "node:assert/strict";
import { formatSeedsSummary, summariseSeeds } from "../../src/eval/seeds.js";
import { makeReport, metricsOf, FIXTURE_KS } from "./report-fixture.js";
import { ranks, THREE_SEEDS } from "./seeds-fixture.js";

test("mean ± sample std per method and metric", () => {
  const s = summariseSeeds(THREE_SEEDS, { baseline: "BIGRec" });
  assert.deepEqual(s.seeds, [1, 2, 3]);
  const hr10 = (method: string) =>
    s.methods.find((m) => m.method === method)!.metrics.find((m) => m.metric === "HR@10")!;
  // BIGRec: mean 0.11, std √((0.01² + 0.01² + 0)/2) = 0.01. LatentR3: mean 0.14, std √((1+4+1)/2)·0.01 = 0.017321.
  assert.deepEqual(hr10("BIGRec").values, [0.1, 0.12, 0.11]);
  assert.ok(Math.abs(hr10("BIGRec").mean - 0.11) < 1e-15);
  assert.ok(Math.abs(hr10("BIGRec").std - 0.01) < 1e-15);
  assert.ok(Math.abs(hr10("LatentR3").std - Math.sqrt(3) * 0.01) < 1e-15);
  // Lists of 10: no @20 summary.
  assert.deepEqual(
    s.methods[0]!.metrics.map((m) => m.metric),
    ["HR@5", "NDCG@5", "HR@10", "NDCG@10"],
  );
});

test("tests against the baseline: over seeds (Appendix E) and over seed-averaged records, by hand", () => {
  const s = summariseSeeds(THREE_SEEDS, { baseline: "BIGRec", bootstrap: { samples: 2000, seed: 1 } });
  const hr = s.tests.find((t) => t.method === "LatentR3" && t.metric === "HR@10")!;
  // Seeds: d = [0.03, 0.04, 0.02], mean 0.03, sd 0.01, t = 0.03/(0.01/√3) = 5.196152, df 2,
  // p = 1 − 2·(5.196152 / (2√29)) = 0.035099 (closed form for 2 df).
  assert.ok(Math.abs(hr.overSeeds!.t - 5.196152422706631) < 1e-9);
  assert.ok(Math.abs(hr.overSeeds!.p - 0.03509871864596725) < 1e-9);
  // Records: seed-averaged hits differ by 1/3 (records 10, 13, 14, 15), 2/3 (11) and 1 (12):
  // mean 0.03, sd 0.134798, t 2.225547, df 99, p 0.028313 (/usr/bin/python3, Simpson integration).
  const r = hr.overRecords!;
  assert.ok(Math.abs(r.tTest.meanDifference - 0.03) < 1e-15);
  assert.ok(Math.abs(r.tTest.t - 2.2255465492471713) < 1e-9);
  assert.ok(Math.abs(r.tTest.p - 0.02831328489547813) < 1e-9);
  assert.equal(r.significant, r.bootstrap.low > 0);
  const text = formatSeedsSummary(s);
  assert.match(text, /^3 seed\(s\): 1, 2, 3/);
  assert.match(text, /LatentR3 +0\.1400 ± 0\.0173/);
  assert.match(text, /LatentR3 +HR@10 +0\.035 +0\.028 +\+0\.0300/);
});

test("a missing method, an unknown baseline, and missing per-user results are explained", () => {
  // A method some seeds did not run is listed, not averaged over fewer seeds.
  const partial = summariseSeeds([THREE_SEEDS[0]!, { seed: 9, reports: [makeReport("BIGRec", ranks(1))] }], {
    baseline: "BIGRec",
  });
  assert.deepEqual(partial.partial, [{ method: "LatentR3", seeds: [1] }]);
  assert.deepEqual(
    partial.methods.map((m) => m.method),
    ["BIGRec"],
  );
  assert.equal(partial.tests.length, 0);
  assert.match(formatSeedsSummary(partial), /Run in some seeds only, not summarised .*: LatentR3 \(seed 1\)/);
  assert.throws(
    () =>
      summariseSeeds([THREE_SEEDS[0]!, { seed: 9, reports: [makeReport("LatentR3", ranks(1))] }], {
        baseline: "BIGRec",
      }),
    /baseline "BIGRec" was run in seed\(s\) 1 only, not in every seed/,
  );
  assert.throws(
    () => summariseSeeds(THREE_SEEDS, { baseline: "SASRec" }),
    /baseline "SASRec" is not among the methods \("BIGRec", "LatentR3"\)/,
  );
  const old = THREE_SEEDS.map((s) => ({ ...s, reports: s.reports.map((r) => ({ ...r, perUser: undefined })) }));
  const t = summariseSeeds(old, { baseline: "BIGRec" }).tests[0]!;
  assert.ok(t.overSeeds && !t.overRecords);
  assert.match(t.note!, /per-user results missing/);
  // One seed: a mean, no spread and no test over seeds.
  const one = summariseSeeds([THREE_SEEDS[0]!], { baseline: "BIGRec" });
  assert.ok(Number.isNaN(one.methods[0]!.metrics[0]!.std));
  assert.equal(one.tests[0]!.overSeeds, undefined);
});

test("the text table has a column for every metric some method has, and – where a method lacks it", () => {
  // A full-ranking baseline reports @20; the LLM methods' lists of 10 do not.
  const withAt20 = (hits: number) =>
    makeReport("SASRec", ranks(hits), { metrics: metricsOf(ranks(hits), 0, [...FIXTURE_KS, 20]) });
  const runs = THREE_SEEDS.map((s, i) => ({ ...s, reports: [...s.reports, withAt20(20 + i)] }));
  const text = formatSeedsSummary(summariseSeeds(runs, { baseline: "BIGRec" }));
  const [header, ...rows] = text.split("\n").slice(1, 5);
  assert.match(header!, /^method +HR@5 +NDCG@5 +HR@10 +NDCG@10 +HR@20 +NDCG@20$/);
  const bigrec = rows.find((r) => r.startsWith("BIGRec"))!;
  assert.match(bigrec, / – +–$/);
  const sasrec = rows.find((r) => r.startsWith("SASRec"))!;
  assert.match(sasrec, /0\.2100 ± 0\.0100 +0\.2100 ± 0\.0100$/);
});
