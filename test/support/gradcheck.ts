/**
 * Gradient check by central differences in f64. The scalar being differentiated is
 * `sum(fn(...inputs) · w)` with a fixed pseudo-random `w`, so every output element enters with a
 * different weight and a wrong gradient cannot hide behind a symmetric sum.
 */
import assert from "node:assert/strict";
import { isFloat, noGrad, tensor, tidy, type Tensor } from "../../src/engine/index.js";
import { pseudoRandom } from "./assert-close.js";

export interface GradcheckOptions {
  /** Finite-difference step (f64). */
  eps?: number;
  atol?: number;
  rtol?: number;
}

/**
 * Checks autograd's gradient of `fn` with respect to every floating-point input against central
 * differences. Float inputs are copied to f64 leaves; integer and bool inputs (indices, masks,
 * targets) are passed through unchanged and not differentiated. Throws an AssertionError listing
 * the first mismatching elements.
 */
export function checkGradient(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: GradcheckOptions = {},
): void {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const leaves = inputs.map((x) => (isFloat(x.dtype) ? x.to("f64").clone().detach().setRequiresGrad(true) : x));
  const differentiable = leaves.map((_, i) => isFloat(inputs[i]!.dtype));
  assert.ok(differentiable.some(Boolean), "checkGradient: no floating-point input to differentiate");

  const outShape = tidy(() => [...fn(...leaves).shape]);
  const weights = tensor(
    pseudoRandom(
      outShape.reduce((a, b) => a * b, 1),
      7,
    ),
    { dtype: "f64", shape: outShape },
  );
  const objective = (xs: Tensor[]): Tensor =>
    fn(...xs)
      .to("f64")
      .mul(weights)
      .sum();

  tidy(() => objective(leaves).backward());
  const analytic = leaves.map((x, i) => {
    if (!differentiable[i]) return [];
    const g = x.grad;
    // No gradient at all means autograd thinks the output does not depend on x: compare with zeros.
    return g === null ? new Array<number>(x.size).fill(0) : g.toList();
  });

  const problems: string[] = [];
  leaves.forEach((x, i) => {
    if (!differentiable[i]) return;
    const base = x.toList();
    for (let j = 0; j < base.length; j++) {
      const at = (delta: number): number =>
        tidy(() => {
          const v = base.slice();
          v[j]! += delta;
          const xs = leaves.slice();
          xs[i] = tensor(v, { dtype: "f64", shape: x.shape });
          return noGrad(() => objective(xs).item());
        });
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const got = analytic[i]![j]!;
      if (!(Math.abs(got - numeric) <= atol + rtol * Math.abs(numeric))) {
        problems.push(`input ${i} [${x.shape.join(",")}] element ${j}: autograd ${got}, finite difference ${numeric}`);
      }
    }
  });
  for (const x of leaves) if (x.requiresGrad) x.dispose();
  weights.dispose();
  assert.ok(problems.length === 0, `gradient mismatch:\n  ${problems.slice(0, 6).join("\n  ")}`);
}
