import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { int64, noGrad, tidy } from "../../src/engine/index.js";
import { Recommender } from "../../src/latent/recommender.js";
import { ModelTokenizer } from "../../src/llm/model-tokenizer.js";
import { Tokenizer } from "../../src/llm/tokenizer.js";
import { saveModel } from "../../src/llm/checkpoint.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { presetConfig } from "../../src/llm/config.js";
import { maxAbsDiff, withTempDir } from "../support/helpers.js";
import { buildPrompt, promptText } from "../../src/data/prompt.js";

const EXAMPLE = { history: [{ title: "Blue Train" }, { title: "Kind of Blue" }] };
const TEXTS = [promptText(buildPrompt(EXAMPLE, { phrase: "musics", template: "clean" }))];

async function tinyRecommender(numLatents: number): Promise<Recommender> {
  const tokenizer = ModelTokenizer.compacted(await Tokenizer.qwenDefault(), TEXTS);
  return Recommender.create(
    "tiny",
    tokenizer,
    { numLatents, template: "clean" },
    { seed: 3, config: { hidden_size: 32, intermediate_size: 64 } },
  );
}

function latentOf(rec: Recommender) {
  return noGrad(() =>
    tidy(() => {
      const ids = rec.promptIds(EXAMPLE);
      const thought = rec.reasoner!.think(
        int64(ids, [1, ids.length]),
        int64(
          ids.map(() => 1),
          [1, ids.length],
        ),
      );
      thought.cache.dispose();
      return thought.latents[0]!.keep();
    }),
  );
}

test("a saved recommender loads with the same weights, LatentRATT, tokenizer mapping and settings", async () => {
  await withTempDir(async (dir) => {
    const rec = await tinyRecommender(1);
    await rec.save(dir);
    const loaded = await Recommender.load(dir);
    assert.deepEqual(loaded.meta, rec.meta);
    assert.deepEqual(loaded.promptIds(EXAMPLE), rec.promptIds(EXAMPLE));
    assert.equal(loaded.tokenizer.placeholderId, rec.tokenizer.placeholderId);
    const a = latentOf(rec);
    const b = latentOf(loaded);
    assert.equal(maxAbsDiff(a, b), 0);
    assert.ok(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).architectures.includes("Qwen2ForCausalLM"));
    rec.dispose();
    loaded.dispose();
  });
});

test("a model without LatentRATT gains a freshly initialised one when loaded with latents", async () => {
  await withTempDir(async (dir) => {
    const rec = await tinyRecommender(0);
    await rec.save(dir);
    const latent = await Recommender.load(dir, { numLatents: 1 });
    assert.equal(latent.reasoner?.rattParameters().length, 6);
    const plain = await Recommender.load(dir);
    assert.equal(plain.reasoner, null);
    rec.dispose();
    latent.dispose();
    plain.dispose();
  });
});

test("loading refuses a tokenizer that does not match the model's vocabulary", async () => {
  await withTempDir(async (dir) => {
    const rec = await tinyRecommender(0);
    await rec.save(dir);
    const path = join(dir, "vocab_compaction.json");
    const json = JSON.parse(readFileSync(path, "utf8")) as { fullIds: number[] };
    writeFileSync(path, JSON.stringify({ ...json, fullIds: json.fullIds.slice(0, -2) }));
    await assert.rejects(Recommender.load(dir), /maps \d+ tokens but the model's embedding has \d+ rows/);
    rec.dispose();
  });
  await withTempDir(async (dir) => {
    // A plain Hugging Face-style folder with the full Qwen tokenizer but a 64-row embedding.
    const model = Qwen2Model.create(presetConfig("tiny", 64, { hidden_size: 32, intermediate_size: 64 }));
    saveModel(model, dir);
    await (await Tokenizer.qwenDefault()).save(dir);
    rmSync(join(dir, "latentr3.json"), { force: true });
    await assert.rejects(Recommender.load(dir), /tokenizer has \d+ token ids but the model's embedding has 64 rows/);
    model.dispose();
  });
});
