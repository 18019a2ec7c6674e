/**
 * What a trainer or evaluator needs to run data-parallel, in one object: which share of a global
 * batch this rank computes, the gradient sum, sums and gathers of numbers, and "am I rank 0".
 * A single process gets the same object with world size 1, where every collective is the identity,
 * so a loop has no `if (distributed)` branches and a single-process run does no extra work.
 */
import type { CollectiveBackend, Tensor } from "../engine/index.js";
import { distributedEnv, type DistributedEnv } from "./env.js";
import { chooseBackend, ProcessGroup, rankDevice } from "./process-group.js";
import { shardOf, unshard } from "./sampler.js";

export interface DataParallelOptions {
  /** The job's device ("cpu", "cuda"); with "cuda" each worker takes cuda:LOCAL_RANK. */
  device: string;
  /** gloo or nccl; by default gloo on CPU, nccl on CUDA. */
  backend?: string;
  timeoutMs?: number;
}

export class DataParallel {
  readonly rank: number;
  readonly worldSize: number;
  /** This worker's device (cuda:LOCAL_RANK for a CUDA job). */
  readonly device: string;
  readonly #group: ProcessGroup | undefined;

  private constructor(rank: number, worldSize: number, device: string, group: ProcessGroup | undefined) {
    this.rank = rank;
    this.worldSize = worldSize;
    this.device = device;
    this.#group = group;
  }

  /** The job this process joined (one per process: a worker belongs to one job). */
  static #joined: DataParallel | undefined;

  /**
   * This process's place in the job described by torchrun's variables, joined on first use; later
   * calls return the same object, so the stages of one command (the demo's pretrain, SFT, RL and
   * evaluation) share one process group. Without those variables: a single process on `device`.
   */
  static join(opts: DataParallelOptions, env: DistributedEnv | undefined = distributedEnv()): DataParallel {
    if (!env || env.worldSize === 1) return DataParallel.single(opts.device);
    DataParallel.#joined ??= DataParallel.fromEnv(opts, env);
    return DataParallel.#joined;
  }

  /** A plain single-process run. */
  static single(device = "cpu"): DataParallel {
    return new DataParallel(0, 1, device, undefined);
  }

  /**
   * Joins the job described by torchrun's variables (`env`), or returns a single process when
   * WORLD_SIZE is unset or 1.
   */
  static fromEnv(opts: DataParallelOptions, env: DistributedEnv | undefined = distributedEnv()): DataParallel {
    if (!env || env.worldSize === 1) return DataParallel.single(opts.device);
    const device = rankDevice(opts.device, env);
    const backend: CollectiveBackend = chooseBackend(device, opts.backend);
    const group = new ProcessGroup(env, { backend, timeoutMs: opts.timeoutMs });
    return new DataParallel(env.rank, env.worldSize, device, group);
  }

  get isDistributed(): boolean {
    return this.#group !== undefined;
  }

  /** Rank 0 alone writes checkpoints, metrics and reports, and prints progress. */
  get isRankZero(): boolean {
    return this.rank === 0;
  }

  /** Runs `fn` on rank 0 only. */
  onRankZero<T>(fn: () => T): T | undefined {
    return this.isRankZero ? fn() : undefined;
  }

  /** This rank's share of a global batch (see sampler.ts for how uneven batches split). */
  shard<T>(globalBatch: readonly T[]): T[] {
    return shardOf(globalBatch, this.rank, this.worldSize);
  }

  /**
   * Every rank's share of one batch put back in global order; `share` holds what this rank computed
   * for each example of `shard(batch)` (a row of numbers each, e.g. the rewards of its K samples).
   * Exact: the numbers travel as f64.
   */
  gatherShards(share: readonly (readonly number[])[]): number[][] {
    if (!this.#group) return share.map((row) => [...row]);
    // One gather: [rows, length of each row, …values].
    const packed = [share.length, ...share.map((row) => row.length), ...share.flat()];
    const perRank = this.#group.allGatherNumbers(packed).map((flat) => {
      const rows = flat[0]!;
      let at = 1 + rows;
      return flat.slice(1, 1 + rows).map((len) => flat.slice(at, (at += len)));
    });
    return unshard(perRank);
  }

  /** The same, for JSON values (per-user evaluation results). */
  gatherShardsJson<T>(share: readonly T[]): T[] {
    return this.#group ? unshard(this.#group.allGatherJson(share)) : [...share];
  }

  /**
   * Sums the gradients over ranks. Each rank's loss must already be divided by the global batch's
   * normaliser (its count of supervised tokens, or of samples), so the sum is exactly the gradient
   * one process would get for the whole global batch.
   */
  syncGradients(params: readonly Tensor[]): void {
    this.#group?.allReduceGradients(params);
  }

  /** Every rank's `values` (lengths may differ), in rank order. */
  allGather(values: readonly number[]): number[][] {
    return this.#group ? this.#group.allGatherNumbers(values) : [[...values]];
  }

  /** Element-wise sums over ranks (losses, token counts, clip counts). */
  sum(values: readonly number[]): number[] {
    return this.#group ? this.#group.sumNumbers(values) : [...values];
  }

  /** Rank 0's `value`, on every rank (a decision only rank 0 can make, e.g. from its files). */
  rankZeroValue(value: number): number {
    return this.#group ? this.#group.sumNumbers([this.isRankZero ? value : 0])[0]! : value;
  }

  /**
   * Checks that every rank has the same `value` (e.g. the step it resumed from); throws naming
   * the ranks that differ, with `hint` saying what usually causes it.
   */
  agree(what: string, value: number, hint = ""): void {
    if (!this.#group) return;
    const values = this.#group.allGatherNumbers([value]).map((v) => v[0]!);
    if (values.every((v) => v === values[0])) return;
    const byRank = values.map((v, r) => `rank ${r}: ${v}`).join(", ");
    throw new Error(`ranks disagree on ${what} (${byRank})${hint ? `: ${hint}` : ""}`);
  }

  /** Makes every rank's copy of `params` rank 0's (after rank 0 alone loaded a checkpoint). */
  broadcastFromRankZero(params: readonly Tensor[]): void {
    this.#group?.broadcast(params, 0);
  }

  barrier(): void {
    this.#group?.barrier();
  }

  /** Leaves the job (closes sockets; later collectives throw). */
  close(): void {
    this.#group?.destroy();
  }
}
