import { test } from "node:test";
import assert from "node:assert/strict";
import { fittedWarmup } from "../../src/train/trainer.js";

test("warm-up: kept when it fits in half the run, else clamped to 10 % of the run with a note", () => {
  assert.deepEqual(fittedWarmup(20, 100), { steps: 20 });
  assert.deepEqual(fittedWarmup(50, 100), { steps: 50 });
  assert.deepEqual(fittedWarmup(0, 3), { steps: 0 });
  const cds = fittedWarmup(200, 173); // the reference's RL warm-up on a CDs run
  assert.equal(cds.steps, 17);
  assert.match(cds.note!, /warm-up of 200 steps is more than half of this 173-step run: using 17/);
  assert.equal(fittedWarmup(51, 100).steps, 10);
  assert.equal(fittedWarmup(20, 4).steps, 0);
});
