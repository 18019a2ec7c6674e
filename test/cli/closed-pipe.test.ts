/**
 * `latentr3 … | head`: a reader that closes the pipe before the CLI has written ends the CLI quietly
 * with 141 (SIGPIPE's status), not with an unhandled EPIPE stack trace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CLI_MAIN } from "../support/cli-process.js";

test("stdout closed by its reader: exit 141 without a stack trace", async () => {
  const child = spawn(process.execPath, [CLI_MAIN, "compare", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  // Closed before the CLI has loaded, so its first write finds no reader.
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on("close", (c, s) => resolve([c, s])),
  );
  assert.equal(signal, null);
  assert.equal(code, 141, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled|at /);
});
