/** The distributed sampler: coverage, global order independent of world size, uneven batches. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lengthBucketedBatches } from "../../src/data/batching.js";
import { DistributedSampler, shardOf, unshard } from "../../src/distributed/sampler.js";

const lengths = Array.from({ length: 103 }, (_, i) => 5 + ((i * 37) % 29)); // 103: no batch size divides it
const batchSize = 8;

for (const world of [1, 2, 3]) {
  test(`world size ${world}: every example exactly once per epoch, for several epochs`, () => {
    for (let epoch = 0; epoch < 3; epoch++) {
      const global = lengthBucketedBatches(lengths, { batchSize, seed: 7 }, epoch);
      const seen = new Map<number, number>();
      for (let rank = 0; rank < world; rank++) {
        for (const share of new DistributedSampler(rank, world).epoch(global)) {
          for (const i of share) seen.set(i, (seen.get(i) ?? 0) + 1);
        }
      }
      assert.equal(seen.size, lengths.length);
      assert.ok([...seen.values()].every((n) => n === 1));
    }
  });

  test(`world size ${world}: the shares of each step put back give the single-process global batch`, () => {
    const global = lengthBucketedBatches(lengths, { batchSize, seed: 7 }, 1);
    const samplers = Array.from({ length: world }, (_, r) => new DistributedSampler(r, world));
    const perRank = samplers.map((s) => s.epoch(global));
    global.forEach((batch, step) => {
      assert.deepEqual(unshard(perRank.map((steps) => steps[step]!)), batch);
      // Shares differ by at most one example (the uneven last batch included).
      const sizes = perRank.map((steps) => steps[step]!.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `step ${step}: share sizes ${sizes}`);
    });
  });
}

test("strided shares, hand-written: 7 items over 3 ranks, and a batch smaller than the world", () => {
  const items = ["a", "b", "c", "d", "e", "f", "g"];
  assert.deepEqual(shardOf(items, 0, 3), ["a", "d", "g"]);
  assert.deepEqual(shardOf(items, 1, 3), ["b", "e"]);
  assert.deepEqual(shardOf(items, 2, 3), ["c", "f"]);
  assert.deepEqual(shardOf(["x"], 0, 3), ["x"]);
  assert.deepEqual(shardOf(["x"], 2, 3), []); // an empty share: the rank contributes zero gradient
  assert.deepEqual(unshard([["x"], [], []]), ["x"]);
});

test("unshard rejects shares that strided sharding cannot produce", () => {
  assert.throws(
    () => unshard([["a", "c", "e"], ["b"]]),
    /rank 0 has 3 item\(s\), but a strided share of 4 over 2 ranks has 2/,
  );
});

test("the sampler checks its rank and world size", () => {
  assert.throws(() => new DistributedSampler(2, 2), /rank must be an integer in \[0, 2\), got 2/);
  assert.throws(() => new DistributedSampler(0, 0), /world size must be >= 1/);
});
