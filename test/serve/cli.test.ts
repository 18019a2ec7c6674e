/**
 * `latentr3 serve` as a real process: graceful shutdown (SIGTERM while requests are queued: every
 * request already received is decoded and answered, new ones are refused, the process exits 0),
 * and usage errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { tempDir } from "../helpers.js";
import { runCli, CLI_MAIN } from "../support/cli-process.js";
import { postRecommend, request, tinyModel, TINY_DECODE } from "../support/serve-fixture.js";

/** The small synthetic dataset of the tiny model (test/support/tiny-recommender.ts). */
const SMALL_DATA = ["--synth-users", "60", "--synth-items", "60"];

test("SIGTERM drains the queued requests, refuses new ones, and exits 0", async () => {
  const model = await tinyModel();
  const dir = tempDir("serve-model");
  await model.rec.save(dir);
  const users = model.source.splits.test.slice(0, 5);
  model.rec.dispose();

  // A one-minute batching wait: the requests are still queued when SIGTERM arrives.
  const child = spawn(process.execPath, [
    CLI_MAIN,
    "serve",
    "--model",
    dir,
    ...SMALL_DATA,
    "--port",
    "0",
    "--max-new-tokens",
    String(TINY_DECODE.maxNewTokens),
    "--max-wait-ms",
    "60000",
  ]);
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

test("usage errors name the option and what was expected", async () => {
  const lp = await runCli(["serve", "--model", "popularity", ...SMALL_DATA, "--length-penalty", "0.5"]);
  assert.equal(lp.code, 2);
  assert.match(lp.stderr, /--length-penalty must be 0 or 1 \(1 = BIGRec, 0 = D3\), got 0\.5/);
  const folder = await runCli(["serve", "--model", "/nonexistent/model"]);
  assert.equal(folder.code, 2);
  assert.match(folder.stderr, /--model \/nonexistent\/model: /);
  const port = await runCli(["serve", "--model", "popularity", "--port", "70000"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port must be ≥ 0 and < 65536, got 70000/);
});
