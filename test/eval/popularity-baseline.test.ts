import { test } from "node:test";
import assert from "node:assert/strict";
import type { Example, Item } from "../../src/data/types.js";
import { ItemMapping } from "../../src/decode/item-mapping.js";
import {
  evaluatePopularityBaseline,
  mostPopular,
  mostPopularItems,
  mostPopularTitles,
  titlePopularity,
} from "../../src/eval/popularity-baseline.js";
import { evaluationReport } from "../../src/eval/evaluate.js";

const items: Item[] = [
  { id: 0, title: "Abbey Road" },
  { id: 1, title: "Blue" },
  { id: 2, title: "Greatest Hits" },
  { id: 3, title: "Greatest Hits" },
  { id: 4, title: "Help!" },
  { id: 5, title: "Nothing" },
];
const example = (id: number): Example => ({ userId: "u", history: [], target: items[id]! });

// Title frequency: Blue 3, Abbey Road 2, Greatest Hits 1 + 1 = 2, Help! 1.
const train = [1, 1, 1, 0, 0, 2, 3, 4].map(example);

test("most popular titles: per-title counts, ties by title", () => {
  assert.deepEqual(mostPopularTitles(train), ["Blue", "Abbey Road", "Greatest Hits", "Help!"]);
  assert.deepEqual(mostPopularTitles(train, 2), ["Blue", "Abbey Road"]);
  assert.deepEqual(mostPopularTitles([]), []);
  assert.deepEqual(titlePopularity(train, 3), [
    { title: "Blue", count: 3 },
    { title: "Abbey Road", count: 2 },
    { title: "Greatest Hits", count: 2 },
  ]);
});

test("baseline metrics by hand", () => {
  // List of 3: Blue, Abbey Road, Greatest Hits. Targets: item 3 "Greatest Hits" → rank 2,
  // "Blue" → 0, "Nothing" → ∞, "Help!" → ∞ (4th, cut off).
  //   HR@1 = 1/4, HR@3 = 2/4, NDCG@3 = (1 + 1/log2 4)/4 = 0.375
  const test = [3, 1, 5, 4].map(example);
  const result = evaluatePopularityBaseline(train, test, new ItemMapping(items), { length: 3, ks: [1, 3] });
  assert.deepEqual(result.titles, ["Blue", "Abbey Road", "Greatest Hits"]);
  assert.deepEqual(
    result.scores.map((s) => s.rank),
    [2, 0, Infinity, Infinity],
  );
  assert.equal(result.metrics.records, 4);
  assert.equal(result.metrics.invalid, 0);
  assert.deepEqual(result.metrics.hr, { 1: 0.25, 3: 0.5 });
  assert.deepEqual(result.metrics.ndcg, { 1: 0.25, 3: 0.375 });
});

test("baseline report end to end: metrics and groups through evaluationReport", () => {
  // 6 items → ⌈20% · 6⌉ = 2 popular items by id: 1 (3 targets) and 0 (2); items 2, 3, 4 have 1 each.
  const testSet = [3, 1, 5, 4].map(example);
  const titles = mostPopularTitles(train, 3);
  const report = evaluationReport({
    run: "most-popular",
    method: "most popular (top 3 training titles)",
    dataset: "tiny",
    split: "test",
    test: testSet,
    predictions: testSet.map(() => titles),
    train,
    catalogue: items,
    ks: [1, 3],
  });
  assert.deepEqual(report.metrics.hr, { 1: 0.25, 3: 0.5 });
  // Popular targets: item 1 (rank 0) only. Long tail: items 3 (rank 2), 5 (∞), 4 (∞). Cold start: item 5.
  assert.deepEqual(report.groups.popular!.hr, { 1: 1, 3: 1 });
  assert.equal(report.groups["long-tail"]!.records, 3);
  assert.deepEqual(report.groups["long-tail"]!.hr, { 1: 0, 3: 1 / 3 });
  assert.equal(report.groups["cold-start"]!.records, 1);
  assert.equal(report.groups["cold-start"]!.hr[3], 0);
  assert.throws(
    () =>
      evaluationReport({
        run: "x",
        method: "x",
        dataset: "tiny",
        split: "test",
        test: testSet,
        predictions: [],
        train,
        catalogue: items,
      }),
    /evaluation of x: 0 prediction lists for 4 test examples/,
  );
});

test("item-ranked most popular: items by their own frequency, each title once at its best item", () => {
  // Item frequency: 1 Blue 3, 0 Abbey Road 2, then 2, 3 (both "Greatest Hits") and 4 Help! with 1 each.
  assert.deepEqual(
    mostPopularItems(train).map((i) => i.id),
    [1, 0, 2, 3, 4],
  );
  // Items 2 and 3 share a title: the title list keeps it once (at item 2), the id list keeps both.
  assert.deepEqual(mostPopular(train, "items", 4), {
    titles: ["Blue", "Abbey Road", "Greatest Hits", "Help!"],
    itemIds: [1, 0, 2, 3],
  });
  // The title aggregate sums shared titles: with Greatest Hits ×3 it would overtake Abbey Road.
  const moreHits = [...train, example(3)];
  assert.deepEqual(mostPopular(moreHits, "titles", 2), { titles: ["Blue", "Greatest Hits"] });
  assert.deepEqual(mostPopular(moreHits, "items", 2).titles, ["Blue", "Abbey Road"]);
});

test("hits by item id next to hits by title: a shared title is a title hit but an item miss", () => {
  // Target item 3 "Greatest Hits"; the list recommends item 2, also "Greatest Hits".
  const { titles, itemIds } = mostPopular(train, "items", 3);
  const testSet = [3, 1].map(example);
  const report = evaluationReport({
    run: "most-popular-items",
    method: "most popular (item ranked)",
    dataset: "tiny",
    split: "test",
    test: testSet,
    predictions: testSet.map(() => titles),
    rankedItems: testSet.map(() => itemIds!),
    train,
    catalogue: items,
    ks: [1, 3],
  });
  // By title: ranks 2 and 0. By item id: item 3 is not among [1, 0, 2] → ∞; item 1 at rank 0.
  assert.deepEqual(report.metrics.hr, { 1: 0.5, 3: 1 });
  assert.deepEqual(report.byItem!.metrics.hr, { 1: 0.5, 3: 0.5 });
  assert.deepEqual(report.byItem!.groups.popular!.hr, { 1: 1, 3: 1 });
  assert.equal(report.byItem!.groups["long-tail"]!.hr[3], 0);
  assert.equal(
    evaluationReport({ ...report, test: testSet, predictions: [titles, titles], train, catalogue: items }).byItem,
    undefined,
  );
});
