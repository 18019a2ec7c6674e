/**
 * Native kernels survive signals. Caser's convolutions: oneDNN's AVX-512 kernels corrupted the heap when a signal
 * landed mid-kernel on our AVX-512 VMs ("corrupted size vs. prev_size"; the CLI aborted in 3 of 3
 * profiled Caser runs); conv2d on CPU now runs ATen's im2col + GEMM kernel (docs/engine.md). On the
 * machines where the bug lives this child aborted within about a second before the fix; where it does
 * not, the test passes either way. bf16 matmuls on CPU still use oneDNN; they are checked the same way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

for (const [kernel, what] of [
  ["conv", "conv2d"],
  ["bf16-matmul", "bf16 matmul"],
] as const) {
  test(`${what} forward and backward run to the end under a 2 kHz SIGPROF (the V8 profiler)`, () => {
    const child = fileURLToPath(new URL("./kernel-signals-child.js", import.meta.url));
    const profiles = mkdtempSync(join(tmpdir(), "lr3-kernel-prof-"));
    try {
      const run = spawnSync(
        process.execPath,
        ["--cpu-prof", "--cpu-prof-dir", profiles, "--cpu-prof-interval", "500", child, kernel, "150"],
        { encoding: "utf8", timeout: 300_000 },
      );
      assert.equal(run.signal, null, `the child died by ${run.signal}:\n${run.stderr.slice(-2000)}`);
      assert.equal(run.status, 0, run.stderr.slice(-2000));
      assert.deepEqual(JSON.parse(run.stdout.trim()), { kernel, steps: 150 });
    } finally {
      rmSync(profiles, { recursive: true, force: true });
    }
  });
}
