/** torchrun's environment variables, as workers read them and as the launcher writes them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { distributedEnv, workerEnv } from "../../src/distributed/env.js";

test("no WORLD_SIZE: a single process", () => {
  assert.equal(distributedEnv({}), undefined);
});

test("torchrun's variables are read, with torchrun's defaults for the optional ones", () => {
  assert.deepEqual(
    distributedEnv({
      WORLD_SIZE: "4",
      RANK: "3",
      LOCAL_RANK: "1",
      LOCAL_WORLD_SIZE: "2",
      MASTER_ADDR: "node0",
      MASTER_PORT: "1234",
    }),
    {
      rank: 3,
      localRank: 1,
      worldSize: 4,
      localWorldSize: 2,
      masterAddr: "node0",
      masterPort: 1234,
    },
  );
  assert.deepEqual(distributedEnv({ WORLD_SIZE: "2", RANK: "1" }), {
    rank: 1,
    localRank: 1,
    worldSize: 2,
    localWorldSize: 2,
    masterAddr: "127.0.0.1",
    masterPort: 29500,
  });
});

test("bad values name the variable and what was expected", () => {
  assert.throws(() => distributedEnv({ WORLD_SIZE: "2" }), /RANK is not set \(expected an integer\)/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: "2", RANK: "2" }), /RANK="2" is not an integer in \[0, 1\]/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: "two", RANK: "0" }), /WORLD_SIZE="two" is not an integer >= 1/);
  assert.throws(() => distributedEnv({ WORLD_SIZE: "2", RANK: "0", MASTER_PORT: "70000" }), /MASTER_PORT="70000"/);
});

test("the launcher's variables for node 1's second worker of 2 nodes × 3 workers", () => {
  const vars = workerEnv({
    nodeRank: 1,
    localRank: 1,
    nprocPerNode: 3,
    nnodes: 2,
    masterAddr: "10.0.0.1",
    masterPort: 29501,
  });
  assert.deepEqual(vars, {
    RANK: "4",
    LOCAL_RANK: "1",
    WORLD_SIZE: "6",
    LOCAL_WORLD_SIZE: "3",
    GROUP_RANK: "1",
    MASTER_ADDR: "10.0.0.1",
    MASTER_PORT: "29501",
  });
  assert.deepEqual(distributedEnv(vars), {
    rank: 4,
    localRank: 1,
    worldSize: 6,
    localWorldSize: 3,
    masterAddr: "10.0.0.1",
    masterPort: 29501,
  });
});
