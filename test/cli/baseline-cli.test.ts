/**
 * `latentr3 train baseline` and `latentr3 eval` on a baseline, through the compiled CLI: a model folder
 * that eval recognises and scores by title and by item id; and bad input (a history item missing from
 * the catalogue, an empty history, a dataset without item ids, another catalogue) failing with one
 * line naming file and row, or counted with --skip-bad-rows.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset } from "../../src/data/dataset.js";
import { formatExamplesCsv } from "../../src/data/writer.js";
import { readReport } from "../../src/eval/report.js";
import type { Example } from "../../src/data/types.js";
import { tempDir } from "../support/helpers.js";
import { runCli, type CliResult } from "../support/cli-process.js";

let root: string;
let data: string;
let model: string;

function ok(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what} failed (code ${r.code}):\n${r.stderr}`);
}

/** Fails with `code`, one line of error matching every pattern, no stack trace. */
function fails(r: CliResult, code: number, ...patterns: RegExp[]): void {
  assert.equal(r.code, code, `exit code ${r.code}, stderr:\n${r.stderr}`);
  for (const p of patterns) assert.match(r.stderr, p);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
}

/** A copy of the dataset whose train split is `edit(rows)`; returns the folder and the train file. */
async function withTrainRows(
  name: string,
  edit: (rows: Example[]) => Example[],
): Promise<{ dir: string; file: string }> {
  const dir = join(root, name);
  cpSync(data, dir, { recursive: true });
  const loaded = await loadDataset(dir);
  const file = join(dir, "train", readdirSync(join(dir, "train"))[0]!);
  writeFileSync(file, formatExamplesCsv(edit(loaded.splits.train!), loaded.layout!));
  return { dir, file };
}

before(async () => {
  root = tempDir("baseline-cli");
  data = join(root, "data");
  ok(await runCli(["data", "synth", "--out", data, "--users", "60", "--items", "60"]), "data synth");
  const out = join(root, "gru4rec");
  ok(await runCli(["train", "baseline", "--arch", "gru4rec", "--data", data, "--epochs", "2", "--out", out]), "train");
  model = join(out, "model");
});

test("train baseline writes a model folder; eval recognises it and reports hits by title and by item id", async () => {
  const config = JSON.parse(readFileSync(join(model, "config.json"), "utf8")) as Record<string, unknown>;
  assert.equal(config.model_type, "gru4rec");
  assert.deepEqual(config.architectures, ["GRU4Rec"]);
  assert.ok(existsSync(join(model, "model.safetensors")));
  const run = JSON.parse(readFileSync(join(model, "..", "config.json"), "utf8")) as Record<string, unknown>;
  assert.equal(run.stage, "baseline");
  assert.match(String(run.selection), /NDCG@10 \(by title, selection split\)/);
  const evalDir = join(root, "eval-gru4rec");
  const r = await runCli(["eval", "--model", model, "--data", data, "--out", evalDir]);
  ok(r, "eval");
  assert.match(r.stdout, /HR@10 \d\.\d{4}/);
  const report = readReport(evalDir);
  assert.equal(report.method, "gru4rec (full ranking)");
  assert.equal(report.byItem?.metrics.records, report.metrics.records);
  assert.ok((report.training?.rows.length ?? 0) > 0, "training curves from the run's metrics.jsonl");
  const pop = join(root, "pop-items");
  ok(await runCli(["eval", "--model", "popularity-items", "--data", data, "--out", pop]), "popularity-items");
  const cmp = await runCli(["compare", evalDir, pop, "--baseline", pop]);
  ok(cmp, "compare");
  assert.match(cmp.stdout, /id NDCG@10/);
  // Per-user results by title and by item id, and paired tests with a baseline run as the baseline.
  const perUser = readFileSync(join(evalDir, "per-user.jsonl"), "utf8").trim().split("\n");
  assert.equal(perUser.length, report.metrics.records);
  assert.ok(perUser.every((line) => "itemRank" in (JSON.parse(line) as object)));
  assert.match(
    cmp.stdout,
    new RegExp(`Paired tests against popularity-items \\(${report.metrics.records} paired test records`),
  );
  assert.doesNotMatch(cmp.stdout, /not paired/);
});

test("eval --split selection scores the selection rows, agreeing with the NDCG@10 training selected on", async () => {
  const r = await runCli(["eval", "--model", model, "--data", data, "--split", "selection"]);
  ok(r, "eval --split selection");
  const report = readReport(join(model, "..", "eval-selection"));
  const { splits } = await loadDataset(data);
  assert.equal(report.split, "selection");
  assert.equal(report.metrics.records, splits.valid!.length);
  assert.ok(report.notes?.includes(`${splits.valid!.length} of ${splits.valid!.length} selection users`));
  // Training kept the epoch with the best selection NDCG@10 by title: the restored model scores it again.
  const epochs = readFileSync(join(model, "..", "metrics.jsonl"), "utf8")
    .trim()
    .split("\n");
  const best = Math.max(...epochs.map((line) => (JSON.parse(line) as { selection: number }).selection));
  assert.ok(Math.abs(report.metrics.ndcg[10]! - best) < 1e-9, `${report.metrics.ndcg[10]} vs ${best}`);
  const perUser = readFileSync(join(model, "..", "eval-selection", "per-user.jsonl"), "utf8")
    .trim()
    .split("\n");
  assert.equal((JSON.parse(perUser[0]!) as { user: string }).user, splits.valid![0]!.userId);
});

test("a used baseline run folder needs --resume (same settings) or --overwrite; a grid resumes point by point", async () => {
  const out = join(root, "gru4rec");
  const again = ["train", "baseline", "--arch", "gru4rec", "--data", data, "--out", out];
  fails(await runCli([...again, "--epochs", "2"]), 1, /holds an earlier `train baseline` run: pass --resume/);
  fails(
    await runCli([...again, "--epochs", "3", "--resume"]),
    1,
    /--resume: .* holds a run with other settings \(training\.epochs: 2 → 3\)/,
  );
  fails(
    await runCli(["train", "baseline", "--arch", "gru4rec", "--data", data, "--out", join(root, "data", "x")]),
    1,
    /overlaps --data/,
  );
  const grid = join(root, "grid");
  const gridArgs = ["train", "baseline", "--arch", "sasrec", "--data", data, "--epochs", "1", "--out", grid];
  const points = ["--grid", "--grid-lr", "1e-2", "--grid-weight-decay", "0,1e-5"];
  ok(await runCli([...gridArgs, ...points]), "grid");
  assert.deepEqual(readdirSync(join(grid, "grid")).sort(), ["lr-1e-2_wd-0e0", "lr-1e-2_wd-1e-5"]);
  const resumed = await runCli([...gridArgs, ...points, "--resume"]);
  ok(resumed, "grid --resume");
  assert.equal(resumed.stderr.match(/done earlier/g)?.length, 2, resumed.stderr);
  ok(await runCli([...gridArgs, "--grid", "--grid-lr", "1e-3", "--overwrite"]), "grid --overwrite");
  assert.equal(readdirSync(join(grid, "grid")).length, 3, "the paper's three weight decays at lr 1e-3 only");
  fails(await runCli([...gridArgs, "--grid", "--grid-lr", "0"]), 2, /--grid-lr: "0" is not a positive number/);
});

test("a history item id missing from the catalogue: file, line and field; --skip-bad-rows counts it", async () => {
  const { dir, file } = await withTrainRows("missing-item", (rows) =>
    rows.map((e, i) => (i === 2 ? { ...e, history: [{ ...e.history[0]!, id: 99999 }, ...e.history.slice(1)] } : e)),
  );
  const args = ["train", "baseline", "--arch", "sasrec", "--data", dir, "--epochs", "1", "--out", join(root, "x")];
  fails(
    await runCli(args),
    1,
    new RegExp(
      `${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4 \\(field "history_item_id"\\): item id 99999 is not in the catalogue`,
    ),
  );
  const skipped = await runCli([...args, "--skip-bad-rows"]);
  ok(skipped, "--skip-bad-rows");
  assert.match(skipped.stderr, /skipped 1 bad row\(s\) in train: 1 row\(s\) skipped: missing-from-catalogue/);
});

test("an empty history: file and line", async () => {
  const { dir, file } = await withTrainRows("empty-history", (rows) =>
    rows.map((e, i) => (i === 0 ? { ...e, history: [], historyTimestamps: [], historyRatings: [] } : e)),
  );
  fails(
    await runCli(["train", "baseline", "--arch", "caser", "--data", dir, "--epochs", "1", "--out", join(root, "y")]),
    1,
    new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2 .*empty history`),
  );
});

test("a dataset without item ids: the header is refused, naming the file and what was expected", async () => {
  const dir = join(root, "no-ids");
  cpSync(data, dir, { recursive: true });
  const file = join(dir, "train", readdirSync(join(dir, "train"))[0]!);
  const lines = readFileSync(file, "utf8").split("\r\n");
  lines[0] = lines[0]!.replace("history_item_id,item_id,", "");
  writeFileSync(file, lines.join("\r\n"));
  fails(
    await runCli(["train", "baseline", "--arch", "sasrec", "--data", dir, "--epochs", "1", "--out", join(root, "z")]),
    1,
    /:1: unrecognised header .*expected the D3 header "user_id,item_asins,item_asin,history_item_id,item_id/,
  );
});

test("evaluating a baseline on another catalogue is refused; Caser cannot train on every position", async () => {
  const other = join(root, "other-data");
  ok(await runCli(["data", "synth", "--out", other, "--users", "60", "--items", "70"]), "data synth");
  fails(
    await runCli(["eval", "--model", model, "--data", other, "--out", join(root, "w")]),
    1,
    /trained on another catalogue \(60 items, fingerprint [0-9a-f]+\) than this data's \(70 items/,
  );
  fails(
    await runCli(["train", "baseline", "--arch", "caser", "--positions", "all", "--out", join(root, "v")]),
    2,
    /--positions all: Caser reads one window per row and trains on the row's target only/,
  );
});
