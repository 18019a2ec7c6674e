/** Learning-rate schedules at hand-computed points, and driving an optimizer with one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { constant, cosineWithWarmup, linearWithWarmup, sgd, tensor } from "../../src/engine/index.js";
import { assertClose } from "../support/assert-close.js";

test("linear warm-up then linear decay to 0", () => {
  const f = linearWithWarmup({ warmupSteps: 10, totalSteps: 110 });
  const steps = [0, 1, 5, 10, 35, 60, 109, 110, 200];
  assertClose(steps.map(f), [0, 0.1, 0.5, 1, 0.75, 0.5, 0.01, 0, 0], { atol: 1e-12 });
  // No warm-up: starts at 1.
  assert.equal(linearWithWarmup({ warmupSteps: 0, totalSteps: 4 })(0), 1);
  assert.equal(linearWithWarmup({ warmupSteps: 0, totalSteps: 4 })(3), 0.25);
});

test("cosine warm-up then half a cosine down to minRatio", () => {
  const f = cosineWithWarmup({ warmupSteps: 10, totalSteps: 110 });
  const steps = [0, 5, 10, 35, 60, 85, 110, 500];
  // progress p = (step − 10)/100: 0.5·(1 + cos πp).
  const expected = [0, 0.5, 1, 0.5 * (1 + Math.SQRT1_2), 0.5, 0.5 * (1 - Math.SQRT1_2), 0, 0];
  assertClose(steps.map(f), expected, { atol: 1e-12 });
  const g = cosineWithWarmup({ warmupSteps: 0, totalSteps: 100, minRatio: 0.1 });
  assertClose([0, 50, 100, 150].map(g), [1, 0.55, 0.1, 0.1], { atol: 1e-12 });
  assert.equal(constant()(12345), 1);
});

test("scaleLr(schedule(step)) drives every group's rate from its base", () => {
  const p = tensor([0]).setRequiresGrad();
  const q = tensor([0]).setRequiresGrad();
  const opt = sgd([
    { params: [p], lr: 1 },
    { params: [q], lr: 0.1 },
  ]);
  const f = linearWithWarmup({ warmupSteps: 2, totalSteps: 4 });
  const seen: number[][] = [];
  for (let step = 0; step < 5; step++) {
    opt.scaleLr(f(step));
    seen.push([opt.lr(0), opt.lr(1)]);
  }
  assertClose(seen.flat(), [0, 0, 0.5, 0.05, 1, 0.1, 0.5, 0.05, 0, 0], { atol: 1e-12 });
});
