/**
 * Length-bucketed batches: examples of similar token length share a batch so little compute is
 * spent on padding, while the order stays random. Deterministic given (seed, epoch):
 *   1. shuffle all indices;
 *   2. cut the shuffled list into windows of `batchSize × bucketBatches` examples;
 *   3. sort each window by length (stable: ties keep the shuffled order) and cut it into batches;
 *   4. shuffle the order of all batches.
 */
import { hashSeed, Rng } from "./rng.js";

export interface BucketOptions {
  batchSize: number;
  seed: number;
  /** Batches per sorting window; larger = less padding, less randomness (default 32). */
  bucketBatches?: number;
  /** Drop the last incomplete batch of each window (default false). */
  dropLast?: boolean;
}

/** Batches of example indices for one epoch. */
export function lengthBucketedBatches(lengths: readonly number[], options: BucketOptions, epoch = 0): number[][] {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const window = batchSize * (options.bucketBatches ?? 32);
  const rng = new Rng(hashSeed(options.seed, "length-buckets", epoch));
  const order = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += window) {
    const bucket = order.slice(start, start + window).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let b = 0; b < bucket.length; b += batchSize) {
      const batch = bucket.slice(b, b + batchSize);
      if (batch.length < batchSize && options.dropLast) continue;
      batches.push(batch);
    }
  }
  return rng.shuffle(batches);
}

/**
 * Uniformly random batches: one shuffle of all indices per (seed, epoch), cut in order. For batches
 * whose statistics matter (LR-GRPO's batch advantage averages and normalises over its batch), where
 * grouping by length would correlate the batch with the reward.
 */
export function randomBatches(count: number, options: BucketOptions, epoch = 0): number[][] {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const order = new Rng(hashSeed(options.seed, "random-batches", epoch)).shuffle(
    Array.from({ length: count }, (_, i) => i),
  );
  const batches: number[][] = [];
  for (let b = 0; b + (options.dropLast ? batchSize : 1) <= order.length; b += batchSize) {
    batches.push(order.slice(b, b + batchSize));
  }
  return batches;
}

/** Padding overhead of a batching: padded tokens / real tokens − 1 (0 = no padding). */
export function paddingOverhead(lengths: readonly number[], batches: readonly number[][]): number {
  let real = 0;
  let padded = 0;
  for (const batch of batches) {
    let max = 0;
    for (const i of batch) {
      real += lengths[i]!;
      max = Math.max(max, lengths[i]!);
    }
    padded += max * batch.length;
  }
  return real === 0 ? 0 : padded / real - 1;
}
