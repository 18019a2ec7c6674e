import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DrainingError,
  DynamicBatcher,
  MAX_SETTLE_TURNS,
  QueueFullError,
  QueueTimeoutError,
} from "../../src/serve/batcher.js";

const OPTS = { maxBatchSize: 4, maxWaitMs: 0, maxQueue: 100, queueTimeoutMs: 0 };

/** A batcher over `x → 10·x` that records every batch it ran. */
function recording(opts: Partial<typeof OPTS> = {}, work: (batch: number[]) => void = () => {}) {
  const batches: number[][] = [];
  const batcher = new DynamicBatcher<number, number>(
    (batch) => {
      batches.push(batch);
      work(batch);
      return batch.map((x) => 10 * x);
    },
    { ...OPTS, ...opts },
  );
  return { batcher, batches };
}

test("requests submitted in one turn are answered by batches of at most maxBatchSize, in order", async () => {
  const { batcher, batches } = recording();
  const results = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((x) => batcher.submit(x)));
  assert.deepEqual(results, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  assert.deepEqual(batches, [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [9, 10],
  ]);
});

test("maxBatchSize 1 decodes every request alone", async () => {
  const { batcher, batches } = recording({ maxBatchSize: 1 });
  await Promise.all([1, 2, 3].map((x) => batcher.submit(x)));
  assert.deepEqual(batches, [[1], [2], [3]]);
});

test("a request waits up to maxWaitMs for others to join its batch", async () => {
  const { batcher, batches } = recording({ maxWaitMs: 200 });
  const first = batcher.submit(1);
  await sleep(20); // later, but within the first request's wait
  const second = batcher.submit(2);
  assert.deepEqual(await Promise.all([first, second]), [10, 20]);
  assert.deepEqual(batches, [[1, 2]]);
});

test("a full batch starts without waiting for maxWaitMs", async () => {
  const { batcher, batches } = recording({ maxWaitMs: 60_000, maxBatchSize: 2 });
  // With a one-minute wait, only the full-batch rule can answer these two.
  assert.deepEqual(await Promise.all([batcher.submit(1), batcher.submit(2)]), [10, 20]);
  assert.deepEqual(batches, [[1, 2]]);
});

test("the event loop turns between batches: I/O and timers queued during a batch run before the next batch", async () => {
  const events: string[] = [];
  const { batcher } = recording({ maxBatchSize: 1 }, ([x]) => {
    events.push(`batch ${x}`);
    if (x === 1) {
      // Scheduled while batch 1 blocks the loop, as an HTTP request arriving meanwhile would be.
      setImmediate(() => events.push("immediate"));
      setTimeout(() => events.push("timer"), 0);
      const start = Date.now();
      while (Date.now() - start < 5); // let the timer expire while still blocked
    }
  });
  await Promise.all([1, 2].map((x) => batcher.submit(x)));
  await sleep(20);
  assert.deepEqual(events, ["batch 1", "timer", "immediate", "batch 2"]);
});

test("settle: while it answers true the loop turns again before the batch starts, at most MAX_SETTLE_TURNS times", async () => {
  let asked = 0;
  const batches: number[][] = [];
  const late = new DynamicBatcher<number, number>(
    (batch) => (batches.push(batch), batch),
    { ...OPTS, maxBatchSize: 8 },
    { settle: () => ++asked <= 3 },
  );
  const first = late.submit(1);
  setImmediate(() => void late.submit(2)); // arrives during the extra turns: joins the batch
  await first;
  assert.equal(asked, 4);
  assert.deepEqual(batches, [[1, 2]]);

  let forever = 0;
  const stubborn = new DynamicBatcher<number, number>((batch) => batch, OPTS, { settle: () => (forever++, true) });
  assert.equal(await stubborn.submit(7), 7); // still answered
  assert.equal(forever, MAX_SETTLE_TURNS);
});

test("a full queue refuses with QueueFullError; the queued requests are still answered", async () => {
  const { batcher } = recording({ maxQueue: 2, maxWaitMs: 50, maxBatchSize: 8 });
  const a = batcher.submit(1);
  const b = batcher.submit(2);
  await assert.rejects(
    batcher.submit(3),
    (e: unknown) => e instanceof QueueFullError && /queue is full \(2/.test(e.message),
  );
  assert.deepEqual(await Promise.all([a, b]), [10, 20]);
  assert.equal(await batcher.submit(4), 40); // room again
});

test("a request waiting longer than queueTimeoutMs is refused and never decoded", async () => {
  const { batcher, batches } = recording({ maxWaitMs: 10_000, maxBatchSize: 8, queueTimeoutMs: 30 });
  await assert.rejects(batcher.submit(1), QueueTimeoutError);
  assert.equal(batcher.depth, 0);
  assert.deepEqual(batches, []);
});

test("an aborted request leaves the queue; the others are decoded without it", async () => {
  const { batcher, batches } = recording({ maxWaitMs: 50, maxBatchSize: 8 });
  const abort = new AbortController();
  const gone = batcher.submit(1, abort.signal);
  const kept = batcher.submit(2);
  abort.abort(new Error("client left"));
  await assert.rejects(gone, /client left/);
  assert.equal(await kept, 20);
  assert.deepEqual(batches, [[2]]);
});

test("a failing batch rejects its own requests only", async () => {
  const batcher = new DynamicBatcher<number, number>(
    (batch) => {
      if (batch.includes(13)) throw new Error("unlucky batch");
      return batch.map((x) => x);
    },
    { ...OPTS, maxBatchSize: 2 },
  );
  const settled = await Promise.allSettled([12, 13, 14, 15].map((x) => batcher.submit(x)));
  assert.deepEqual(
    settled.map((s) => s.status),
    ["rejected", "rejected", "fulfilled", "fulfilled"],
  );
});

test("drain answers everything queued at once, then refuses new requests", async () => {
  // A one-minute wait: only draining can start these batches.
  const { batcher } = recording({ maxWaitMs: 60_000, maxBatchSize: 2 });
  const queued = [1, 2, 3].map((x) => batcher.submit(x));
  const drained = batcher.drain();
  await assert.rejects(batcher.submit(4), DrainingError);
  await drained;
  assert.deepEqual(await Promise.all(queued), [10, 20, 30]);
  assert.equal(batcher.depth, 0);
  await batcher.drain(); // idle: resolves at once
});

test("options are checked", () => {
  assert.throws(() => recording({ maxBatchSize: 0 }), /maxBatchSize must be an integer ≥ 1, got 0/);
  assert.throws(() => recording({ maxWaitMs: -1 }), /maxWaitMs must be an integer ≥ 0/);
});
