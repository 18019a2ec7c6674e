/**
 * Caser's convolutions survive signals. oneDNN's AVX-512 kernels corrupted the heap when a signal
 * landed mid-kernel on our AVX-512 VMs ("corrupted size vs. prev_size"; the CLI aborted in 3 of 3
 * profiled Caser runs); conv2d on CPU now runs ATen's im2col + GEMM kernel (docs/engine.md). On the
 * machines where the bug lives this child aborted within about a second before the fix; where it does
 * not, the test passes either way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

test("conv2d forward and backward run to the end under a 1 kHz SIGPROF (the V8 profiler)", () => {
  const child = fileURLToPath(new URL("./conv-signals-child.js", import.meta.url));
  const profiles = mkdtempSync(join(tmpdir(), "lr3-conv-prof-"));
  try {
    const run = spawnSync(
      process.execPath,
      ["--cpu-prof", "--cpu-prof-dir", profiles, "--cpu-prof-interval", "500", child, "150"],
      { encoding: "utf8", timeout: 300_000 },
    );
    assert.equal(run.signal, null, `the child died by ${run.signal}:\n${run.stderr.slice(-2000)}`);
    assert.equal(run.status, 0, run.stderr.slice(-2000));
    assert.deepEqual(JSON.parse(run.stdout.trim()), { steps: 150 });
  } finally {
    rmSync(profiles, { recursive: true, force: true });
  }
});
