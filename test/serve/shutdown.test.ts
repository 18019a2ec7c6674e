/**
 * Graceful shutdown of a real server process: SIGTERM while requests are queued. Every request
 * already received is decoded and answered, new ones are refused, and the process exits 0.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot, tempDir } from "../helpers.js";
import { postRecommend, request, tinyModel } from "../support/serve-fixture.js";

const SERVE_CHILD = join(repoRoot, "dist", "test", "support", "serve-child.js");

test("SIGTERM drains the queued requests, refuses new ones, and exits 0", async () => {
  const model = await tinyModel();
  const dir = tempDir("serve-model");
  await model.rec.save(dir);
  const users = model.source.splits.test.slice(0, 5);
  model.rec.dispose();

  // A one-minute batching wait: the requests are still queued when SIGTERM arrives.
  const child = spawn(process.execPath, [SERVE_CHILD, dir, JSON.stringify({ maxBatchSize: 8, maxWaitMs: 60_000 })]);
  let stderr = "";
  const listening = new Promise<string>((resolve) =>
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) resolve(url);
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = await Promise.race([listening, exited.then(() => assert.fail(`server exited early:\n${stderr}`))]);

  const queued = users.map((u) => postRecommend(url, { history: u.history.map((i) => i.id), k: 3 }));
  while ((await request(`${url}/healthz`)).body.queue.depth < users.length) await new Promise((r) => setTimeout(r, 20));
  child.kill("SIGTERM");
  // Sent after the signal: refused (503 while draining, or no connection once closed), never decoded.
  const late = postRecommend(url, { history: [users[0]!.history[0]!.id] }).then(
    (a) => a.status,
    (e: NodeJS.ErrnoException) => e.code,
  );

  const answers = await Promise.all(queued);
  for (const answer of answers) {
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.items.length, 3);
  }
  assert.ok([503, "ECONNREFUSED", "ECONNRESET"].includes((await late)!), `late request: ${await late}`);
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /SIGTERM: new requests get 503/);
  assert.match(stderr, /drained and closed/);
  await assert.rejects(request(`${url}/healthz`), /ECONNREFUSED/);
});
