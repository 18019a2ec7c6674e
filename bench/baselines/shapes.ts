/**
 * The benchmark's data, identical on both sides by construction: the Python side
 * (bench/python/baselines_bench.py) computes the same rows from the same formulas. History lengths
 * cycle through 1..max_len, item indices are spread over the catalogue by two large primes.
 */
export interface BenchShape {
  items: number;
  rows: number;
  evalRows: number;
  hidden: number;
  blocks: number;
  heads: number;
  maxLen: number;
  batch: number;
  evalBatch: number;
}

/** Amazon CDs under the project's protocol: 5,841 items, 5,540 training rows, 6,157 test users. */
export const CDS_SHAPE: BenchShape = {
  items: 5841,
  rows: 5540,
  evalRows: 6157,
  hidden: 64,
  blocks: 2,
  heads: 1,
  maxLen: 10,
  batch: 128,
  evalBatch: 256,
};

/** Row r: history of 1 + (r·37 mod max_len) items ((r·7919 + j·104729) mod N + 1), target (r·31 + 17) mod N + 1. */
export function benchRow(r: number, shape: BenchShape): { history: Int32Array; target: number } {
  const length = 1 + ((r * 37) % shape.maxLen);
  const history = Int32Array.from({ length }, (_, j) => ((r * 7919 + j * 104729) % shape.items) + 1);
  return { history, target: ((r * 31 + 17) % shape.items) + 1 };
}

export const SHAPE_ARGS = (s: BenchShape): string[] =>
  Object.entries(s).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v)]);
