/**
 * A worker of collectives.test.ts, started by the launcher with torchrun's variables. Each rank
 * contributes values that depend on its rank and reports what the collectives returned; the test
 * compares them with sums written out by hand.
 */
import { tensor, zeros } from "../../src/engine/index.js";
import { DataParallel, distributedEnv, ProcessGroup } from "../../src/distributed/index.js";
import { report } from "../support/launch-workers.js";

const env = distributedEnv();
if (!env) throw new Error("collectives-child: run me under the launcher (WORLD_SIZE unset)");
const r = env.rank;
const scenario = process.argv[2] ?? "collectives";

if (scenario === "collectives") {
  const group = new ProcessGroup(env, { backend: "gloo" });

  const t = tensor([1, 2, 3]).mul(r + 1);
  const u = tensor(
    [
      [10, 20],
      [30, 40],
    ],
    { dtype: "f64" },
  ).mul(r + 1);
  group.allReduceSum([t, u]);

  // p1 gets a gradient on every rank, p2 on ranks > 0 only, p3 on none.
  const p1 = zeros([2]).setRequiresGrad().keep();
  const p2 = zeros([3]).setRequiresGrad().keep();
  const p3 = zeros([1]).setRequiresGrad().keep();
  let loss = p1.mul(r + 1).sum();
  if (r > 0) loss = loss.add(p2.mul(r).sum());
  loss.backward();
  group.allReduceGradients([p1, p2, p3]);

  const b = tensor([r + 5]);
  group.broadcast([b], 1);

  report({
    allReduce: { t: t.toList(), u: u.toList(), uDtype: u.dtype },
    grads: { p1: p1.grad?.toList() ?? null, p2: p2.grad?.toList() ?? null, p3: p3.grad?.toList() ?? null },
    broadcast: b.toList(),
    sumNumbers: group.sumNumbers([r, 1, 0.5]),
    allGatherNumbers: group.allGatherNumbers(Array.from({ length: r + 1 }, () => r + 0.25)),
    allGatherEmpty: group.allGatherNumbers(r === 0 ? [] : [r]),
    allGatherJson: group.allGatherJson({ rank: r, text: `ünï ${r}` }),
  });
  group.barrier();
  group.destroy();
} else if (scenario === "shards") {
  const dp = DataParallel.fromEnv({ device: "cpu" });
  const batch = [0, 1, 2, 3, 4, 5, 6];
  const share = dp.shard(batch);
  let disagreement = "";
  try {
    dp.agree("the answer", r === 0 ? 42 : 41, "a hint");
  } catch (e) {
    disagreement = (e as Error).message;
  }
  dp.agree("the question", 1);
  report({
    disagreement,
    rank: dp.rank,
    worldSize: dp.worldSize,
    isRankZero: dp.isRankZero,
    share,
    gathered: dp.gatherShards(share.map((x) => Array.from({ length: x % 3 }, (_, j) => x * 10 + j))),
    gatheredJson: dp.gatherShardsJson(share.map((x) => ({ user: `u${x}` }))),
    sum: dp.sum([1, r]),
    rankZeroValue: dp.rankZeroValue(r + 7),
  });
  dp.close();
}
