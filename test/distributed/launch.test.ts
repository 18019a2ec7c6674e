/**
 * The launcher: workers get torchrun's variables and rank-prefixed output; when one rank throws, is
 * killed, or hangs, the job ends non-zero with that rank named and its message, instead of hanging
 * (dead peers are seen at once; a silent one after the collective timeout, 3 s here).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { collectiveBackends } from "../../src/engine/index.js";
import { launch } from "../../src/pipeline/launch.js";
import { freePort, launchWorkers } from "../support/launch-workers.js";

const child = new URL("./launch-child.js", import.meta.url);
const skip = collectiveBackends().includes("gloo") ? false : "the addon was built without Gloo";
// A hang guard for the test runner, not a performance check.
const guard = { skip, timeout: 240_000 };

test("a healthy job: every rank runs to the end, output prefixed by rank, exit 0", guard, async () => {
  const run = await launchWorkers(child, 3, ["ok"]);
  assert.equal(run.exitCode, 0, run.stderr);
  for (let r = 0; r < 3; r++) {
    assert.match(run.stdout, new RegExp(`^\\[rank ${r}\\] hello from rank ${r} of 3$`, "m"));
    assert.match(run.stdout, new RegExp(`^\\[rank ${r}\\] rank ${r} done$`, "m"));
  }
  assert.deepEqual(
    run.workers.map((w) => [w.rank, w.code]),
    [
      [0, 0],
      [1, 0],
      [2, 0],
    ],
  );
});

test("a rank that throws fails the job with its own message, prefixed by its rank", guard, async () => {
  const run = await launchWorkers(child, 2, ["throw"]);
  assert.equal(run.exitCode, 1);
  assert.equal(run.failure?.rank, 1);
  assert.match(run.failure!.message, /^rank 1 exited with code 1/);
  assert.match(run.failure!.message, /\[rank 1\] Error: deliberate failure in rank 1/);
});

test("a killed rank makes the job exit non-zero naming that rank; the survivor does not hang", guard, async () => {
  const run = await launchWorkers(child, 3, ["kill"]);
  assert.notEqual(run.exitCode, 0);
  assert.equal(run.failure?.rank, 2);
  assert.match(run.failure!.message, /^rank 2 was killed by SIGKILL/);
  // The survivors saw the dead peer in their next collective (or were stopped by the launcher).
  assert.ok(run.workers.every((w) => w.code !== 0));
});

test("a silent rank: its peer's collective times out with the op and rank named", guard, async () => {
  const run = await launchWorkers(child, 2, ["hang"], { LATENTR3_DIST_TIMEOUT: "3" });
  assert.equal(run.exitCode, 1);
  assert.equal(run.failure?.rank, 0);
  assert.match(run.failure!.message, /all_reduce failed on rank 0 of 2 \(gloo, timeout 3000 ms\): .*Timed out/);
  assert.equal(run.workers[1]!.signal, "SIGTERM"); // the silent rank was stopped by the launcher
});

test("bad launcher options are refused before anything starts", async () => {
  await assert.rejects(
    () => launch({ nprocPerNode: 0, command: ["x"] }),
    /--nproc must be an integer in \[1, ∞\], got 0/,
  );
  await assert.rejects(
    () => launch({ nprocPerNode: 1, nnodes: 2, nodeRank: 2, command: ["x"] }),
    /--node-rank must be an integer in \[0, 1\], got 2/,
  );
  await assert.rejects(() => launch({ nprocPerNode: 1, command: [] }), /no worker command given/);
});

test("SIGTERM to the launcher reaches every worker, and the job exits 143", guard, async () => {
  const launcher = spawn(
    process.execPath,
    [fileURLToPath(new URL("./launcher-process.js", import.meta.url)), String(await freePort()), "wait"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const waiting = new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if ((output.match(/waiting$/gm) ?? []).length === 2) resolve();
    };
    launcher.stdout.on("data", onData);
    launcher.stderr.on("data", onData);
  });
  const exited = new Promise<number | null>((resolve) => launcher.on("close", (code) => resolve(code)));
  await waiting;
  launcher.kill("SIGTERM");
  assert.equal(await exited, 143, output);
  assert.match(output, /launch: SIGTERM received, stopping 2 worker\(s\)/);
  assert.match(output, /^\[rank 0\] rank 0 got SIGTERM$/m);
  assert.match(output, /^\[rank 1\] rank 1 got SIGTERM$/m);
});
