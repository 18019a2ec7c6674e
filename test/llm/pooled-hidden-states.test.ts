import { test } from "node:test";
import assert from "node:assert/strict";
import { int64, noGrad, tidy } from "../../src/engine/index.js";
import { pooledHiddenStates, type Pooling } from "../../src/llm/pooled-hidden-states.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

test("pooled hidden states: each sequence's last-token or mean final hidden state, whatever the batch's padding", async () => {
  const rec = await tinyRecommender(await smallSource(), { seed: 3 });
  const width = rec.model.config.hidden_size;
  const sequences = [[5, 9, 11], [7, 3, 12, 15, 20, 2, 8], [4], [30, 31]];
  // Each sequence alone (no padding), pooled by hand.
  const direct = (ids: number[], pooling: Pooling) =>
    noGrad(() =>
      tidy(() => {
        const { hidden } = rec.model.forward({ inputIds: int64(ids, [1, ids.length]), logits: "none" });
        const states = hidden.reshape([ids.length, width]).toList() as number[];
        const row = (t: number) => states.slice(t * width, (t + 1) * width);
        if (pooling === "last") return row(ids.length - 1);
        return row(0).map((_, j) => ids.reduce((s, _id, t) => s + states[t * width + j]!, 0) / ids.length);
      }),
    );
  for (const pooling of ["last", "mean"] as const) {
    const batched = pooledHiddenStates(rec.model, sequences, { pooling, padId: rec.tokenizer.padId, batchSize: 3 });
    assert.deepEqual(batched.shape, [4, width]);
    const flat = batched.toList() as number[];
    batched.dispose();
    const got = sequences.map((_, i) => flat.slice(i * width, (i + 1) * width));
    sequences.forEach((ids, i) => {
      const want = direct(ids, pooling);
      const diff = want.reduce((m, v, j) => Math.max(m, Math.abs(v - got[i]![j]!)), 0);
      assert.ok(diff < 1e-4, `${pooling}, sequence ${i}: max |batched − direct| = ${diff}`);
    });
    assert.notDeepEqual(got[0], got[1]);
  }
  // A one-token sequence: its mean is its last state.
  const one = (pooling: Pooling) =>
    pooledHiddenStates(rec.model, [[4]], { pooling, padId: 0, batchSize: 1 }).toList() as number[];
  assert.deepEqual(one("mean"), one("last"));
  const opts = { pooling: "last" as const, padId: rec.tokenizer.padId, batchSize: 2 };
  assert.throws(() => pooledHiddenStates(rec.model, [[1], []], opts), /sequence 1 is empty/);
  assert.throws(() => pooledHiddenStates(rec.model, [], opts), /no sequences/);
  assert.throws(() => pooledHiddenStates(rec.model, [[1]], { ...opts, batchSize: 0 }), /batchSize must be a positive/);
  rec.dispose();
});
