import { test } from "node:test";
import assert from "node:assert/strict";
import { pairedBootstrap, pairedTTest, quantileSorted } from "../../src/eval/significance.js";
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTTwoSidedP } from "../../src/eval/student-t.js";
import { Rng } from "../../src/data/rng.js";

const close = (actual: number, expected: number, tol: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (tolerance ${tol})`);

test("logGamma: factorials and Γ(½) = √π", () => {
  close(logGamma(1), 0, 1e-14);
  close(logGamma(5), Math.log(24), 1e-13);
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
  close(logGamma(0.1), Math.log(9.513507698668732), 1e-13); // Γ(0.1), from Python's math.gamma
  close(logGamma(100.5), 361.4355404677776, 1e-10); // math.lgamma(100.5)
});

test("incomplete beta: closed forms I_x(a,1) = x^a, I_x(1,b) = 1-(1-x)^b, I_½(a,a) = ½", () => {
  for (const x of [0.01, 0.3, 0.7, 0.99]) {
    for (const a of [0.5, 2, 7.5]) {
      close(regularizedIncompleteBeta(x, a, 1), x ** a, 1e-13, `I_${x}(${a},1)`);
      close(regularizedIncompleteBeta(x, 1, a), 1 - (1 - x) ** a, 1e-13, `I_${x}(1,${a})`);
    }
  }
  for (const a of [0.5, 3, 40]) close(regularizedIncompleteBeta(0.5, a, a), 0.5, 1e-13);
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
  assert.throws(() => regularizedIncompleteBeta(1.5, 2, 3), /0 ≤ x ≤ 1/);
});

test("Student t CDF: closed forms for 1, 2, 3 and 4 degrees of freedom", () => {
  for (const t of [-30, -2.5, -0.4, 0, 0.7, 1.96, 12]) {
    close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-13, `df 1, t ${t}`);
    close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-13, `df 2, t ${t}`);
    const u = t / Math.sqrt(3);
    close(studentTCdf(t, 3), 0.5 + (u / (1 + u * u) + Math.atan(u)) / Math.PI, 1e-13, `df 3, t ${t}`);
    const w = 1 + (t * t) / 4;
    close(studentTCdf(t, 4), 0.5 + (3 / 8) * (t / Math.sqrt(w)) * (1 - (t * t) / (12 * w)), 1e-13, `df 4, t ${t}`);
  }
});

test("Student t CDF: table critical values and numeric integration of the density", () => {
  // Two-sided critical values from statistical tables (R's qt): CDF at them is the table's level.
  close(studentTCdf(12.7062047, 1), 0.975, 1e-8);
  close(studentTCdf(2.22813885, 10), 0.975, 1e-8);
  close(studentTCdf(2.04227246, 30), 0.975, 1e-8);
  close(studentTCdf(4.03214298, 5), 0.995, 1e-8);
  close(studentTCdf(1.72471824, 20), 0.95, 1e-8);
  close(studentTCdf(-2.84533971, 20), 0.005, 1e-8);
  close(studentTCdf(1.95996398, 1e7), 0.975, 1e-6); // → the normal distribution
  // Non-integer df against Simpson integration of the t density (400,000 steps, /usr/bin/python3).
  close(studentTCdf(0.5, 3.5), 0.6765747803387286, 1e-10);
  close(studentTCdf(2.5, 7), 0.9795038907071316, 1e-10);
  close(studentTCdf(-1.3, 12), 0.10900858554176485, 1e-10);
  close(studentTCdf(3.0, 50), 0.9978991484064614, 1e-10);
  close(studentTTwoSidedP(-2.22813885, 10), 0.05, 1e-8);
  assert.equal(studentTTwoSidedP(Infinity, 3), 0);
});

test("paired t-test against hand-computed values", () => {
  // d = [1, 0, 0, 1, 0]: mean 0.4, sd² = (2·0.6² + 3·0.4²)/4 = 0.3, t = 0.4/(√0.3/√5) = 1.632993,
  // df 4, p = 0.177808 (closed form for 4 df; also Simpson integration).
  const r = pairedTTest([1, 0, 1, 1, 0], [0, 0, 1, 0, 0]);
  close(r.meanDifference, 0.4, 1e-15);
  close(r.sdDifference, Math.sqrt(0.3), 1e-15);
  close(r.t, 1.632993161855452, 1e-12);
  assert.equal(r.df, 4);
  close(r.p, 0.17780780835619447, 1e-10);
  // d = [0.1, 0, 0.3, 0.2, -0.1, 0.2]: mean 0.116667, sd 0.147196, t 1.941451, df 5, p 0.109867.
  const s = pairedTTest([0.2, 0.5, 0.9, 0.4, 0.7, 0.3], [0.1, 0.5, 0.6, 0.2, 0.8, 0.1]);
  close(s.t, 1.941450686788301, 1e-12);
  close(s.p, 0.1098665010342299, 1e-10);
  // Swapping the runs flips the sign, not the p-value.
  const swapped = pairedTTest([0.1, 0.5, 0.6, 0.2, 0.8, 0.1], [0.2, 0.5, 0.9, 0.4, 0.7, 0.3]);
  close(swapped.t, -s.t, 1e-12);
  close(swapped.p, s.p, 1e-15);
  // No spread: identical runs (p 1) or a constant difference (p 0).
  assert.equal(pairedTTest([1, 0, 1], [1, 0, 1]).p, 1);
  assert.equal(pairedTTest([1, 1, 1], [0, 0, 0]).p, 0);
  assert.throws(() => pairedTTest([1, 2], [1]), /same records/);
});

test("quantiles interpolate linearly between order statistics (NumPy's default)", () => {
  const xs = [1, 2, 3, 4, 5];
  assert.equal(quantileSorted(xs, 0), 1);
  assert.equal(quantileSorted(xs, 1), 5);
  assert.equal(quantileSorted(xs, 0.5), 3);
  close(quantileSorted(xs, 0.025), 1.1, 1e-15); // position 0.1
  close(quantileSorted(xs, 0.975), 4.9, 1e-15);
});

test("paired bootstrap: exact cases, the distribution of a two-record sample, seeding", () => {
  // A constant difference resamples to itself.
  const constant = pairedBootstrap([3, 4, 5], [1, 2, 3], { samples: 500, seed: 1 });
  assert.deepEqual([constant.meanDifference, constant.low, constant.high], [2, 2, 2]);
  // d = [0, 1]: a resampled mean is 0, ½ or 1 with probabilities ¼, ½, ¼, so the 95% interval is [0, 1]
  // and about half the resamples sit at ½.
  const two = pairedBootstrap([0, 1], [0, 0], { samples: 4000, seed: 3 });
  assert.deepEqual([two.low, two.high], [0, 1]);
  const seeded = pairedBootstrap([0, 1], [0, 0], { samples: 4000, seed: 3 });
  assert.deepEqual(seeded, two);
  assert.notDeepEqual(
    pairedBootstrap([0, 1, 1, 0, 1], [0, 0, 1, 1, 0], { samples: 50, seed: 4 }),
    pairedBootstrap([0, 1, 1, 0, 1], [0, 0, 1, 1, 0], { samples: 50, seed: 5 }),
  );
});

test("paired bootstrap agrees with the normal interval on a large sample", () => {
  // 2,000 paired hits with P(a)=0.30, P(b)=0.25: the interval should be mean ± 1.96·sd/√n to within a
  // few percent of its width (the bootstrap's own Monte-Carlo error at 10,000 resamples is ~1%).
  const rng = new Rng(11);
  const a = Array.from({ length: 2000 }, () => (rng.next() < 0.3 ? 1 : 0));
  const b = Array.from({ length: 2000 }, () => (rng.next() < 0.25 ? 1 : 0));
  const t = pairedTTest(a, b);
  const half = 1.959964 * (t.sdDifference / Math.sqrt(t.n));
  const boot = pairedBootstrap(a, b, { seed: 2 });
  close(boot.meanDifference, t.meanDifference, 1e-15);
  close(boot.low, t.meanDifference - half, 0.05 * half, "low");
  close(boot.high, t.meanDifference + half, 0.05 * half, "high");
});
