/**
 * Distributed evaluation: with the test users split over 2 ranks and the rankings gathered back in
 * the users' order, every user's ranking and the report's metrics and popularity groups equal one
 * process's exactly, and rank 0 alone writes the report.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { collectiveBackends } from "../../src/engine/index.js";
import { tempFolder } from "../support/helpers.js";
import { launchWorkers } from "../support/launch-workers.js";

const child = new URL("./eval-child.js", import.meta.url);
const skip = collectiveBackends().includes("gloo") ? false : "the addon was built without Gloo";

test("2 ranks evaluate 13 users into the single process's report", { skip, timeout: 600_000 }, async () => {
  const { dir, cleanup } = tempFolder("distributed-eval");
  try {
    const one = await launchWorkers(child, 1, [join(dir, "one")]);
    const two = await launchWorkers(child, 2, [join(dir, "two")]);
    assert.equal(one.exitCode, 0, one.stderr);
    assert.equal(two.exitCode, 0, two.stderr);
    const [a, b] = [one.results[0]![0], two.results[0]![0]] as {
      metrics: Record<string, number>;
      groups: unknown;
      notes: string[];
      titles: string[][];
    }[];
    // Users get different rankings, so a misaligned gather would show.
    assert.equal(a!.titles.length, 13);
    assert.ok(new Set(a!.titles.map((t) => t.join("|"))).size > 1, "rankings differ between users");
    assert.deepEqual(b!.titles, a!.titles);
    assert.deepEqual(b!.metrics, a!.metrics);
    assert.deepEqual(b!.groups, a!.groups);
    assert.ok(b!.notes.some((n) => n.startsWith("decoded by 2 ranks in parallel")));
    assert.deepEqual(two.results[1], [{ ...b, notes: b!.notes }], "rank 1 computed the same report");
    assert.ok(existsSync(join(dir, "two", "report.json")));
  } finally {
    cleanup();
  }
});
