import { test } from "node:test";
import assert from "node:assert/strict";
import type { Item } from "../../src/data/types.js";
import { CatalogueIndex } from "../../src/serve/catalogue-index.js";

const items: Item[] = [
  { id: 0, title: "Abbey Road" },
  { id: 1, title: "Blue" },
  { id: 7, title: "Greatest Hits" },
  { id: 3, title: "Greatest Hits" },
  { id: 4, title: "Road to Nowhere" },
  { id: 5, title: "The Long and Winding Road" },
  { id: 6, title: "Crossroads" },
  { id: 8, title: ' "Quoted" ' },
];
const index = new CatalogueIndex(items);

test("history entries resolve by id, exact title, or the evaluator's normalised title", () => {
  assert.equal(index.resolve(1)?.title, "Blue");
  assert.equal(index.resolve("Abbey Road")?.id, 0);
  assert.equal(index.resolve("Quoted")?.id, 8); // catalogue title carries quotes and spaces
  assert.equal(index.resolve('  "Blue"\n')?.id, 1); // as a generated answer is written
  assert.equal(index.resolve("blue"), undefined); // titles are case-sensitive, as in evaluation
  assert.equal(index.resolve(2), undefined);
});

test("a shared title resolves to its lowest id", () => {
  assert.equal(index.resolve("Greatest Hits")?.id, 3);
  assert.equal(index.itemForTitle("Greatest Hits")?.id, 3);
});

test("unknown history entries are all listed with their positions", () => {
  assert.deepEqual(index.resolveHistory([0, "Blue"]), { items: [items[0], items[1]], unknown: [] });
  assert.deepEqual(index.resolveHistory(["Nope", 1, 99, "Blue"]), {
    items: null,
    unknown: [
      { index: 0, value: "Nope" },
      { index: 2, value: 99 },
    ],
  });
});

test("search: case-insensitive, title starts first, then word starts, then inside words", () => {
  assert.deepEqual(
    index.search("road", 10).map((i) => i.title),
    ["Road to Nowhere", "Abbey Road", "The Long and Winding Road", "Crossroads"],
  );
  assert.deepEqual(
    index.search("ROAD", 2).map((i) => i.title),
    ["Road to Nowhere", "Abbey Road"],
  );
  assert.deepEqual(
    index.search("greatest", 10).map((i) => i.id),
    [3], // one entry per distinct title, its lowest id as everywhere else
  );
  assert.deepEqual(index.search("   ", 10), []);
  assert.deepEqual(index.search("zzz", 10), []);
});
