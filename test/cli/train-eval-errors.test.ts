/**
 * `latentr3 train pretrain|sft|rl` and `latentr3 eval` on bad input: each fails with exit code 1 or
 * 2 and one clear message naming what is wrong, where, and what was expected — no stack trace —
 * and before any data is generated or loaded where the check is cheap. And `--help` lists every
 * declared option of each command.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandOptions } from "../../src/cli/command.js";
import { commands } from "../../src/cli/registry.js";
import { tempFolder } from "../support/helpers.js";
import { runCli } from "../support/cli-process.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

let folder: { dir: string; cleanup: () => void };
/** A valid model folder without LatentRATT. */
let plain: string;
let noConfig: string;
let notDataset: string;
const missing = "/nonexistent/latentr3-model";

before(async () => {
  folder = tempFolder("cli-errors");
  const rec = await tinyRecommender(await smallSource());
  plain = join(folder.dir, "plain");
  await rec.save(plain);
  rec.dispose();
  noConfig = join(folder.dir, "no-config");
  cpSync(plain, noConfig, { recursive: true });
  rmSync(join(noConfig, "config.json"));
  notDataset = join(folder.dir, "not-a-dataset");
  mkdirSync(notDataset);
  writeFileSync(join(notDataset, "README.txt"), "just a folder\n");
});

after(() => folder.cleanup());

const SMALL = ["--synth-users", "60", "--synth-items", "60"];

/** Runs the CLI and checks it failed cleanly with `code` and a message matching every pattern. */
async function fails(args: string[], code: 1 | 2, ...patterns: RegExp[]): Promise<void> {
  const r = await runCli([...args, ...SMALL, "--out", join(folder.dir, "out")]);
  const what = `latentr3 ${args.join(" ")}`;
  assert.equal(r.code, code, `${what}: exit code ${r.code}, stderr:\n${r.stderr}`);
  for (const p of patterns) assert.match(r.stderr, p, what);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
  assert.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line of error:\n${r.stderr}`);
}

const withModel = (cmd: string[], model: string) => [...cmd, "--model", model];
const SFT = ["train", "sft"];
const RL = ["train", "rl"];
const EVAL = ["eval"];
const PRETRAIN = ["train", "pretrain"];

test("a --model folder that does not exist", async () => {
  for (const cmd of [SFT, RL, EVAL]) {
    await fails(
      withModel(cmd, missing),
      2,
      /--model \/nonexistent\/latentr3-model: no such folder/,
      /expected a model folder/,
    );
  }
});

test("a --model folder without config.json", async () => {
  for (const cmd of [SFT, RL, EVAL]) {
    await fails(withModel(cmd, noConfig), 2, /--model .*no-config: not a model folder: config\.json is missing/);
  }
});

test("train rl on a model without LatentRATT", async () => {
  await fails(withModel(RL, plain), 1, /plain: LR-GRPO needs a model with LatentRATT/, /train sft --latent 1/);
});

test("an unknown option", async () => {
  for (const cmd of [PRETRAIN, withModel(SFT, plain), withModel(RL, plain), withModel(EVAL, plain)]) {
    await fails([...cmd, "--bogus", "1"], 2, /unknown option --bogus \(see latentr3 .* --help\)/);
  }
});

test("bad numbers", async () => {
  for (const cmd of [PRETRAIN, withModel(SFT, plain), withModel(RL, plain)]) {
    await fails([...cmd, "--lr", "-1"], 2, /^latentr3 train \w+: --lr must be > 0, got -1$/m);
  }
  for (const cmd of [PRETRAIN, withModel(SFT, plain)]) {
    await fails(
      [...cmd, "--batch-size", "10", "--micro-batch-size", "3"],
      2,
      /--batch-size \(10\) must be a multiple of --micro-batch-size \(3\)/,
    );
  }
  await fails([...withModel(SFT, plain), "--epochs", "two"], 2, /--epochs expects an integer, got "two"/);
  await fails([...withModel(RL, plain), "--samples", "1"], 2, /--samples must be ≥ 2, got 1/);
  await fails([...withModel(RL, plain), "--clip-low", "1.5"], 2, /--clip-low must be ≥ 0 and < 1, got 1.5/);
  await fails([...withModel(EVAL, plain), "--beams", "0"], 2, /--beams must be ≥ 1, got 0/);
});

test("a --data folder that is not a dataset", async () => {
  for (const cmd of [PRETRAIN, withModel(SFT, plain), withModel(RL, plain), withModel(EVAL, plain)]) {
    await fails(
      [...cmd, "--data", notDataset],
      1,
      /--data .*not-a-dataset: not a dataset folder: it has no info\/ folder/,
      /expected a dataset folder with info\/<stem>\.txt/,
    );
  }
  await fails([...PRETRAIN, "--data", missing], 2, /--data \/nonexistent\/latentr3-model: no such folder/);
});

test("--help of every train command and eval lists every option", async () => {
  const specs = commands.filter((c) => c.path[0] === "train" || c.path[0] === "eval");
  assert.equal(specs.length, 4);
  for (const spec of specs) {
    const r = await runCli([...spec.path, "--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Usage: latentr3 ${spec.path.join(" ")}`));
    for (const o of commandOptions(spec)) {
      assert.match(r.stdout, new RegExp(`^  --${o.flag}\\b`, "m"), `${spec.path.join(" ")} --help: --${o.flag}`);
    }
  }
});
