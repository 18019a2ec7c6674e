/**
 * A killed evaluation resumes from the rankings it saved: the resumed report equals an uninterrupted
 * one, the saved rankings are used rather than decoded again, and rankings that belong to other
 * weights or other data are refused. The "kill" is a priming function that throws after two
 * batches, so the interrupted folder is exactly what a killed process leaves (plus a torn line).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DataSource } from "../../src/data/data-source.js";
import { primePlain } from "../../src/decode/prime.js";
import type { RecommendOptions } from "../../src/decode/recommend.js";
import type { Recommender } from "../../src/latent/recommender.js";
import { evaluateStage, evaluatedUsers, type EvaluateOptions } from "../../src/pipeline/evaluation-stages.js";
import { PREDICTIONS_JSONL } from "../../src/pipeline/prediction-log.js";
import type { Report } from "../../src/eval/report-schema.js";
import { tempFolder } from "../support/helpers.js";
import { runCli } from "../support/cli-process.js";
import { assertOk, SMALL_DATA } from "../support/resume-runs.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

const BATCH = 4;
const PARTIAL = "predictions.partial-0.jsonl";

let folder: { dir: string; cleanup: () => void };
let source: DataSource;
let rec: Recommender;
let whole: Report;

function options(dir: string, extra: Partial<EvaluateOptions> = {}): EvaluateOptions {
  return {
    source,
    dir,
    rec,
    run: "resume-test",
    method: "BIGRec",
    lengthPenalty: 1,
    beams: 5,
    batchSize: BATCH,
    maxNewTokens: 64,
    limit: 0,
    ...extra,
  };
}

/** Priming that dies on batch `after + 1`, as a kill would between two batches. */
function dyingPrime(after: number): Pick<RecommendOptions, "prime"> {
  let batches = 0;
  return {
    prime: (ids, mask) => {
      if (++batches > after) throw new Error("killed");
      return primePlain(rec.model, ids, mask);
    },
  };
}

/** An evaluation folder killed after two batches, its last line cut off mid-write. */
function interrupted(name: string): string {
  const dir = join(folder.dir, name);
  assert.throws(() => evaluateStage(options(dir, { prompting: dyingPrime(2) })), /killed/);
  appendFileSync(join(dir, PARTIAL), '{"row":7,"user":"u');
  return dir;
}

function savedLines(dir: string): { row: number; user: string; target: number; titles: string[] }[] {
  return readFileSync(join(dir, PARTIAL), "utf8")
    .split("\n")
    .filter((l) => l.endsWith("}"))
    .map((l) => JSON.parse(l) as { row: number; user: string; target: number; titles: string[] });
}

before(async () => {
  folder = tempFolder("resumed-eval");
  source = await smallSource();
  rec = await tinyRecommender(source);
  whole = evaluateStage(options(join(folder.dir, "whole")));
});
after(() => {
  rec.dispose();
  folder.cleanup();
});

test("a killed evaluation saved its finished batches; resumed, it reports what an uninterrupted one does", () => {
  const dir = interrupted("killed");
  const saved = savedLines(dir);
  assert.equal(saved.length, 2 * BATCH, "two finished batches saved, the torn line not counted");
  assert.ok(!existsSync(join(dir, "report.json")));

  const resumed = evaluateStage(options(dir, { resume: true }));
  assert.deepEqual(resumed.metrics, whole.metrics);
  assert.deepEqual(resumed.perUser, whole.perUser);
  assert.deepEqual(resumed.groups, whole.groups);
  assert.ok(
    resumed.notes?.some((n) => n.startsWith(`resumed: ${2 * BATCH} users' rankings read back`)),
    JSON.stringify(resumed.notes),
  );
  const { test } = evaluatedUsers(source, 0);
  assert.equal(resumed.latency?.users, test.length - 2 * BATCH, "latency covers only the users decoded now");
  assert.equal(
    readFileSync(join(dir, PREDICTIONS_JSONL), "utf8"),
    readFileSync(join(folder.dir, "whole", PREDICTIONS_JSONL), "utf8"),
  );
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith("predictions.partial-")),
    [],
    "the partial files are gone once the report is written",
  );
  // predictions.jsonl holds every user's ranking in test order.
  const lines = readFileSync(join(dir, PREDICTIONS_JSONL), "utf8").trim().split("\n");
  assert.equal(lines.length, test.length);
  lines.forEach((l, row) => {
    const p = JSON.parse(l) as { row: number; user: string; target: number; titles: string[] };
    assert.equal(p.row, row);
    assert.equal(p.user, test[row]!.userId);
    assert.equal(p.titles.length, 5);
  });
});

test("resuming uses the saved rankings instead of decoding those users again", () => {
  const dir = interrupted("used");
  const lines = savedLines(dir);
  // A saved user the model missed gets the target as its saved ranking: only reading it back makes a hit.
  const { test } = evaluatedUsers(source, 0);
  const missed = lines.find((l) => whole.perUser!.records[l.row]?.rank === null);
  assert.ok(missed, "a missed user among the saved ones");
  missed.titles = [test[missed.row]!.target.title];
  writeFileSync(join(dir, PARTIAL), lines.map((l) => JSON.stringify(l) + "\n").join(""));
  const resumed = evaluateStage(options(dir, { resume: true }));
  assert.equal(resumed.perUser!.records[missed.row]!.rank, 0, "ranked first (ranks count from 0)");
});

test("resuming a finished evaluation returns its report without decoding", () => {
  const dir = join(folder.dir, "whole");
  const again = evaluateStage(options(dir, { resume: true, prompting: dyingPrime(0) }));
  assert.deepEqual(again.metrics, whole.metrics);
});

test("rankings of other weights or other data are refused on --resume", async () => {
  const dir = interrupted("refused");
  const other = await tinyRecommender(source, { seed: 1 });
  try {
    assert.throws(
      () => evaluateStage({ ...options(dir, { resume: true }), rec: other }),
      /was evaluated with other weights than .* holds now .*--overwrite/,
    );
  } finally {
    other.dispose();
  }
  const lines = savedLines(dir);
  lines[1]!.user = "someone-else";
  writeFileSync(join(dir, PARTIAL), lines.map((l) => JSON.stringify(l) + "\n").join(""));
  assert.throws(
    () => evaluateStage(options(dir, { resume: true })),
    /predictions\.partial-0\.jsonl line 2: row \d+ is user "someone-else" .* the data changed since; start over with --overwrite/,
  );
  // Starting over removes the partial rankings and evaluates every user.
  const fresh = evaluateStage(options(dir, { overwrite: true }));
  assert.deepEqual(fresh.metrics, whole.metrics);
});

test("without --resume or --overwrite an interrupted evaluation folder is refused", () => {
  const dir = interrupted("plain");
  assert.throws(() => evaluateStage(options(dir)), /pass --resume to continue it, or --overwrite/);
});

test("latentr3 eval --resume continues a killed evaluation from the command line", async () => {
  const model = join(folder.dir, "cli", "model");
  await rec.save(model);
  const out = join(folder.dir, "cli", "eval");
  const args = [
    "eval",
    "--model",
    model,
    "--eval-batch-size",
    String(BATCH),
    "--limit",
    "12",
    ...SMALL_DATA,
    "--out",
    out,
  ];
  const first = await runCli(args);
  assertOk(first, "eval");
  const readMetrics = () => (JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report).metrics;
  const uninterrupted = readMetrics();
  // As a kill after the first batch leaves it: the report not written, one batch saved.
  const lines = readFileSync(join(out, PREDICTIONS_JSONL), "utf8").split("\n").slice(0, BATCH);
  writeFileSync(join(out, PARTIAL), lines.map((l) => l + "\n").join(""));
  for (const name of [PREDICTIONS_JSONL, "report.json", "report.html"]) rmSync(join(out, name));
  const refused = await runCli(args);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /pass --resume to continue it/);
  const both = await runCli([...args, "--resume", "--overwrite"]);
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /--resume continues the run in --out .* and --overwrite starts it over: pass one/);
  const resumed = await runCli([...args, "--resume"]);
  assertOk(resumed, "eval --resume");
  assert.match(resumed.stdout, /HR@10/);
  assert.deepEqual(readMetrics(), uninterrupted);
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;
  assert.ok(report.notes?.some((n) => n.startsWith(`resumed: ${BATCH} users' rankings`)));
});
