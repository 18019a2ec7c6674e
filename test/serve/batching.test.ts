/**
 * Dynamic batching through the real HTTP server: concurrent requests are decoded together, and each
 * gets the answer it gets alone; the queue is bounded (429) and timed (503); the event loop answers
 * /healthz between batches.
 *
 * "The answer it gets alone" means the same items in the same order and the same scores up to float
 * noise (≤ 1e-5 here): OpenBLAS's sgemm rounds a row of a product differently depending on how many
 * rows the product has, so a beam's log-probabilities in a batch of 8 requests differ from those in a
 * batch of one in the last bits (docs/serve.md, "Batched = alone"). Requests alone on the server are
 * bit-identical to the evaluator's decoding (api.test.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { recommend } from "../../src/decode/recommend.js";
import {
  fakeRecommender,
  generativeServer,
  listen,
  postRecommend,
  request,
  tinyModel,
  TINY_DECODE,
  type TinyModel,
} from "../support/serve-fixture.js";
import { repoRoot } from "../support/helpers.js";

const POST_BURST = join(repoRoot, "dist", "test", "support", "post-burst.js");

let model: TinyModel;
before(async () => {
  model = await tinyModel();
});
after(() => model.rec.dispose());

interface Served {
  item_id: number;
  title: string;
  score: number;
}

function assertSameAnswer(batched: Served[], alone: { titles: string[]; scores: number[] }, what: string): void {
  assert.deepEqual(
    batched.map((i) => i.title),
    alone.titles.map((t) => model.catalogue.itemForTitle(t)!.title),
    what,
  );
  batched.forEach((item, rank) => {
    const diff = Math.abs(item.score - alone.scores[rank]!);
    assert.ok(diff <= 1e-5, `${what}, rank ${rank}: score ${item.score} vs ${alone.scores[rank]} alone`);
  });
}

test("concurrent requests are decoded in one batch and each gets its answer alone (mixed length penalties)", async () => {
  const users = model.source.splits.test.slice(0, 8);
  const penalties = users.map((_, i) => i % 2); // two searches in the batch: lp 0 and lp 1
  // A long wait: all eight requests are queued before the batch starts.
  const { app, url } = await generativeServer(model, { maxBatchSize: 8, maxWaitMs: 2_000 });
  try {
    const answers = await Promise.all(
      users.map((u, i) => postRecommend(url, { history: u.history.map((h) => h.id), lengthPenalty: penalties[i] })),
    );
    const metrics = (await request(`${url}/metrics`)).text;
    assert.match(metrics, /^latentr3_batch_size_count 1$/m, "one batch");
    assert.match(metrics, /^latentr3_batch_size_sum 8$/m, "of eight requests");
    users.forEach((u, i) => {
      assert.equal(answers[i]!.status, 200, answers[i]!.text);
      const alone = recommend(model.rec, model.trie, [u], {
        ...TINY_DECODE,
        lengthPenalty: penalties[i]!,
        batchSize: 1,
      });
      assertSameAnswer(answers[i]!.body.items, { titles: alone.titles[0]!, scores: alone.scores[0]! }, `user ${i}`);
    });
  } finally {
    await app.close();
  }
});

test("the same requests through a server without batching (max batch 1) get the same answers", async () => {
  const users = model.source.splits.test.slice(8, 14);
  const batchedServer = await generativeServer(model, { maxBatchSize: 8, maxWaitMs: 2_000 });
  const aloneServer = await generativeServer(model, { maxBatchSize: 1 });
  try {
    const send = (url: string) =>
      Promise.all(users.map((u) => postRecommend(url, { history: u.history.map((h) => h.title) })));
    const [batched, alone] = [await send(batchedServer.url), await send(aloneServer.url)];
    assert.match((await request(`${aloneServer.url}/metrics`)).text, /^latentr3_batch_size_count 6$/m);
    users.forEach((_, i) => {
      const one: Served[] = alone[i]!.body.items;
      assertSameAnswer(
        batched[i]!.body.items,
        { titles: one.map((x) => x.title), scores: one.map((x) => x.score) },
        `user ${i}`,
      );
    });
  } finally {
    await batchedServer.app.close();
    await aloneServer.app.close();
  }
});

test("a full queue answers 429 with Retry-After; requests past the queue timeout get 503", async () => {
  const fake = fakeRecommender(model.catalogue, model.source.items, 0);
  // Nothing decodes for a minute: two requests fill the queue, and time out after 300 ms.
  const { app, url } = await listen(fake.kind, model.catalogue, {
    maxBatchSize: 8,
    maxWaitMs: 60_000,
    maxQueue: 2,
    queueTimeoutMs: 300,
  });
  try {
    const queued = [postRecommend(url, { history: [0] }), postRecommend(url, { history: [1] })];
    await waitFor(async () => (await request(`${url}/healthz`)).body.queue.depth === 2);
    const refused = await postRecommend(url, { history: [2] });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers["retry-after"], "1");
    assert.match(refused.body.message, /queue is full \(2 waiting\)/);
    for (const answer of await Promise.all(queued)) {
      assert.equal(answer.status, 503);
      assert.match(answer.body.message, /waited 300 ms in the queue/);
    }
    assert.deepEqual(fake.batches, []);
    const metrics = (await request(`${url}/metrics`)).text;
    assert.match(metrics, /status="429"\} 1$/m);
    assert.match(metrics, /status="503"\} 2$/m);
  } finally {
    await app.close();
  }
});

test("between batches the event loop answers /healthz while requests are still queued", async () => {
  const fake = fakeRecommender(model.catalogue, model.source.items, 100);
  const { app, url } = await listen(fake.kind, model.catalogue, { maxBatchSize: 1, maxWaitMs: 0 });
  try {
    const count = 20; // two seconds of decoding, one request at a time
    const burst = spawn(process.execPath, [POST_BURST, url, String(count), JSON.stringify({ history: [0], k: 2 })]);
    let stdout = "";
    burst.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => burst.on("close", resolve));
    let running = true;
    void exited.then(() => (running = false));
    const depths: number[] = [];
    while (running) {
      const health = await request(`${url}/healthz`);
      assert.equal(health.status, 200);
      depths.push(health.body.queue.depth);
    }
    assert.equal(await exited, 0);
    assert.deepEqual(JSON.parse(stdout), new Array(count).fill(200));
    assert.deepEqual(fake.batches, new Array(count).fill(1));
    // /healthz was answered in the gaps between batches, with requests waiting in the queue.
    assert.ok(Math.max(...depths) > 0, `queue depths seen by /healthz: ${depths.join(", ")}`);
  } finally {
    await app.close();
  }
});

/**
 * A client in a worker thread (its own event loop): opens `count` connections, sends one request on
 * each, counts the requests flushed to the OS in `flag[0]`, and posts the status codes back.
 */
const BURST_WORKER = `
const { request } = require("node:http");
const { workerData, parentPort } = require("node:worker_threads");
const { url, count, flag } = workerData;
const body = JSON.stringify({ history: [0], k: 1 });
Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
  const req = request(url + "/v1/recommend", { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (res) => {
    res.resume();
    res.on("end", () => resolve(res.statusCode));
  });
  req.on("error", reject);
  req.on("finish", () => { Atomics.add(flag, 0, 1); Atomics.notify(flag, 0); });
  req.end(body);
}))).then((statuses) => parentPort.postMessage(statuses));
`;

test("a burst of new connections that arrives while a batch blocks the loop is let in before the next batch", async () => {
  const fake = fakeRecommender(model.catalogue, model.source.items, 50);
  const { app, url } = await listen(fake.kind, model.catalogue, { maxBatchSize: 8, maxWaitMs: 0 });
  try {
    const count = 20;
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(BURST_WORKER, { eval: true, workerData: { url, count, flag } });
    const statuses = new Promise<number[]>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    // Block the server's event loop, as a long batch would, until every request is on the wire: the
    // connections wait in the kernel's accept queue.
    for (let sent = 0; sent < count; sent = Atomics.load(flag, 0)) Atomics.wait(flag, 0, sent, 1000);
    assert.deepEqual(await statuses, new Array(count).fill(200));
    await worker.terminate();
    // libuv accepts one connection per turn of the loop: without letting the loop turn until the burst
    // is in, the 20 requests would trickle into 20 batches of one.
    assert.equal(
      fake.batches.reduce((a, b) => a + b, 0),
      count,
    );
    assert.ok(fake.batches.length <= Math.ceil(count / 8) + 1, `batches ${fake.batches.join(", ")}`);
  } finally {
    await app.close();
  }
});

test("closing the server answers the queued requests first, in one batch without waiting", async () => {
  const fake = fakeRecommender(model.catalogue, model.source.items, 20);
  // A one-minute wait: only closing starts this batch.
  const { app, url } = await listen(fake.kind, model.catalogue, { maxBatchSize: 8, maxWaitMs: 60_000 });
  const queued = [0, 1, 2].map((i) => postRecommend(url, { history: [i], k: 1 }));
  await waitFor(async () => (await request(`${url}/healthz`)).body.queue.depth === 3);
  const closed = app.close();
  const answers = await Promise.all(queued);
  await closed;
  for (const answer of answers) assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(fake.batches, [3]);
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 10));
}
