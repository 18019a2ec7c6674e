/** Optimizers (libtorch SGD and AdamW) against their update formulas by hand; groups, lr, clipping, resume. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { adamW, clipGradNorm, sgd, tensor, type Optimizer, type Tensor } from "../../src/engine/index.js";
import { assertClose } from "../support/assert-close.js";
import { tempDir } from "../support/helpers.js";

const param = (xs: number[]): Tensor => tensor(xs, { dtype: "f64" }).setRequiresGrad();

/** Sets p.grad = g by back-propagating the linear loss Σ g·p. */
function setGrad(p: Tensor, g: number[]): void {
  p.mul(tensor(g, { dtype: "f64" }))
    .sum()
    .backward();
}

function stepWith(opt: Optimizer, grads: Map<Tensor, number[]>): void {
  opt.zeroGrad();
  for (const [p, g] of grads) setGrad(p, g);
  opt.step();
}

test("SGD without momentum: p ← p − lr·(g + wd·p)", () => {
  const p = param([1, -2, 3]);
  const opt = sgd([p], { lr: 0.1, weightDecay: 0.01 });
  stepWith(opt, new Map([[p, [0.5, 1, -2]]]));
  assertClose(p.toList(), [1 - 0.1 * (0.5 + 0.01), -2 - 0.1 * (1 - 0.02), 3 - 0.1 * (-2 + 0.03)], { atol: 1e-15 });
});

test("SGD with momentum: the buffer starts at g, then b ← μ·b + (1−dampening)·g; nesterov uses g + μ·b", () => {
  const [lr, mu, damp] = [0.1, 0.9, 0.2];
  const g1 = [1, -2];
  const g2 = [0.5, 3];
  const p = param([1, 1]);
  const opt = sgd([p], { lr, momentum: mu, dampening: damp });
  stepWith(opt, new Map([[p, g1]]));
  const b1 = g1;
  const p1 = [1 - lr * b1[0]!, 1 - lr * b1[1]!];
  assertClose(p.toList(), p1, { atol: 1e-15 });
  stepWith(opt, new Map([[p, g2]]));
  const b2 = b1.map((b, i) => mu * b + (1 - damp) * g2[i]!);
  assertClose(
    p.toList(),
    p1.map((v, i) => v - lr * b2[i]!),
    { atol: 1e-15 },
  );

  const q = param([1, 1]);
  const nest = sgd([q], { lr, momentum: mu, nesterov: true });
  stepWith(nest, new Map([[q, g1]]));
  const q1 = g1.map((g) => 1 - lr * (g + mu * g));
  assertClose(q.toList(), q1, { atol: 1e-15 });
  stepWith(nest, new Map([[q, g2]]));
  const nb2 = g1.map((b, i) => mu * b + g2[i]!);
  assertClose(
    q.toList(),
    q1.map((v, i) => v - lr * (g2[i]! + mu * nb2[i]!)),
    { atol: 1e-15 },
  );
});

test("AdamW two steps by hand: bias-corrected moments, decoupled weight decay", () => {
  const [lr, b1, b2, eps, wd] = [0.01, 0.9, 0.99, 1e-8, 0.1];
  const p0 = [0.5, -1, 2];
  const grads = [
    [0.3, -0.2, 1.5],
    [-0.1, -0.4, 0.5],
  ];
  const p = param(p0);
  const opt = adamW([p], { lr, betas: [b1, b2], eps, weightDecay: wd });
  let m = [0, 0, 0];
  let v = [0, 0, 0];
  let expected = p0;
  grads.forEach((g, t) => {
    stepWith(opt, new Map([[p, g]]));
    const step = t + 1;
    m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
    v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
    expected = expected.map((pi, i) => {
      const mHat = m[i]! / (1 - b1 ** step);
      const vHat = v[i]! / (1 - b2 ** step);
      // Decoupled: the decay multiplies the weight directly and does not enter the moments.
      return pi * (1 - lr * wd) - (lr * mHat) / (Math.sqrt(vHat) + eps);
    });
    assertClose(p.toList(), expected, { atol: 1e-12, rtol: 1e-10 }, `after step ${step}`);
  });
});

test("parameter groups take their own learning rates; setLr, scaleLr and lr()", () => {
  const a = param([1]);
  const b = param([1]);
  const opt = sgd([
    { params: [a], lr: 0.1 },
    { params: [b], lr: 0.01 },
  ]);
  assert.equal(opt.groupCount, 2);
  assert.deepEqual([opt.lr(0), opt.lr(1)], [0.1, 0.01]);
  stepWith(
    opt,
    new Map([
      [a, [1]],
      [b, [1]],
    ]),
  );
  assertClose([a.item(), b.item()], [0.9, 0.99], { atol: 1e-15 });
  opt.setLr(0.5, 1);
  assert.deepEqual([opt.lr(0), opt.lr(1)], [0.1, 0.5]);
  opt.setLr(0.2);
  assert.deepEqual([opt.lr(0), opt.lr(1)], [0.2, 0.2]);
  // scaleLr multiplies the construction-time rates, not the current ones.
  opt.scaleLr(0.5);
  assert.deepEqual([opt.lr(0), opt.lr(1)], [0.05, 0.005]);
  stepWith(
    opt,
    new Map([
      [a, [1]],
      [b, [1]],
    ]),
  );
  assertClose([a.item(), b.item()], [0.85, 0.985], { atol: 1e-15 });
  // Group defaults: a field set on the group wins over the shared default.
  const c = param([1]);
  const d = param([1]);
  const mixed = adamW([{ params: [c] }, { params: [d], lr: 0.5 }], { lr: 0.25 });
  assert.deepEqual([mixed.lr(0), mixed.lr(1)], [0.25, 0.5]);
  assert.throws(() => opt.lr(2), /optimizer_lr\(…, 2\): no parameter group 2/);
});

test("zeroGrad drops the gradients", () => {
  const p = param([1, 2]);
  const opt = sgd([p], { lr: 0.1 });
  setGrad(p, [1, 1]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
  // A step without gradients leaves the parameters alone.
  opt.step();
  assert.deepEqual(p.toList(), [1, 2]);
});

test("clipGradNorm returns the norm before clipping and scales the global norm down to the maximum", () => {
  const a = param([0, 0]);
  const b = param([0]);
  const noGradParam = param([5]);
  setGrad(a, [3, 4]);
  setGrad(b, [12]);
  // Global L2 norm √(9 + 16 + 144) = 13; parameters without a gradient are skipped.
  const norm = clipGradNorm([a, b, noGradParam], 6.5);
  assert.ok(Math.abs(norm - 13) < 1e-12, `returned ${norm}`);
  const scale = 6.5 / 13;
  assertClose([...a.grad!.toList(), ...b.grad!.toList()], [3 * scale, 4 * scale, 12 * scale], { rtol: 1e-6 });
  const after = Math.hypot(...a.grad!.toList(), ...b.grad!.toList());
  assert.ok(Math.abs(after - 6.5) < 1e-5, `clipped norm ${after}`);
  assert.equal(noGradParam.grad, null);
  // Below the maximum nothing changes, and the norm is still reported.
  assert.ok(Math.abs(clipGradNorm([a, b], 100) - 6.5) < 1e-5);
  assertClose(a.grad!.toList(), [1.5, 2], { rtol: 1e-6 });
  // The infinity norm is the largest |g|.
  assert.ok(Math.abs(clipGradNorm([a, b], 100, Infinity) - 6) < 1e-5);
  assert.equal(clipGradNorm([noGradParam], 1), 0);
});

test("save/load of optimizer state resumes identically (AdamW and SGD with momentum)", () => {
  const dir = tempDir("optim");
  try {
    for (const make of [
      (ps: Tensor[]) => adamW(ps, { lr: 0.05, weightDecay: 0.1 }),
      (ps: Tensor[]) => sgd(ps, { lr: 0.05, momentum: 0.9 }),
    ]) {
      const init = [
        [0.5, -0.3, 0.8],
        [1.2, 0.1],
      ];
      // A quadratic loss whose gradient depends on the parameters, so state really matters.
      const lossStep = (opt: Optimizer, ps: Tensor[], t: number): void => {
        opt.zeroGrad();
        ps.map((p, i) =>
          p
            .sub(0.1 * (t + i))
            .square()
            .sum(),
        )
          .reduce((x, y) => x.add(y))
          .backward();
        opt.step();
      };
      const straight = init.map(param);
      const o1 = make(straight);
      for (let t = 0; t < 6; t++) lossStep(o1, straight, t);

      const first = init.map(param);
      const o2 = make(first);
      for (let t = 0; t < 3; t++) lossStep(o2, first, t);
      const path = join(dir, `${o2.kind}.pt`);
      o2.save(path);
      // A fresh process would rebuild parameters from a checkpoint and a fresh optimizer from config.
      const resumed = first.map((p) => param(p.toList()));
      const o3 = make(resumed);
      o3.load(path);
      for (let t = 3; t < 6; t++) lossStep(o3, resumed, t);

      straight.forEach((p, i) => assert.deepEqual(resumed[i]!.toList(), p.toList(), `${o2.kind} param ${i}`));
      // Without the saved state the trajectory differs (so the comparison above is not vacuous).
      const cold = first.map((p) => param(p.toList()));
      const o4 = make(cold);
      for (let t = 3; t < 6; t++) lossStep(o4, cold, t);
      assert.notDeepEqual(cold[0]!.toList(), straight[0]!.toList());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loading state of another optimizer kind or other parameter shapes is refused", () => {
  const dir = tempDir("optim");
  try {
    const p = param([1, 2, 3]);
    const adam = adamW([p]);
    setGrad(p, [1, 1, 1]);
    adam.step();
    const path = join(dir, "adam.pt");
    adam.save(path);
    assert.throws(
      () => sgd([param([1, 2, 3])], { momentum: 0.9 }).load(path),
      /holds adamw state, but this optimizer is sgd/,
    );
    const other = adamW([param([1, 2])]);
    assert.throws(() => other.load(path), /saved state for parameter 0 is f64\[3\] but the parameter is f64\[2\]/);
    assert.throws(() => adamW([param([1, 2, 3]), param([1])]).load(path), /different size/);
    assert.throws(() => adam.load(join(dir, "missing.pt")), /^Error: optimizer_load\(…, ".*missing.pt"\): /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
