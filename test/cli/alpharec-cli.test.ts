/**
 * `latentr3 train baseline --arch alpharec --model LLM_DIR` end to end on a tiny LLM saved from the
 * small synthetic data's tokenizer: a model folder with the title embeddings and graph that
 * `latentr3 eval` reads, and title embeddings cached in the run folder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readReport } from "../../src/eval/report.js";
import { tempDir } from "../support/helpers.js";
import { runCli } from "../support/cli-process.js";
import { corpusTexts } from "../../src/data/data-source.js";
import { Recommender } from "../../src/latent/recommender.js";
import { ModelTokenizer } from "../../src/llm/model-tokenizer.js";
import { Tokenizer } from "../../src/llm/tokenizer.js";
import { smallSource } from "../support/tiny-recommender.js";

test("train baseline --arch alpharec writes a model folder that eval reads", async () => {
  const root = tempDir("alpharec-cli");
  const llm = join(root, "llm");
  const source = await smallSource();
  // Compacted over every catalogue title too: AlphaRec embeds all of them, not only those in rows.
  const tokenizer = ModelTokenizer.compacted(await Tokenizer.qwenDefault(), [
    ...corpusTexts(source, "reference"),
    ...source.items.map((i) => i.title),
  ]);
  await Recommender.create("tiny", tokenizer, { numLatents: 0, phrase: source.phrase }).save(llm);
  // The embedded synthetic data of smallSource(), whose titles the tiny model's vocabulary covers.
  const data = ["--synth-users", "60", "--synth-items", "60"];
  const out = join(root, "alpharec");
  const args = [
    "train",
    "baseline",
    "--arch",
    "alpharec",
    "--model",
    llm,
    ...data,
    "--epochs",
    "2",
    "--batch-size",
    "64",
  ];
  const train = await runCli([...args, "--out", out]);
  assert.equal(train.code, 0, train.stderr);
  const config = JSON.parse(readFileSync(join(out, "model", "config.json"), "utf8")) as Record<string, unknown>;
  assert.equal(config.model_type, "alpharec");
  assert.equal(config.num_layers, 2);
  assert.ok((config.num_users as number) > 0);
  assert.ok(existsSync(join(out, "model", "alpharec-inputs.safetensors")));
  assert.ok(existsSync(join(out, "title-embeddings.safetensors")));

  const evalDir = join(root, "eval");
  const evaluated = await runCli(["eval", "--model", join(out, "model"), ...data, "--out", evalDir]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const report = readReport(evalDir);
  assert.match(report.method, /alpharec/);
  assert.ok(report.byItem, "hits by item id");

  // --overwrite keeps nothing stale; a second run over the same folder reuses nothing it should not.
  const again = await runCli([...args, "--out", out, "--overwrite"]);
  assert.equal(again.code, 0, again.stderr);

  const missing = await runCli(["train", "baseline", "--arch", "alpharec", ...data, "--out", join(root, "x")]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--model is missing/);

  const stray = await runCli([
    "train",
    "baseline",
    "--arch",
    "sasrec",
    "--model",
    llm,
    ...data,
    "--out",
    join(root, "y"),
  ]);
  assert.notEqual(stray.code, 0);
  assert.match(stray.stderr, /--model is for AlphaRec only/);
});
