/**
 * `latentr3 eval --decoding grounding` end to end on a tiny model folder the test saves: the same
 * report.json and per-user.jsonl as constrained decoding, with the decoding named in the report, the
 * catalogue embeddings computed once and read from the cache by the next evaluation; and grounding
 * after latent thoughts (a latent model) ranks catalogue titles too.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { groundedRecommend, catalogueEmbeddings } from "../../src/decode/grounded-recommend.js";
import { trieTitles } from "../../src/decode/recommend.js";
import type { Report } from "../../src/eval/report-schema.js";
import { tempDir, tempFolder } from "../support/helpers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

// The CLI child inherits the environment as cli-process.ts reads it on import: set the cache first.
process.env.LATENTR3_CACHE = tempDir("grounding-eval-cache");
const { runCli } = await import("../support/cli-process.js");

let folder: { dir: string; cleanup: () => void };
let plain: string;
const SMALL = ["--synth-users", "60", "--synth-items", "60"];

before(async () => {
  folder = tempFolder("grounding-eval");
  const rec = await tinyRecommender(await smallSource());
  plain = join(folder.dir, "plain", "model");
  await rec.save(plain);
  rec.dispose();
});
after(() => folder.cleanup());

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
}

test("eval --decoding grounding writes the evaluator's report, naming the decoding, and reuses the cached embeddings", async () => {
  const run = async (out: string) => {
    const r = await runCli([
      "eval",
      "--model",
      plain,
      "--decoding",
      "grounding",
      "--limit",
      "6",
      "--max-new-tokens",
      "12",
      "--out",
      out,
      ...SMALL,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return readReport(out);
  };
  const first = await run(join(folder.dir, "eval-grounding"));
  assert.match(first.method, /grounding/);
  assert.ok(
    first.notes?.some((n) => /^grounding decoding \(BIGRec\)/.test(n)),
    JSON.stringify(first.notes),
  );
  assert.equal(first.listLength, 10);
  const perUser = readFileSync(join(folder.dir, "eval-grounding", "per-user.jsonl"), "utf8")
    .trim()
    .split("\n");
  assert.equal(perUser.length, 6);
  const stages = Object.keys(first.latency!.stages);
  assert.ok(stages.includes("catalogue embeddings (computed once)"), stages.join(", "));
  assert.ok(stages.includes("free generation + grounding"), stages.join(", "));

  const second = await run(join(folder.dir, "eval-grounding-2"));
  assert.ok(Object.keys(second.latency!.stages).includes("catalogue embeddings (read from cache)"));
  // Same model, same users: the same ranking.
  assert.deepEqual(second.metrics, first.metrics);
});

test("grounding after latent thoughts ranks distinct catalogue titles, nearest first", async () => {
  const source = await smallSource();
  const rec = await tinyRecommender(source, { numLatents: 2, seed: 1 });
  const catalogue = catalogueEmbeddings(
    rec,
    source.items.map((i) => i.title),
    { batchSize: 16, useCache: false },
  );
  const users = source.splits.test.slice(0, 5);
  const out = groundedRecommend(rec, catalogue, users, { listLength: 10, maxNewTokens: 8, batchSize: 2 });
  const titles = new Set(trieTitles(source.items.map((i) => i.title)));
  assert.equal(out.titles.length, 5);
  for (const list of out.titles) {
    assert.equal(list.length, 10);
    assert.equal(new Set(list).size, 10, "titles are distinct (deduplicated by title)");
    for (const t of list) assert.ok(titles.has(t), t);
  }
  assert.equal(out.answers.length, 5);
  catalogue.embeddings.dispose();
  rec.dispose();
});

test("eval --decoding grounding refuses a model that ranks items itself", async () => {
  const r = await runCli([
    "eval",
    "--model",
    "popularity",
    "--decoding",
    "grounding",
    "--out",
    join(folder.dir, "pop"),
    ...SMALL,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--decoding grounding: popularity ranks items itself/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});
