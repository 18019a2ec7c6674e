/**
 * libtorch's c10d collectives (native/src/distributed.cc): a process group formed by TCPStore
 * rendezvous, then blocking Gloo (CPU) or NCCL (CUDA) collectives. A failed or timed-out collective
 * throws an Error naming the op and this rank. Ranks, environment and sampling live in
 * `src/distributed/`; this file is only the typed binding.
 */
import { N, type Handle } from "./native.js";
import { Tensor } from "./tensor.js";

export type CollectiveBackend = "gloo" | "nccl";

/** Opaque native process group handle. */
type GroupHandle = { readonly __brand: "ProcessGroupHandle" };

/** The c10d backends compiled into the addon (empty when its libtorch has no c10d). */
export function collectiveBackends(): CollectiveBackend[] {
  return N.dist_backends() as CollectiveBackend[];
}

export interface CollectiveGroupOptions {
  backend: CollectiveBackend;
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /** Every rendezvous and collective fails after this long instead of waiting for a dead peer. */
  timeoutMs: number;
}

/** One c10d process group. Every rank must call the same collectives in the same order. */
export class CollectiveGroup {
  #handle: GroupHandle | undefined;
  readonly backend: CollectiveBackend;
  readonly rank: number;
  readonly worldSize: number;

  /** Blocks until every rank has joined (or the timeout passes). */
  constructor(o: CollectiveGroupOptions) {
    this.#handle = N.dist_init(o.backend, o.rank, o.worldSize, o.masterAddr, o.masterPort, o.timeoutMs) as GroupHandle;
    this.backend = o.backend;
    this.rank = o.rank;
    this.worldSize = o.worldSize;
  }

  get #group(): GroupHandle {
    if (!this.#handle) throw new Error(`process group of rank ${this.rank}: used after destroy()`);
    return this.#handle;
  }

  /** Sums each tensor over all ranks, in place (bucketed into a few collectives). */
  allReduceSum(tensors: readonly Tensor[]): void {
    if (tensors.length > 0)
      N.dist_all_reduce(
        this.#group,
        tensors.map((t) => t.handle),
      );
  }

  /**
   * Sums the parameters' gradients over all ranks, in place. A parameter with no gradient on this
   * rank joins with zeros when another rank has one; with none anywhere it keeps none.
   */
  allReduceGradients(params: readonly Tensor[]): void {
    if (params.length > 0)
      N.dist_all_reduce_grads(
        this.#group,
        params.map((p) => p.handle),
      );
  }

  /** Every rank's copy of `t` (same shape on every rank), in rank order. */
  allGather(t: Tensor): Tensor[] {
    return (N.dist_all_gather(this.#group, t.handle) as Handle[]).map((h) => new Tensor(h));
  }

  /** Overwrites each tensor with rank `root`'s, in place. */
  broadcast(tensors: readonly Tensor[], root = 0): void {
    if (tensors.length > 0)
      N.dist_broadcast(
        this.#group,
        tensors.map((t) => t.handle),
        root,
      );
  }

  barrier(): void {
    N.dist_barrier(this.#group);
  }

  /** Closes the backend's sockets and threads now. */
  destroy(): void {
    if (this.#handle) N.dist_destroy(this.#handle);
    this.#handle = undefined;
  }
}
