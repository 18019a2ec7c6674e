/**
 * How a global batch is split across ranks. The global batches themselves come from the trainer's
 * own batching (deterministic in seed and epoch, so identical on every rank and for every world
 * size); each rank takes a strided share: positions rank, rank + W, rank + 2W, … of the batch.
 *
 * - Same seed → same global order for any world size: sharding never reorders or drops examples,
 *   it only says which rank computes which ones.
 * - Every example exactly once per epoch: the shares of a batch are disjoint and cover it.
 * - The last, smaller batch (or any batch not divisible by W) is split as evenly as strides allow:
 *   shares differ by at most one example, and a batch smaller than W leaves some ranks with none.
 *   Nothing is padded or repeated (torch's DistributedSampler repeats examples to even out the
 *   shares, which would count them twice); a rank with an empty share contributes zero gradient,
 *   and the loss is normalised by the global batch's token count, so the step equals one process's.
 * - Striding rather than contiguous blocks balances work: length-bucketed batches are sorted by
 *   length, so contiguous blocks would give the last rank all the longest examples.
 */
export class DistributedSampler {
  constructor(
    readonly rank: number,
    readonly worldSize: number,
  ) {
    if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`world size must be >= 1, got ${worldSize}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
      throw new Error(`rank must be an integer in [0, ${worldSize}), got ${rank}`);
    }
  }

  /** This rank's share of one global batch. */
  shard<T>(batch: readonly T[]): T[] {
    return shardOf(batch, this.rank, this.worldSize);
  }

  /** This rank's share of each of an epoch's global batches (one entry per optimizer step). */
  epoch<T>(globalBatches: readonly (readonly T[])[]): T[][] {
    return globalBatches.map((b) => this.shard(b));
  }
}

/** Share `rank` of `batch` among `worldSize` ranks: positions rank, rank + W, … */
export function shardOf<T>(batch: readonly T[], rank: number, worldSize: number): T[] {
  const out: T[] = [];
  for (let i = rank; i < batch.length; i += worldSize) out.push(batch[i]!);
  return out;
}

/**
 * The inverse of sharding: every rank's share of one batch (in rank order, as an all-gather returns
 * them) put back in the global batch's order.
 */
export function unshard<T>(shares: readonly (readonly T[])[]): T[] {
  const worldSize = shares.length;
  const total = shares.reduce((n, s) => n + s.length, 0);
  const out: T[] = new Array<T>(total);
  shares.forEach((share, rank) => {
    const expected = Math.max(0, Math.ceil((total - rank) / worldSize));
    if (share.length !== expected) {
      throw new Error(
        `unshard: rank ${rank} has ${share.length} item(s), but a strided share of ${total} over ${worldSize} ranks has ${expected}`,
      );
    }
    share.forEach((x, j) => (out[rank + j * worldSize] = x));
  });
  return out;
}
