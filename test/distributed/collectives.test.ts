/**
 * c10d collectives through the addon, on 2 and 3 CPU processes over Gloo on loopback: every result
 * is compared with the sum, gather or broadcast written out by hand for those world sizes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { collectiveBackends } from "../../src/engine/index.js";
import { launchWorkers } from "../support/launch-workers.js";

const child = new URL("./collectives-child.js", import.meta.url);
const skip = collectiveBackends().includes("gloo") ? false : "the addon was built without Gloo";

for (const world of [2, 3]) {
  test(`collectives on ${world} ranks match hand-computed sums`, { skip, timeout: 180_000 }, async () => {
    const run = await launchWorkers(child, world, ["collectives"]);
    assert.equal(run.exitCode, 0, run.stderr);
    const s = (world * (world + 1)) / 2; // Σ (r + 1)
    const sr = (world * (world - 1)) / 2; // Σ r
    for (let r = 0; r < world; r++) {
      const got = run.results[r]![0] as Record<string, Record<string, unknown> | unknown>;
      assert.deepEqual(got.allReduce, { t: [1 * s, 2 * s, 3 * s], u: [10 * s, 20 * s, 30 * s, 40 * s], uDtype: "f64" });
      // p2 had no gradient on rank 0 (joined with zeros); p3 had none anywhere (stays none).
      assert.deepEqual(got.grads, { p1: [s, s], p2: [sr, sr, sr], p3: null });
      assert.deepEqual(got.broadcast, [6]); // rank 1's 1 + 5
      assert.deepEqual(got.sumNumbers, [sr, world, world / 2]);
      assert.deepEqual(
        got.allGatherNumbers,
        Array.from({ length: world }, (_, q) => Array.from({ length: q + 1 }, () => q + 0.25)),
      );
      assert.deepEqual(got.allGatherEmpty, [[], ...Array.from({ length: world - 1 }, (_, q) => [q + 1])]);
      assert.deepEqual(
        got.allGatherJson,
        Array.from({ length: world }, (_, q) => ({ rank: q, text: `ünï ${q}` })),
      );
    }
  });

  test(
    `DataParallel on ${world} ranks: strided shares, gathered back in global order`,
    { skip, timeout: 180_000 },
    async () => {
      const run = await launchWorkers(child, world, ["shards"]);
      assert.equal(run.exitCode, 0, run.stderr);
      for (let r = 0; r < world; r++) {
        const got = run.results[r]![0] as {
          share: number[];
          gathered: number[];
          gatheredJson: unknown[];
          sum: number[];
        };
        assert.deepEqual(got, {
          rank: r,
          worldSize: world,
          isRankZero: r === 0,
          share: [0, 1, 2, 3, 4, 5, 6].filter((x) => x % world === r),
          gathered: [[], [10], [20, 21], [], [40], [50, 51], []],
          gatheredJson: [0, 1, 2, 3, 4, 5, 6].map((x) => ({ user: `u${x}` })),
          sum: [world, (world * (world - 1)) / 2],
          rankZeroValue: 7,
          disagreement: `ranks disagree on the answer (${Array.from({ length: world }, (_, q) => `rank ${q}: ${q === 0 ? 42 : 41}`).join(", ")}): a hint`,
        });
      }
    },
  );
}
