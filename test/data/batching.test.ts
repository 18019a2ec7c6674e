import { test } from "node:test";
import assert from "node:assert/strict";
import { lengthBucketedBatches, paddingOverhead, randomBatches } from "../../src/data/batching.js";

const LENGTHS = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10];

test("length buckets: every example once, deterministic per (seed, epoch), shuffled across epochs", () => {
  const a = lengthBucketedBatches(LENGTHS, { batchSize: 3, seed: 1, bucketBatches: 2 });
  assert.deepEqual(
    [...a.flat()].sort((x, y) => x - y),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(a.map((b) => b.length).sort(), [1, 3, 3, 3]); // windows of 6 and 4 examples
  assert.deepEqual(lengthBucketedBatches(LENGTHS, { batchSize: 3, seed: 1, bucketBatches: 2 }), a);
  assert.notDeepEqual(lengthBucketedBatches(LENGTHS, { batchSize: 3, seed: 1, bucketBatches: 2 }, 1), a);
  const dropped = lengthBucketedBatches(LENGTHS, { batchSize: 3, seed: 1, bucketBatches: 2, dropLast: true });
  assert.deepEqual(
    dropped.map((b) => b.length),
    [3, 3, 3],
  );
  assert.throws(() => lengthBucketedBatches(LENGTHS, { batchSize: 0, seed: 1 }), /positive integer/);
});

test("one window over everything gives length-homogeneous batches and the least padding", () => {
  const batches = lengthBucketedBatches(LENGTHS, { batchSize: 3, seed: 5, bucketBatches: 100 });
  const byLength = batches.map((b) => b.map((i) => LENGTHS[i]!).sort((x, y) => x - y)).sort((x, y) => x[0]! - y[0]!);
  assert.deepEqual(byLength, [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]);
  // padded 3·3 + 6·3 + 9·3 + 10 = 64 tokens for 55 real ones
  assert.equal(paddingOverhead(LENGTHS, batches), 64 / 55 - 1);
  assert.equal(paddingOverhead(LENGTHS, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]), 100 / 55 - 1);
});

test("random batches: every index once, deterministic per (seed, epoch), and a batch's length spread is the data's", () => {
  const a = randomBatches(10, { batchSize: 3, seed: 1 });
  assert.deepEqual(
    [...a.flat()].sort((x, y) => x - y),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(
    a.map((b) => b.length),
    [3, 3, 3, 1],
  );
  assert.deepEqual(
    randomBatches(10, { batchSize: 3, seed: 1, dropLast: true }).map((b) => b.length),
    [3, 3, 3],
  );
  assert.deepEqual(randomBatches(10, { batchSize: 3, seed: 1 }), a);
  assert.notDeepEqual(randomBatches(10, { batchSize: 3, seed: 1 }, 1), a);
  // 3,200 prompts with lengths 0..99: the mean within-batch std of 32 random prompts is close to the
  // data's (≈ 28.9 · √(31/32)); length buckets shrink it to a few tokens.
  const lengths = Array.from({ length: 3200 }, (_, i) => i % 100);
  const spread = (batches: number[][]) =>
    batches.reduce((acc, b) => {
      const xs = b.map((i) => lengths[i]!);
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      return acc + Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    }, 0) / batches.length;
  const dataStd = Math.sqrt(lengths.reduce((s, x) => s + (x - 49.5) ** 2, 0) / lengths.length);
  const random = spread(randomBatches(lengths.length, { batchSize: 32, seed: 3 }));
  assert.ok(Math.abs(random / dataStd - 1) < 0.05, `random batches: spread ${random} vs data ${dataStd}`);
  const bucketed = spread(lengthBucketedBatches(lengths, { batchSize: 32, seed: 3 }));
  assert.ok(bucketed < dataStd / 4, `length buckets: spread ${bucketed}`);
});
