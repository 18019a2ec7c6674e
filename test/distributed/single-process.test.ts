/**
 * Without a launcher, DataParallel is the identity: one rank owns every example, collectives return
 * their inputs, and gradients are left as they are (the single-process trainers do no extra work).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { collectiveBackends, tensor } from "../../src/engine/index.js";
import { chooseBackend, DataParallel } from "../../src/distributed/index.js";

test("no WORLD_SIZE, or a world of 1: a single process", () => {
  for (const dp of [
    DataParallel.fromEnv({ device: "cpu" }, undefined),
    DataParallel.join({ device: "cpu" }, undefined),
    DataParallel.fromEnv(
      { device: "cuda" },
      { rank: 0, localRank: 0, worldSize: 1, localWorldSize: 1, masterAddr: "x", masterPort: 1 },
    ),
  ]) {
    assert.equal(dp.isDistributed, false);
    assert.equal(dp.isRankZero, true);
    assert.deepEqual(dp.shard([1, 2, 3]), [1, 2, 3]);
    assert.deepEqual(dp.gatherShards([[1], [2, 3]]), [[1], [2, 3]]);
    assert.deepEqual(dp.gatherShardsJson([{ a: 1 }]), [{ a: 1 }]);
    assert.deepEqual(dp.sum([1.5, 2]), [1.5, 2]);
    assert.deepEqual(dp.allGather([4]), [[4]]);
    assert.equal(dp.rankZeroValue(7), 7);
    assert.equal(
      dp.onRankZero(() => "ran"),
      "ran",
    );
    dp.agree("anything", 3);
  }
  // A single process keeps the device it was asked for (no LOCAL_RANK to map cuda to).
  assert.equal(DataParallel.join({ device: "cuda:1" }, undefined).device, "cuda:1");
});

test("syncGradients in a single process leaves the gradient untouched", () => {
  const p = tensor([1, 2]).setRequiresGrad();
  p.mul(3).sum().backward();
  DataParallel.single().syncGradients([p]);
  assert.deepEqual(p.grad!.toList(), [3, 3]);
});

test("backend choice: gloo on CPU by default; an unknown or unbuilt backend is refused by name", () => {
  assert.equal(chooseBackend("cpu"), "gloo");
  assert.throws(() => chooseBackend("cpu", "mpi"), /--backend mpi: expected gloo or nccl/);
  if (!collectiveBackends().includes("nccl")) {
    assert.throws(
      () => chooseBackend("cuda:0"),
      /distributed backend nccl is not available in this build \(available: [^)]*\)/,
    );
  }
});
