/**
 * BIGRec's grounding decoding: nearest titles by L2 distance on hand-built embeddings, the
 * embedding (last token's final hidden state, left-padded batches) against one unpadded forward pass
 * per sequence, a generated catalogue title grounding to itself, greedy free generation against full
 * uncached forward passes, where the answer closes, and the
 * on-disk cache of the catalogue's embeddings (reused, and invalidated when the weights change).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { int64, noGrad, tensor, tidy } from "../../src/engine/index.js";
import { pooledHiddenStates } from "../../src/llm/pooled-hidden-states.js";
import { closingQuoteAt, greedyAnswers, groundingTokens, nearestByL2 } from "../../src/decode/grounding.js";
import { catalogueEmbeddings } from "../../src/decode/grounded-recommend.js";
import { primePlain } from "../../src/decode/prime.js";
import { collatePrompts } from "../../src/data/collate.js";
import { tempDir } from "../support/helpers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

// Four catalogue embeddings in 3-D with hand-computable squared distances.
const CATALOGUE = [
  [0, 0, 0],
  [4, 0, 0],
  [0, 3, 0],
  [1, 1, 5],
];

test("grounding maps an exact catalogue embedding to itself and a perturbed one to its nearest", () => {
  tidy(() => {
    const catalogue = tensor(CATALOGUE);
    const generated = tensor([
      [4, 0, 0], // exactly item 1
      [0.2, 2.5, 0.1], // near item 2: d² = 0.29; item 0: 6.3; item 1: 20.3; item 3: 25.89
      [3, 0.5, 1], // d²: item 1 = 2.25, item 0 = 10.25, item 2 = 16.25, item 3 = 16.25 (tie), …
    ]);
    const nearest = nearestByL2(generated, catalogue, 4);
    assert.deepEqual(nearest[0]!.slice(0, 1), [1]);
    assert.deepEqual(nearest[1], [2, 0, 1, 3]);
    assert.deepEqual(nearest[2]!.slice(0, 2), [1, 0]);
    assert.deepEqual([...nearest[2]!.slice(2)].sort(), [2, 3]);
    assert.deepEqual(nearestByL2(generated, catalogue, 1), [[1], [2], [1]]);
  });
});

test("an exact match stays nearest next to a close neighbour at a large norm (no f32 cancellation)", () => {
  tidy(() => {
    // ‖x‖² ≈ 1e8: in f32, ‖a‖²+‖b‖²−2ab would round both distances to the same few units.
    const base = [7000, 7000, 1000];
    const catalogue = tensor([base.map((v) => v + 0.05), base], { dtype: "f32" });
    const generated = tensor([base], { dtype: "f32" });
    assert.deepEqual(nearestByL2(generated, catalogue, 2), [[1, 0]]);
  });
});

test("nearestByL2 refuses mismatched widths and k outside 1..catalogue", () => {
  tidy(() => {
    const catalogue = tensor(CATALOGUE);
    assert.throws(() => nearestByL2(tensor([[1, 2]]), catalogue, 1), /width 2 but the catalogue's have 3/);
    assert.throws(() => nearestByL2(tensor([[1, 2, 3]]), catalogue, 5), /k must be an integer in 1\.\.4/);
  });
});

test("the answer closes at its first quote-newline after the opening quote", () => {
  assert.equal(closingQuoteAt('"Abbey Road"\n"Help"\n'), 11);
  assert.equal(closingQuoteAt('"Say "Hi" Now"\n'), 13);
  assert.equal(closingQuoteAt('"never closed'), -1);
  assert.equal(closingQuoteAt('"\n'), -1); // the opening quote alone
  assert.equal(closingQuoteAt("no quotes\n"), -1);
});

test("a generated catalogue title (its answer tokens, closed) grounds to that title", async () => {
  const source = await smallSource();
  const rec = await tinyRecommender(source, { seed: 6 });
  const catalogue = catalogueEmbeddings(
    rec,
    source.items.map((i) => i.title),
    { batchSize: 16, useCache: false },
  );
  const picks = [0, 7, catalogue.titles.length - 1];
  const generated = picks.map((j) => ({
    tokens: rec.answerIds(catalogue.titles[j]!).slice(0, -1), // `"title"⏎` as generated, EOS excluded
    closed: true,
  }));
  const embedded = pooledHiddenStates(
    rec.model,
    generated.map((g) => groundingTokens(g, rec.tokenizer.eosId)),
    { pooling: "last", padId: rec.tokenizer.padId, batchSize: 2 },
  );
  const nearest = nearestByL2(embedded, catalogue.embeddings, 1);
  assert.deepEqual(
    nearest.map((n) => n[0]),
    picks,
  );
  embedded.dispose();
  catalogue.embeddings.dispose();
  rec.dispose();
});

test("greedy free generation matches greedy decoding by full forward passes, row by row", async () => {
  const source = await smallSource();
  const rec = await tinyRecommender(source, { seed: 4 });
  const prompts = source.splits.test.slice(0, 3).map((e) => rec.promptIds(e));
  const steps = 6;
  const answers = noGrad(() =>
    tidy(() => {
      const { ids, mask } = collatePrompts(prompts, rec.tokenizer.padId);
      const primed = primePlain(rec.model, ids, mask);
      const out = greedyAnswers(rec.model, rec.tokenizer, primed, steps);
      primed.cache.dispose();
      return out;
    }),
  );
  prompts.forEach((prompt, r) => {
    const seq = [...prompt];
    const generated: number[] = [];
    for (let i = 0; i < steps; i++) {
      const next = tidy(() =>
        Number(
          rec.model
            .forward({ inputIds: int64(seq, [1, seq.length]), logits: "last" })
            .logits!.reshape([-1])
            .argmax()
            .item(),
        ),
      );
      if (next === rec.tokenizer.eosId) break;
      generated.push(next);
      seq.push(next);
      if (closingQuoteAt(rec.tokenizer.decode(generated)) !== -1) break;
    }
    assert.deepEqual(answers[r]!.tokens, generated, `row ${r}`);
    assert.equal(answers[r]!.closed, closingQuoteAt(rec.tokenizer.decode(generated)) !== -1);
  });
  rec.dispose();
});

test("catalogue embeddings are cached on disk, reused, and recomputed when the weights change", async () => {
  const previous = process.env.LATENTR3_CACHE;
  process.env.LATENTR3_CACHE = tempDir("grounding-cache");
  try {
    const source = await smallSource();
    const rec = await tinyRecommender(source, { seed: 5 });
    const titles = source.items.map((i) => i.title);
    const files = () => readdirSync(join(process.env.LATENTR3_CACHE!, "grounding")).length;

    const first = catalogueEmbeddings(rec, titles, { batchSize: 16 });
    assert.equal(first.cached, false);
    assert.equal(files(), 1);
    const second = catalogueEmbeddings(rec, titles, { batchSize: 16 });
    assert.equal(second.cached, true, "the second call reads the cache");
    assert.deepEqual(second.titles, first.titles);
    assert.deepEqual(second.embeddings.toList(), first.embeddings.toList());
    // The cached rows are the titles' embeddings (spot check against a fresh computation).
    const fresh = catalogueEmbeddings(rec, titles, { batchSize: 7, useCache: false });
    const maxDiff = tidy(() => fresh.embeddings.sub(first.embeddings).abs().amax().item() as number);
    assert.ok(maxDiff < 1e-4, `cached vs fresh: ${maxDiff}`);

    // One weight changes: a new key, so the embeddings are computed again (and differ).
    noGrad(() => rec.model.store.params.get("model.norm.weight")!.mul_(1.5));
    const third = catalogueEmbeddings(rec, titles, { batchSize: 16 });
    assert.equal(third.cached, false, "changed weights must not reuse the cache");
    assert.equal(files(), 2);
    const changed = tidy(() => third.embeddings.sub(first.embeddings).abs().amax().item() as number);
    assert.ok(changed > 1e-3);
    for (const c of [first, second, fresh, third]) c.embeddings.dispose();
    rec.dispose();
  } finally {
    if (previous === undefined) delete process.env.LATENTR3_CACHE;
    else process.env.LATENTR3_CACHE = previous;
  }
});
