import assert from "node:assert/strict";
import test from "node:test";
import { lengthSortedBatches } from "../../src/decode/recommend.js";

test("prompts are batched shortest first, ties in input order, with the share of prompt tokens done", () => {
  // Lengths 5, 1, 3, 1, 10 (20 tokens): sorted 1 (#1), 1 (#3), 3 (#2), 5 (#0), 10 (#4).
  const prompts = [5, 1, 3, 1, 10].map((n) => new Array<number>(n).fill(7));
  assert.deepEqual(lengthSortedBatches(prompts, 2), [
    { indices: [1, 3], done: 2, workFraction: 2 / 20 },
    { indices: [2, 0], done: 4, workFraction: 10 / 20 },
    { indices: [4], done: 5, workFraction: 1 },
  ]);
  assert.deepEqual(lengthSortedBatches([], 8), []);
});
