/** The addon never aborts the process: every native op survives malformed arguments (see abuse-child.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

test("every native op throws a named JS Error on malformed arguments instead of aborting", () => {
  const child = fileURLToPath(new URL("./abuse-child.js", import.meta.url));
  const run = spawnSync(process.execPath, [child], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 60_000 });
  const lastOp = run.stderr
    .trim()
    .split("\n")
    .filter((l) => /^\w+ #\d+$/.test(l))
    .pop();
  assert.equal(run.signal, null, `the child died by ${run.signal} during ${lastOp}`);
  assert.equal(run.status, 0, `the child exited with ${run.status} after ${lastOp}:\n${run.stderr.slice(-2000)}`);
  const { calls, problems } = JSON.parse(run.stdout.trim().split("\n").pop()!) as {
    calls: number;
    problems: string[];
  };
  assert.ok(calls > 3000, `only ${calls} calls were made`);
  assert.deepEqual(problems, []);
});
