/** The autograd API: requiresGrad, backward (explicit grad, retainGraph), accumulation, noGrad, detach. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { enableGrad, noGrad, tensor } from "../../src/engine/index.js";

test("requiresGrad is off by default, propagates through ops, and is settable on leaves", () => {
  const x = tensor([1, 2]);
  assert.equal(x.requiresGrad, false);
  assert.equal(x.mul(2).requiresGrad, false);
  x.setRequiresGrad();
  assert.equal(x.requiresGrad, true);
  assert.equal(x.mul(2).requiresGrad, true);
  assert.equal(x.grad, null);
  x.setRequiresGrad(false);
  assert.equal(x.mul(2).requiresGrad, false);
});

test("backward of a scalar fills .grad of the leaves: d/dx Σ x²·y = 2xy, d/dy = x²", () => {
  const x = tensor([1, 2, 3]).setRequiresGrad();
  const y = tensor([4, 5, 6]).setRequiresGrad();
  x.square().mul(y).sum().backward();
  assert.deepEqual(x.grad!.toList(), [8, 20, 36]);
  assert.deepEqual(y.grad!.toList(), [1, 4, 9]);
});

test("backward of a non-scalar needs an explicit gradient (a vector-Jacobian product)", () => {
  const x = tensor([1, 2, 3]).setRequiresGrad();
  const out = x.square();
  assert.throws(
    () => out.backward(),
    /backward\(f32\[3\], null, false\): grad can be implicitly created only for scalar/,
  );
  out.backward(tensor([1, 0.5, -1]));
  assert.deepEqual(x.grad!.toList(), [2, 2, -6]);
});

test("gradients accumulate across backward calls until cleared", () => {
  const x = tensor([1, 2]).setRequiresGrad();
  x.mul(3).sum().backward();
  x.mul(3).sum().backward();
  assert.deepEqual(x.grad!.toList(), [6, 6]);
  x.clearGrad();
  assert.equal(x.grad, null);
  x.mul(5).sum().backward();
  assert.deepEqual(x.grad!.toList(), [5, 5]);
});

test("retainGraph allows a second backward through the same graph; without it the graph is freed", () => {
  const x = tensor([2]).setRequiresGrad();
  // exp saves its result for backward, so a freed graph cannot be replayed.
  const loss = x.exp().sum();
  loss.backward(undefined, true);
  loss.backward();
  assert.ok(Math.abs(x.grad!.item() - 2 * Math.exp(2)) < 1e-4);
  const again = x.exp().sum();
  again.backward();
  assert.throws(
    () => again.backward(),
    /^Error: backward\(f32\[\], null, false\): Trying to backward through the graph a second time/,
  );
});

test("the .grad wrapper is a fresh handle: disposing it leaves the gradient intact", () => {
  const x = tensor([1, 2]).setRequiresGrad();
  x.mul(2).sum().backward();
  const g = x.grad!;
  g.dispose();
  assert.deepEqual(x.grad!.toList(), [2, 2]);
});

test("noGrad records no graph; enableGrad turns recording back on inside it", () => {
  const x = tensor([1, 2]).setRequiresGrad();
  const y = noGrad(() => x.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.throws(() => y.sum().backward(), /does not require grad/);
  const z = noGrad(() => enableGrad(() => x.mul(2)));
  assert.equal(z.requiresGrad, true);
  // The previous mode is restored, also when the body throws.
  assert.throws(() =>
    noGrad(() => {
      throw new Error("boom");
    }),
  );
  assert.equal(x.mul(2).requiresGrad, true);
  // Nested noGrad restores noGrad, not grad mode.
  noGrad(() => {
    noGrad(() => undefined);
    assert.equal(x.mul(2).requiresGrad, false);
  });
});

test("detach shares values but cuts the graph", () => {
  const x = tensor([1, 2]).setRequiresGrad();
  const d = x.mul(3).detach();
  assert.equal(d.requiresGrad, false);
  assert.deepEqual(d.toList(), [3, 6]);
  // Gradient flows only through the attached factor: d/dx (x · stop(x)) = stop(x).
  x.mul(x.detach()).sum().backward();
  assert.deepEqual(x.grad!.toList(), [1, 2]);
});

test("in-place parameter updates (copy_, add_, mul_, fill_) are not recorded", () => {
  const p = tensor([1, 2]).setRequiresGrad();
  p.add_(tensor([1, 1]), -0.5);
  assert.deepEqual(p.toList(), [0.5, 1.5]);
  p.mul_(2);
  assert.deepEqual(p.toList(), [1, 3]);
  p.copy_(tensor([4, 5]));
  assert.deepEqual(p.toList(), [4, 5]);
  assert.equal(p.requiresGrad, true);
  p.sum().backward();
  assert.deepEqual(p.grad!.toList(), [1, 1]);
  p.fill_(0);
  assert.deepEqual(p.toList(), [0, 0]);
});
