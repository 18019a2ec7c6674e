/**
 * LoRA through the pipeline: latent SFT with adapters trains only the adapters and LatentRATT, saves
 * a PEFT adapter folder that loads back on its base with the same outputs, LR-GRPO runs on the
 * loaded LoRA model unchanged (only LatentRATT moves), and merging gives a plain folder with the
 * same outputs.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { int64, noGrad, tidy, type Tensor } from "../../src/engine/index.js";
import type { DataSource } from "../../src/data/data-source.js";
import { Recommender } from "../../src/latent/recommender.js";
import { applyLora, loraParameters } from "../../src/llm/lora.js";
import { trainLrGrpo } from "../../src/train/rl/lr-grpo.js";
import { DEFAULT_LR_GRPO } from "../../src/train/rl/config.js";
import { RunFolder } from "../../src/train/run-folder.js";
import { runSft } from "../../src/train/sft.js";
import { DEFAULT_SUPERVISED } from "../../src/train/supervised.js";
import { tempFolder } from "../support/helpers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

process.env.LATENTR3_QUIET = "1";

let source: DataSource;
let folder: { dir: string; cleanup: () => void };
let baseDir: string;

before(async () => {
  source = await smallSource();
  folder = tempFolder("lora-sft");
  baseDir = join(folder.dir, "base");
  const rec = await tinyRecommender(source, { numLatents: 1 });
  await rec.save(baseDir);
  rec.dispose();
});
after(() => folder.cleanup());

const snapshot = (rec: Recommender) =>
  new Map([...rec.model.store.params].map(([n, t]) => [n, Buffer.from(t.bytes())]));

/** Latent and answer logits of the first validation example: what a model folder must reproduce. */
function outputs(rec: Recommender): number[] {
  return noGrad(() =>
    tidy(() => {
      const ids = rec.promptIds(source.splits.valid[0]!);
      const mask = int64(
        ids.map(() => 1),
        [1, ids.length],
      );
      const thought = rec.reasoner!.think(int64(ids, [1, ids.length]), mask);
      const answer = rec.answerIds(source.splits.valid[0]!.target.title).slice(0, 4);
      const hidden = rec.reasoner!.answer(
        thought,
        thought.latents[0]!,
        int64(answer, [1, answer.length]),
        int64(
          answer.map(() => 1),
          [1, answer.length],
        ),
      );
      thought.cache.dispose();
      const logits: Tensor = rec.model.logits(hidden);
      return [...thought.latents[0]!.toList(), ...logits.toList()];
    }),
  );
}

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

test("LoRA latent SFT → adapter folder → LR-GRPO on it → merged plain folder", async () => {
  const rec = await Recommender.load(baseDir);
  applyLora(rec.model, { rank: 4, alpha: 8, dropout: 0.1, targets: ["q_proj", "k_proj", "v_proj", "o_proj"] });
  const before = snapshot(rec);
  const sft = {
    ...DEFAULT_SUPERVISED,
    epochs: 1,
    batchSize: 8,
    microBatchSize: 4,
    lr: 3e-3,
    warmupSteps: 0,
    patience: 0,
    maxSteps: 3,
    gradCheckpointing: true,
  };
  await runSft(
    rec,
    source.splits.train.slice(0, 24),
    source.splits.valid.slice(0, 8),
    sft,
    new RunFolder(join(folder.dir, "sft")),
  );
  const adapters = new Set(loraParameters(rec.model));
  let moved = 0;
  for (const [name, t] of rec.model.store.params) {
    const same = Buffer.from(t.bytes()).equals(before.get(name) ?? Buffer.alloc(0));
    const trains = adapters.has(t) || name.startsWith("latent_ratt.");
    if (!trains) assert.ok(same, `${name} (frozen base) changed`);
    else if (!same) moved++;
  }
  assert.ok(moved >= 4 + 3, `only ${moved} adapter/LatentRATT tensors changed`);
  // The training checkpoints hold the trainable tensors only.
  const best = join(folder.dir, "sft", "checkpoints", "best");
  if (existsSync(best)) assert.ok(readdirSync(best).includes("params.safetensors"));

  const adapterDir = join(folder.dir, "lora-model");
  await rec.save(adapterDir);
  const files = readdirSync(adapterDir).sort();
  assert.deepEqual(files, [
    "adapter_config.json",
    "adapter_model.safetensors",
    "latent_ratt.safetensors",
    "latentr3.json",
  ]);
  const expected = outputs(rec);
  rec.dispose();

  const loaded = await Recommender.load(adapterDir);
  assert.equal(loaded.hasAdapters, true);
  assert.equal(loaded.freshLatentReadout, false);
  assert.ok(maxDiff(outputs(loaded), expected) < 1e-5, "the adapter folder does not reproduce the trained model");

  // LR-GRPO as it is: it freezes everything but LatentRATT, adapters included.
  const rows = source.splits.train.slice(0, 8).map((e) => loaded.trainingRow(e));
  const beforeRl = snapshot(loaded);
  const rl = {
    ...DEFAULT_LR_GRPO,
    samples: 4,
    sigma: 1.5,
    promptsPerStep: 8,
    microPrompts: 4,
    lr: 1e-3,
    warmupSteps: 0,
    maxSteps: 2,
    checkpointEvery: 1000,
  };
  await trainLrGrpo(loaded.reasoner!, rows, loaded.tokenizer.padId, rl, new RunFolder(join(folder.dir, "rl")));
  for (const [name, t] of loaded.model.store.params) {
    const same = Buffer.from(t.bytes()).equals(beforeRl.get(name)!);
    if (name.startsWith("latent_ratt.") && name.endsWith(".weight")) assert.ok(!same, `${name} did not change`);
    if (!name.startsWith("latent_ratt.")) assert.ok(same, `${name} changed under LR-GRPO`);
  }
  const afterRl = outputs(loaded);

  loaded.mergeAdapters();
  assert.equal(loaded.hasAdapters, false);
  const mergedDir = join(folder.dir, "merged");
  await loaded.save(mergedDir);
  assert.ok(existsSync(join(mergedDir, "model.safetensors")) && existsSync(join(mergedDir, "config.json")));
  const merged = await Recommender.load(mergedDir);
  assert.ok(maxDiff(outputs(merged), afterRl) < 1e-4, "merged folder outputs differ from the LoRA model's");
  loaded.dispose();
  merged.dispose();
});
