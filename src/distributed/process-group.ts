/**
 * A c10d process group for one worker of a torchrun-style job, with the collectives the trainers
 * need on top of the engine's tensor collectives: gradient sums, sums and all-gathers of plain
 * numbers (token counts, losses, rewards) and of JSON values (per-user evaluation results).
 */
import {
  CollectiveGroup,
  collectiveBackends,
  tensor,
  tidy,
  type CollectiveBackend,
  type Tensor,
} from "../engine/index.js";
import { configTable, optional } from "../util/config-table.js";
import type { DistributedEnv } from "./env.js";

/** The option a command that can run data-parallel takes (under `latentr3 launch` or torchrun). */
export const DISTRIBUTED_CONFIG = configTable("distributed run", {
  backend: optional("string", "c10d backend when run by a launcher: gloo or nccl (default: nccl on CUDA, gloo on CPU)"),
});

/**
 * Default collective timeout: long enough for rank 0 to write a checkpoint or run a validation pass
 * while the others wait at the next collective, short enough that a hung peer ends the job.
 * `LATENTR3_DIST_TIMEOUT` (seconds) overrides it.
 */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

export function timeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.LATENTR3_DIST_TIMEOUT;
  if (raw === undefined || raw === "") return DEFAULT_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!(seconds > 0)) throw new Error(`LATENTR3_DIST_TIMEOUT=${JSON.stringify(raw)}: expected seconds > 0`);
  return Math.round(seconds * 1000);
}

/**
 * Gloo for CPU tensors, NCCL for CUDA tensors (as torch.distributed recommends), unless `override`
 * names one; either way it must be compiled into the addon.
 */
export function chooseBackend(device: string, override?: string): CollectiveBackend {
  const available = collectiveBackends();
  const wanted = override ?? (device.startsWith("cuda") ? "nccl" : "gloo");
  if (wanted !== "gloo" && wanted !== "nccl") {
    throw new Error(`--backend ${wanted}: expected gloo or nccl`);
  }
  if (!available.includes(wanted)) {
    throw new Error(
      `distributed backend ${wanted} is not available in this build (available: ${available.join(", ") || "none"}); ` +
        (wanted === "gloo"
          ? "install the Gloo headers (Debian: apt-get install libgloo-dev) and rebuild the addon"
          : "build against a CUDA PyTorch whose libtorch has ProcessGroupNCCL (see docs/distributed.md)"),
    );
  }
  if (wanted === "nccl" && !device.startsWith("cuda")) {
    throw new Error(`the nccl backend needs CUDA tensors, but the device is ${device} (use --backend gloo)`);
  }
  return wanted;
}

/** The device a worker computes on: its own GPU (cuda:LOCAL_RANK) when the job asks for "cuda". */
export function rankDevice(device: string, env: Pick<DistributedEnv, "localRank">): string {
  return device === "cuda" ? `cuda:${env.localRank}` : device;
}

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: CollectiveBackend;
  /** Where the small tensors of number collectives live (NCCL reduces only CUDA tensors). */
  readonly device: string;
  readonly #group: CollectiveGroup;

  /** Joins the job (blocks until every rank has joined, or the timeout passes). */
  constructor(env: DistributedEnv, opts: { backend: CollectiveBackend; timeoutMs?: number }) {
    this.#group = new CollectiveGroup({
      backend: opts.backend,
      rank: env.rank,
      worldSize: env.worldSize,
      masterAddr: env.masterAddr,
      masterPort: env.masterPort,
      timeoutMs: opts.timeoutMs ?? timeoutFromEnv(),
    });
    this.rank = env.rank;
    this.worldSize = env.worldSize;
    this.backend = opts.backend;
    this.device = opts.backend === "nccl" ? `cuda:${env.localRank}` : "cpu";
  }

  /** Sums the gradients of `params` over ranks, in place. */
  allReduceGradients(params: readonly Tensor[]): void {
    this.#group.allReduceGradients(params);
  }

  /** Sums tensors over ranks, in place. */
  allReduceSum(tensors: readonly Tensor[]): void {
    this.#group.allReduceSum(tensors);
  }

  /** Overwrites each tensor with rank `root`'s copy (e.g. parameters from rank 0). */
  broadcast(tensors: readonly Tensor[], root = 0): void {
    this.#group.broadcast(tensors, root);
  }

  /** Element-wise sums of `values` over ranks (every rank passes the same count), in f64. */
  sumNumbers(values: readonly number[]): number[] {
    if (values.length === 0) return [];
    return tidy(() => {
      const t = tensor(Float64Array.from(values), { device: this.device });
      this.#group.allReduceSum([t]);
      return t.toList();
    });
  }

  /** Every rank's list of numbers (lengths may differ), in rank order, exactly (f64). */
  allGatherNumbers(values: readonly number[]): number[][] {
    return this.#allGatherRows(Float64Array.from(values)).map((row) => Array.from(row));
  }

  /** Every rank's JSON-serialisable value, in rank order. */
  allGatherJson<T>(value: T): T[] {
    const decoder = new TextDecoder();
    return this.#allGatherRows(new TextEncoder().encode(JSON.stringify(value))).map(
      (row) => JSON.parse(decoder.decode(row)) as T,
    );
  }

  barrier(): void {
    this.#group.barrier();
  }

  destroy(): void {
    this.#group.destroy();
  }

  /** All-gather of rows whose lengths may differ by rank: lengths first, then rows padded to the longest. */
  #allGatherRows<A extends Float64Array | Uint8Array>(row: A): A[] {
    return tidy(() => {
      const lengths = this.#group
        .allGather(tensor(Float64Array.of(row.length), { device: this.device }))
        .map((t) => t.toList()[0]!);
      const padded = new (row.constructor as new (n: number) => A)(Math.max(...lengths));
      padded.set(row);
      return this.#group
        .allGather(tensor(padded, { device: this.device }))
        .map((t, r) => (t.to("cpu").data() as A).slice(0, lengths[r]!) as A);
    });
  }
}
