/**
 * `latentr3 serve` as a real process: graceful shutdown (SIGTERM while requests are queued: every
 * request already received is decoded and answered, new ones are refused, the process exits 0),
 * usage errors, and --help derived from the config tables.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { tempDir } from "../support/helpers.js";
import { runCli, CLI_MAIN } from "../support/cli-process.js";
import { postRecommend, request, tinyModel, TINY_DECODE } from "../support/serve-fixture.js";
import { commandOptions } from "../../src/cli/command.js";
import { serveCommand } from "../../src/cli/serve.js";
import { DATA_SOURCE_CONFIG } from "../../src/data/data-source.js";
import { DEVICE_CONFIG } from "../../src/engine/index.js";
import { SERVE_DECODING } from "../../src/serve/load.js";
import { SERVE_CONFIG } from "../../src/serve/run.js";
import { SERVE_LIMITS } from "../../src/serve/server.js";
import type { SettingsTable } from "../../src/util/config-table.js";

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
  let signalled: () => void = () => {};
  const draining = new Promise<void>((resolve) => (signalled = resolve));
  const listening = new Promise<string>((resolve) =>
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) resolve(url);
      if (/SIGTERM: new requests get 503/.test(stderr)) signalled();
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = await Promise.race([listening, exited.then(() => assert.fail(`server exited early:\n${stderr}`))]);

  const queued = users.map((u) => postRecommend(url, { history: u.history.map((i) => i.id), k: 3 }));
  while ((await request(`${url}/healthz`)).body.queue.depth < users.length) await new Promise((r) => setTimeout(r, 20));
  child.kill("SIGTERM");
  // Sent once the server has taken the signal (on a loaded machine a request sent right after kill()
  // can still arrive first): refused (503 while draining, or no connection once closed), never decoded.
  await draining;
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

test("--help lists every option of the serve, decoding, data and device tables", async () => {
  const r = await runCli(["serve", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: latentr3 serve/);
  const flags = commandOptions(serveCommand).map((o) => o.flag);
  const tables: SettingsTable[] = [SERVE_CONFIG, SERVE_LIMITS, SERVE_DECODING, DATA_SOURCE_CONFIG, DEVICE_CONFIG];
  for (const table of tables) {
    for (const key of table.keys())
      assert.ok(flags.includes(table.flagOf(key)), `--${table.flagOf(key)} of ${table.name}`);
  }
  for (const flag of flags) assert.match(r.stdout, new RegExp(`^  --${flag}\\b`, "m"), `serve --help: --${flag}`);
  // Help derived from the tables: defaults and bounds are shown, not restated.
  assert.match(
    r.stdout.replace(/\s+/g, " "), // help lines wrap at 120 columns
    /--max-batch-size <int> requests decoded together at most \(1 = no batching\) \(default: 8; ≥ 1\)/,
  );
});
