/**
 * Is a difference between two runs more than noise? Both tests take paired samples: the same test
 * records scored by two runs (per-record HR@10 or NDCG@10), or the same seeds run by two methods.
 *
 * - `pairedTTest`: the t-test of the paper's Appendix E on the differences d_i = a_i − b_i:
 *   t = mean(d) / (sd(d) / √n), sd with n − 1, two-sided p from Student's t with n − 1 degrees of freedom.
 * - `pairedBootstrap`: resample the records (pairs kept together) with replacement, B times, and take
 *   the percentile interval of the mean difference. No normality assumption, which matters for
 *   0/1 hits and for NDCG's few distinct values.
 */
import { Rng } from "../data/rng.js";
import { studentTTwoSidedP } from "./student-t.js";

export interface PairedTTest {
  n: number;
  /** mean(a − b). */
  meanDifference: number;
  /** Sample standard deviation of a − b (n − 1 in the denominator). */
  sdDifference: number;
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
}

export interface BootstrapInterval {
  meanDifference: number;
  /** Percentile interval of the resampled mean differences. */
  low: number;
  high: number;
  level: number;
  samples: number;
  seed: number;
}

export interface BootstrapOptions {
  /** Resamples (default 10,000). */
  samples?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
  seed?: number;
}

/** Paired differences a_i − b_i; the samples must be aligned (same length, same record at each index). */
export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length)
    throw new Error(`paired test: ${a.length} values against ${b.length}; expected the same records in both`);
  if (a.length < 2) throw new Error(`paired test: needs at least 2 pairs, got ${a.length}`);
  return a.map((x, i) => x - b[i]!);
}

function meanOf(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Paired t-test of mean(a − b) = 0 against a two-sided alternative. */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTTest {
  const d = pairedDifferences(a, b);
  const n = d.length;
  const mean = meanOf(d);
  let ss = 0;
  for (const x of d) ss += (x - mean) * (x - mean);
  const sd = Math.sqrt(ss / (n - 1));
  const df = n - 1;
  // Identical differences everywhere: no spread, so either no difference at all or a certain one.
  if (sd === 0)
    return {
      n,
      meanDifference: mean,
      sdDifference: 0,
      t: mean === 0 ? 0 : Math.sign(mean) * Infinity,
      df,
      p: mean === 0 ? 1 : 0,
    };
  const t = mean / (sd / Math.sqrt(n));
  return { n, meanDifference: mean, sdDifference: sd, t, df, p: studentTTwoSidedP(t, df) };
}

/**
 * Linear-interpolation quantile of sorted values (NumPy's default): position q · (n − 1).
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Paired bootstrap percentile interval of mean(a − b); deterministic for a seed. */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
): BootstrapInterval {
  const samples = options.samples ?? 10_000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be within (0, 1), got ${level}`);
  if (!(Number.isInteger(samples) && samples >= 1))
    throw new RangeError(`bootstrap: samples must be a positive integer, got ${samples}`);
  const d = pairedDifferences(a, b);
  const n = d.length;
  const rng = new Rng(seed);
  const means = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[rng.int(n)]!;
    means[s] = sum / n;
  }
  means.sort();
  const sorted = Array.from(means);
  return {
    meanDifference: meanOf(d),
    low: quantileSorted(sorted, (1 - level) / 2),
    high: quantileSorted(sorted, 1 - (1 - level) / 2),
    level,
    samples,
    seed,
  };
}
