/**
 * Native tensors are released deterministically on the riskiest paths: after a warm-up call (which
 * may create lazily cached tensors), a second SFT run, LR-GRPO run and `recommend()` batch leave the
 * engine's live-tensor count exactly where it was. A tensor left to the garbage collector counts as
 * a leak here: in a long run it holds native memory until some later GC.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { liveTensorCount } from "../../src/engine/index.js";
import { buildTitleTrie, recommend } from "../../src/decode/recommend.js";
import { DEFAULT_LR_GRPO } from "../../src/train/rl/config.js";
import { trainLrGrpo } from "../../src/train/rl/lr-grpo.js";
import { RunFolder } from "../../src/train/run-folder.js";
import { runSft } from "../../src/train/sft.js";
import { DEFAULT_SUPERVISED } from "../../src/train/supervised.js";
import { tempDir } from "../support/helpers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

/** Live tensors before and after the second of two calls. */
async function liveAcross(call: (round: number) => unknown): Promise<{ before: number; after: number }> {
  await call(0);
  const before = liveTensorCount();
  await call(1);
  return { before, after: liveTensorCount() };
}

const SFT = { ...DEFAULT_SUPERVISED, batchSize: 8, microBatchSize: 4, maxSteps: 2, warmupSteps: 0, epochs: 1 };

test("an SFT run (plain and latent) releases every tensor it creates", async () => {
  const source = await smallSource();
  for (const numLatents of [0, 1]) {
    const rec = await tinyRecommender(source, { numLatents });
    const train = source.splits.train.slice(0, 16);
    const valid = source.splits.valid.slice(0, 4);
    const { before, after } = await liveAcross((round) =>
      runSft(rec, train, valid, SFT, new RunFolder(tempDir(`leak-sft-${numLatents}-${round}`))),
    );
    assert.equal(after, before, `latents ${numLatents}: ${after - before} tensor(s) left alive by one SFT run`);
    rec.dispose();
  }
});

test("an LR-GRPO run releases every tensor it creates", async () => {
  const source = await smallSource();
  const rec = await tinyRecommender(source, { numLatents: 1 });
  const rows = source.splits.train.slice(0, 8).map((e) => rec.trainingRow(e));
  const config = { ...DEFAULT_LR_GRPO, samples: 4, promptsPerStep: 4, microPrompts: 2, maxSteps: 2, warmupSteps: 0 };
  const { before, after } = await liveAcross((round) =>
    trainLrGrpo(rec.reasoner!, rows, rec.tokenizer.padId, config, new RunFolder(tempDir(`leak-rl-${round}`))),
  );
  assert.equal(after, before, `${after - before} tensor(s) left alive by one LR-GRPO run`);
  rec.dispose();
});

test("a recommend() batch releases every tensor it creates", async () => {
  const source = await smallSource();
  for (const numLatents of [0, 1]) {
    const rec = await tinyRecommender(source, { numLatents });
    const trie = buildTitleTrie(
      rec,
      source.items.map((i) => i.title),
      false,
    );
    const users = source.splits.test.slice(0, 3);
    const { before, after } = await liveAcross(() =>
      recommend(rec, trie, users, { beams: 4, lengthPenalty: 1, maxNewTokens: 16, batchSize: 3 }),
    );
    assert.equal(after, before, `latents ${numLatents}: ${after - before} tensor(s) left alive by recommend()`);
    rec.dispose();
  }
});
