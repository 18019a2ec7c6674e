/**
 * Wrong results are never reported as right ones, and bad input never leaks internals: a latent
 * evaluation without trained LatentRATT, a latent model without its settings, unknown settings,
 * empty splits, bytes that are not UTF-8, a NaN loss, devices, broken config files, a model built
 * for another dataset, a beam wider than the catalogue; and the CLI's conventions.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tensor } from "../../src/engine/index.js";
import { RunFolder } from "../../src/train/run-folder.js";
import { DEFAULT_SUPERVISED, trainSupervised } from "../../src/train/supervised.js";
import { tempFolder } from "../support/helpers.js";
import { runCli, type CliResult } from "../support/cli-process.js";
import { SMALL_DATA } from "../support/resume-runs.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";
import { line, toyTask } from "../support/toy-task.js";

let folder: { dir: string; cleanup: () => void };
let plain: string;
let latent: string;

before(async () => {
  folder = tempFolder("bad-input");
  const source = await smallSource();
  const rec = await tinyRecommender(source);
  plain = join(folder.dir, "plain");
  await rec.save(plain);
  rec.dispose();
  const withLatent = await tinyRecommender(source, { numLatents: 1 });
  latent = join(folder.dir, "latent");
  await withLatent.save(latent);
  withLatent.dispose();
});
after(() => folder.cleanup());

let outs = 0;
const out = () => ["--out", join(folder.dir, `out-${outs++}`)];

function failsWith(r: CliResult, what: string, ...patterns: RegExp[]): void {
  assert.notEqual(r.code, 0, `${what}: must fail, stderr:\n${r.stderr}`);
  for (const p of patterns) assert.match(r.stderr, p, what);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
}

/** A copy of a model folder with one file changed. */
function variant(from: string, name: string, change: (dir: string) => void): string {
  const dir = join(folder.dir, name);
  cpSync(from, dir, { recursive: true });
  change(dir);
  return dir;
}

test("eval refuses a random LatentRATT, a latent model without latentr3.json, and unknown settings", async () => {
  failsWith(
    await runCli(["eval", "--model", plain, "--latent", "1", ...SMALL_DATA, ...out()]),
    "eval --latent 1 on a model without LatentRATT",
    /needs trained LatentRATT weights, and this model has none/,
    /latentr3 train sft --latent 1/,
  );
  const noMeta = variant(latent, "latent-no-meta", (d) => rmSync(join(d, "latentr3.json")));
  failsWith(
    await runCli(["eval", "--model", noMeta, ...SMALL_DATA, ...out()]),
    "a latent model without latentr3.json",
    /hold LatentRATT .* but latentr3\.json is missing/,
  );
  const badReadout = variant(latent, "latent-bad-readout", (d) => {
    const meta = JSON.parse(readFileSync(join(d, "latentr3.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(d, "latentr3.json"), JSON.stringify({ ...meta, readout: "attention" }));
  });
  failsWith(
    await runCli(["eval", "--model", badReadout, ...SMALL_DATA, ...out()]),
    "an unknown readout",
    /latentr3\.json: field "readout" must be one of ratt, last-hidden; got "attention"/,
  );
  const brokenJson = variant(latent, "latent-broken-json", (d) => writeFileSync(join(d, "latentr3.json"), "{ oops"));
  failsWith(
    await runCli(["eval", "--model", brokenJson, ...SMALL_DATA, ...out()]),
    "a broken latentr3.json",
    /latentr3\.json: the recommender settings is not valid JSON/,
  );
});

/** A D3 dataset folder: the info file plus valid/test CSVs with the given data rows (header always). */
function dataset(name: string, rows: { valid?: string[]; test?: string[] }, titles = ["Alpha", "Beta"]): string {
  const dir = join(folder.dir, name);
  const stem = "CDs_and_Vinyl_5_2015-10-2018-11";
  const header =
    "user_id,item_asins,item_asin,history_item_id,item_id,history_item_title,item_title,history_rating,rating,history_timestamp,timestamp";
  mkdirSync(join(dir, "info"), { recursive: true });
  writeFileSync(join(dir, "info", `${stem}.txt`), titles.map((t, i) => `${t}\t${i}\n`).join(""));
  for (const split of ["valid", "test"] as const) {
    mkdirSync(join(dir, split), { recursive: true });
    writeFileSync(join(dir, split, `${stem}.csv`), [header, ...(rows[split] ?? [])].join("\r\n") + "\r\n");
  }
  return dir;
}

const row = (history: string, target: string, t: number) =>
  `u${t},"['a']",b,[0],1,"['${history}']",${target},[5.0],5.0,[${t - 1}],${t}`;

test("no test users or no training rows is an error, not NaN or an untrained model", async () => {
  const empty = dataset("empty", {});
  failsWith(
    await runCli(["eval", "--model", "popularity", "--data", empty, ...out()]),
    "eval on a header-only test split",
    /no test users to evaluate/,
  );
  failsWith(
    await runCli(["train", "sft", "--model", plain, "--data", empty, ...out()]),
    "train sft with no training rows",
    /nothing to train on: 0 training examples/,
  );
});

test("bytes that are not UTF-8 are reported with file, line and field", async () => {
  const dir = dataset("latin1", { valid: [row("Alpha", "Beta", 10)], test: [row("Alpha", "Beta", 20)] });
  const csv = join(dir, "test", "CDs_and_Vinyl_5_2015-10-2018-11.csv");
  const bytes = readFileSync(csv);
  const at = bytes.lastIndexOf(Buffer.from("Beta"));
  bytes[at + 1] = 0xe9; // "B\xe9ta": a Latin-1 é, not UTF-8
  writeFileSync(csv, bytes);
  failsWith(
    await runCli(["eval", "--model", "popularity", "--data", dir, ...out()]),
    "a Latin-1 byte",
    /test\/CDs_and_Vinyl_5_2015-10-2018-11\.csv:2 \(field "item_title"\): bytes that are not valid UTF-8/,
  );
});

test("a NaN loss stops training with a message, before the update", async () => {
  const pairs = line(8, 2);
  const task = toyTask(pairs, pairs);
  const nanTask = { ...task, lossSum: (micro: typeof pairs) => task.lossSum(micro).mul(tensor(NaN)) };
  const dir = join(folder.dir, "nan-run");
  await assert.rejects(
    trainSupervised(
      nanTask,
      { ...DEFAULT_SUPERVISED, batchSize: 4, microBatchSize: 4, warmupSteps: 0 },
      new RunFolder(dir),
    ),
    /\[toy\] the loss is NaN at step 1: training diverged/,
  );
  assert.deepEqual(task.w.toList(), [0], "the parameters were not updated with NaN gradients");
});

test("devices, broken model configs, a model of another dataset and an over-wide beam get clear messages", async () => {
  failsWith(
    await runCli(["eval", "--model", plain, "--device", "foo", ...out()]),
    "--device foo",
    /--device foo: unknown device "foo"/,
  );
  failsWith(
    await runCli(["eval", "--model", plain, "--device", "cuda:3", ...out()]),
    "--device cuda:3",
    /--device cuda:3: (this libtorch .* has no CUDA support|cuda:3 asked for, but libtorch sees)/,
  );
  const negative = variant(plain, "negative-size", (d) => {
    const config = JSON.parse(readFileSync(join(d, "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(d, "config.json"), JSON.stringify({ ...config, hidden_size: -128 }));
  });
  failsWith(
    await runCli(["eval", "--model", negative, ...SMALL_DATA, ...out()]),
    "a negative hidden_size",
    /config\.json: field "hidden_size" must be a positive integer, got -128/,
  );
  const exotic = dataset(
    "exotic",
    { valid: [row("Zyxquvw", "Ωμέγα 漢字", 10)], test: [row("Zyxquvw", "Ωμέγα 漢字", 20)] },
    ["Zyxquvw", "Ωμέγα 漢字"],
  );
  failsWith(
    await runCli(["eval", "--model", plain, "--data", exotic, "--beams", "2", ...out()]),
    "a model of another dataset",
    /which this model's vocabulary lacks: the model was built for another dataset/,
  );
  failsWith(
    await runCli(["eval", "--model", plain, "--beams", "100000", ...SMALL_DATA, ...out()]),
    "--beams 100000",
    /--beams 100000 exceeds the \d+ distinct catalogue titles/,
  );
});

test("CLI conventions: --version, no arguments, help CMD", async () => {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), `latentr3 ${pkg.version}`);
  const bare = await runCli([]);
  assert.equal(bare.code, 2, "no command is a usage error");
  assert.match(bare.stdout, /^Usage: latentr3 <command>/m);
  assert.match(bare.stdout, /train sft\s+\* supervised/, "commands that take --resume are marked");
  const help = await runCli(["help", "train", "sft"]);
  const direct = await runCli(["train", "sft", "--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.stdout, direct.stdout);
  assert.match(help.stdout, /--overwrite/);
});
