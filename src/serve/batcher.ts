/**
 * Dynamic batching: requests that arrive while the model is busy, or within `maxWaitMs` of the
 * first one, are answered by one call of `run` (one constrained beam search for all of them).
 *
 * `run` is synchronous libtorch work on the main thread, so nothing else runs while a batch
 * decodes. Every batch is therefore started from a fresh macrotask (a timer or `setImmediate`),
 * never from the previous batch's stack: between two batches the event loop passes its poll phase,
 * where new connections are accepted, bodies parsed, /healthz and /metrics answered and new
 * requests queued (or refused with 429 when the queue is full). libuv accepts one new connection per
 * turn, so while connections keep arriving the batcher lets the loop turn again before it starts a
 * batch (`settle`).
 */

export interface BatcherOptions {
  /** Requests decoded together at most (1 = no batching). */
  maxBatchSize: number;
  /** How long the first queued request waits for others before its batch starts anyway. */
  maxWaitMs: number;
  /** Requests waiting (not yet decoding) at most; beyond it `submit` refuses with QueueFullError. */
  maxQueue: number;
  /** How long a request may wait in the queue before it is refused with QueueTimeoutError (0 = no limit). */
  queueTimeoutMs: number;
}

/** Most extra turns of the event loop before one batch (see BatcherHooks.settle). */
export const MAX_SETTLE_TURNS = 256;

export interface BatcherHooks {
  /**
   * Asked before a batch starts: true lets the event loop turn once more first (at most
   * MAX_SETTLE_TURNS times in a row). The server answers true while new connections keep arriving,
   * because libuv accepts one connection per turn: a burst of new clients would otherwise trickle in
   * at one per batch.
   */
  settle?: () => boolean;
  /** After each batch: its size and how long `run` took. */
  onBatch?: (size: number, ms: number) => void;
  /** When a request leaves the queue for a batch: how long it waited. */
  onDequeue?: (waitedMs: number) => void;
}

/** The queue is full: the client should retry later (HTTP 429). */
export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`the request queue is full (${limit} waiting); retry later`);
  }
}

/** A request waited longer than the queue timeout (HTTP 503). */
export class QueueTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the request waited ${timeoutMs} ms in the queue without being decoded; retry later`);
  }
}

/** The server is shutting down and takes no new work (HTTP 503). */
export class DrainingError extends Error {
  constructor() {
    super("the server is shutting down and accepts no new requests");
  }
}

interface Pending<Q, R> {
  query: Q;
  enqueuedAt: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
  signal?: AbortSignal;
}

export class DynamicBatcher<Q, R> {
  private readonly queue: Pending<Q, R>[] = [];
  private scheduled: { cancel: () => void } | null = null;
  private running = false;
  private draining = false;
  private drained: (() => void)[] = [];
  private settleTurns = 0;

  constructor(
    private readonly run: (batch: Q[]) => R[],
    readonly options: BatcherOptions,
    private readonly hooks: BatcherHooks = {},
  ) {
    for (const [name, min] of [
      ["maxBatchSize", 1],
      ["maxQueue", 1],
      ["maxWaitMs", 0],
      ["queueTimeoutMs", 0],
    ] as const) {
      const v = options[name];
      if (!Number.isInteger(v) || v < min)
        throw new RangeError(`batcher: ${name} must be an integer ≥ ${min}, got ${v}`);
    }
  }

  /** Requests waiting for a batch (not counting the one decoding now). */
  get depth(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.running;
  }

  /** Queues one request; resolves with its result once its batch has run. An aborted signal removes it from the queue. */
  submit(query: Q, signal?: AbortSignal): Promise<R> {
    if (this.draining) return Promise.reject(new DrainingError());
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(new QueueFullError(this.options.maxQueue));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<R>((resolve, reject) => {
      const p: Pending<Q, R> = { query, enqueuedAt: performance.now(), resolve, reject, signal };
      if (this.options.queueTimeoutMs > 0) {
        p.timer = setTimeout(
          () => this.remove(p, new QueueTimeoutError(this.options.queueTimeoutMs)),
          this.options.queueTimeoutMs,
        );
      }
      if (signal) {
        p.onAbort = () => this.remove(p, signal.reason);
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.queue.push(p);
      this.schedule();
    });
  }

  /** Stops taking requests; resolves once every queued and running request has been answered. */
  drain(): Promise<void> {
    this.draining = true;
    this.schedule(); // no more requests can join: start what is queued without waiting
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private idle(): boolean {
    return this.queue.length === 0 && !this.running;
  }

  private remove(p: Pending<Q, R>, reason: unknown): void {
    const at = this.queue.indexOf(p);
    if (at < 0) return; // already decoding or answered
    this.queue.splice(at, 1);
    this.release(p);
    p.reject(reason);
    if (this.queue.length === 0) this.unschedule();
    this.notifyDrained();
  }

  private release(p: Pending<Q, R>): void {
    if (p.timer) clearTimeout(p.timer);
    if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
  }

  /** Starts the next batch when it is full or its first request has waited maxWaitMs. */
  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const full = this.draining || this.queue.length >= this.options.maxBatchSize;
    const wait = full ? 0 : Math.max(0, this.queue[0]!.enqueuedAt + this.options.maxWaitMs - performance.now());
    if (this.scheduled && !(full && this.scheduled instanceof DelayedStart)) return;
    this.unschedule();
    this.scheduled =
      wait > 0 ? new DelayedStart(() => this.runBatch(), wait) : new ImmediateStart(() => this.runBatch());
  }

  private unschedule(): void {
    this.scheduled?.cancel();
    this.scheduled = null;
  }

  private runBatch(): void {
    this.scheduled = null;
    if (this.settleTurns < MAX_SETTLE_TURNS && this.hooks.settle?.()) {
      this.settleTurns++;
      this.scheduled = new ImmediateStart(() => this.runBatch());
      return;
    }
    this.settleTurns = 0;
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    if (batch.length === 0) return;
    const now = performance.now();
    for (const p of batch) {
      this.release(p);
      this.hooks.onDequeue?.(now - p.enqueuedAt);
    }
    this.running = true;
    try {
      const results = this.run(batch.map((p) => p.query));
      if (results.length !== batch.length)
        throw new Error(`batch of ${batch.length} requests returned ${results.length} results`);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      // A failure of the model fails this batch's requests, not the server.
      for (const p of batch) p.reject(err);
    } finally {
      this.running = false;
      this.hooks.onBatch?.(batch.length, performance.now() - now);
    }
    this.schedule();
    this.notifyDrained();
  }

  private notifyDrained(): void {
    if (!this.draining || !this.idle()) return;
    for (const resolve of this.drained.splice(0)) resolve();
  }
}

/** A batch started by a timer after the first request's remaining wait. */
class DelayedStart {
  private readonly timer: NodeJS.Timeout;
  constructor(start: () => void, ms: number) {
    this.timer = setTimeout(start, ms);
  }
  cancel(): void {
    clearTimeout(this.timer);
  }
}

/** A batch started on the next turn of the event loop, after pending I/O was polled. */
class ImmediateStart {
  private readonly handle: NodeJS.Immediate;
  constructor(start: () => void) {
    this.handle = setImmediate(start);
  }
  cancel(): void {
    clearImmediate(this.handle);
  }
}
