import { test } from "node:test";
import assert from "node:assert/strict";
import type { Example, Item } from "../../src/data/types.js";
import {
  COLD_START,
  COLD_START_TITLE,
  groupMetrics,
  LONG_TAIL,
  POPULAR,
  popularityBreakdown,
  popularitySplit,
  seenInTrain,
  targetGroups,
  titlesSeenInTrain,
  trainFrequency,
} from "../../src/eval/groups.js";

const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 5e-5, `${actual} ≉ ${expected}`);

// Item 8 shares its title with item 3 (like the CDs "Greatest Hits" items).
const catalogue: Item[] = Array.from({ length: 10 }, (_, id) => ({ id, title: `Item ${id === 8 ? 3 : id}` }));
const item = (id: number): Item => catalogue[id]!;
const example = (target: number, history: number[] = []): Example => ({
  userId: "u",
  history: history.map(item),
  target: item(target),
});

// Train targets: 3 ×3, 5 ×2, 7 ×2, 1 ×1; items 0 and 2 appear only in histories.
const train: Example[] = [
  example(3, [0]),
  example(3, [2, 0]),
  example(3),
  example(5, [3]),
  example(5),
  example(7),
  example(7, [5]),
  example(1),
];

test("training frequency counts targets only", () => {
  assert.deepEqual(
    [...trainFrequency(train)].sort((a, b) => a[0] - b[0]),
    [
      [1, 1],
      [3, 3],
      [5, 2],
      [7, 2],
    ],
  );
});

test("top 20% of 10 items = 2 popular; the 5/7 tie goes to the lower id", () => {
  const split = popularitySplit(train, catalogue);
  assert.deepEqual([...split.popular], [3, 5]);
  assert.equal(split.threshold, 2);
  assert.equal(split.fraction, 0.2);
  // ⌈0.25 · 10⌉ = 3 items.
  assert.deepEqual([...popularitySplit(train, catalogue, 0.25).popular], [3, 5, 7]);
});

test("items without training interactions are never popular", () => {
  const split = popularitySplit([example(2)], catalogue);
  assert.deepEqual([...split.popular], [2]);
  assert.equal(popularitySplit([], catalogue).popular.size, 0);
  assert.throws(() => popularitySplit(train, catalogue, 1.5), /within \[0, 1\], got 1.5/);
});

test("cold start = never in training, as target or in history; cold-start-title = its title neither", () => {
  const items = seenInTrain(train);
  assert.deepEqual(
    [...items].sort((a, b) => a - b),
    [0, 1, 2, 3, 5, 7],
  );
  const titles = titlesSeenInTrain(train);
  assert.equal(titles.size, 6);
  assert.ok(titles.has("Item 3"));
  const seen = { items, titles };
  const split = popularitySplit(train, catalogue);
  assert.deepEqual(targetGroups(item(3), split, seen), [POPULAR]);
  assert.deepEqual(targetGroups(item(0), split, seen), [LONG_TAIL]);
  assert.deepEqual(targetGroups(item(9), split, seen), [LONG_TAIL, COLD_START, COLD_START_TITLE]);
  // Item 8 was never trained on, but "Item 3" was: cold by item, not by title.
  assert.deepEqual(targetGroups(item(8), split, seen), [LONG_TAIL, COLD_START]);
});

test("per-group metrics by hand", () => {
  // Test targets and ranks: 3 → 0, 7 → 1, 4 → ∞, 5 → 4, 9 → 0, 8 → 1.
  const testSet = [3, 7, 4, 5, 9, 8].map((t) => example(t));
  const scores = [0, 1, Infinity, 4, 0, 1].map((rank) => ({ rank, invalid: rank === Infinity ? 3 : 0 }));
  const groups = popularityBreakdown(testSet, scores, train, catalogue, { ks: [1, 5] });
  assert.deepEqual(Object.keys(groups), [POPULAR, LONG_TAIL, COLD_START, COLD_START_TITLE]);
  // popular: ranks 0, 4 → HR@1 1/2, HR@5 1, NDCG@5 (1 + 1/log2 6)/2 = (1 + 0.386853)/2
  const popular = groups[POPULAR]!;
  assert.equal(popular.records, 2);
  assert.deepEqual(popular.hr, { 1: 0.5, 5: 1 });
  close(popular.ndcg[5]!, 0.693426);
  // long-tail: ranks 1, ∞, 0, 1 → HR@1 1/4, HR@5 3/4, NDCG@5 (0.630930 + 1 + 0.630930)/4 = 0.565465
  const tail = groups[LONG_TAIL]!;
  assert.equal(tail.records, 4);
  assert.equal(tail.invalid, 3);
  assert.deepEqual(tail.hr, { 1: 0.25, 5: 0.75 });
  close(tail.ndcg[5]!, 0.565465);
  // cold-start: items 4 (∞), 9 (0), 8 (1) → HR@1 1/3, HR@5 2/3, NDCG@5 (1 + 0.630930)/3 = 0.543643
  const cold = groups[COLD_START]!;
  assert.equal(cold.records, 3);
  close(cold.hr[1]!, 1 / 3);
  close(cold.hr[5]!, 2 / 3);
  close(cold.ndcg[5]!, 0.543643);
  // cold-start-title: items 4 (∞) and 9 (0) → HR@5 1/2, NDCG@5 1/2
  const coldTitle = groups[COLD_START_TITLE]!;
  assert.equal(coldTitle.records, 2);
  assert.deepEqual(coldTitle.hr, { 1: 0.5, 5: 0.5 });
  assert.deepEqual(coldTitle.ndcg, { 1: 0.5, 5: 0.5 });
});

test("group labels must align with scores", () => {
  assert.throws(() => groupMetrics([{ rank: 0, invalid: 0 }], [], [POPULAR]), /1 record scores but 0 group labels/);
  const empty = groupMetrics([{ rank: 0, invalid: 0 }], [[LONG_TAIL]], [POPULAR, LONG_TAIL], [10]);
  assert.equal(empty[POPULAR]!.records, 0);
  assert.equal(empty[LONG_TAIL]!.hr[10], 1);
});
