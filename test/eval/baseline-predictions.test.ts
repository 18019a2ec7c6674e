/**
 * A baseline's scores → the evaluator's inputs: ranked item ids, and ranked titles where each title
 * appears once at its best-scored item; the selection metric by title and by item id, by hand.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { eye, tensor, type Tensor } from "../../src/engine/index.js";
import { ParamStore } from "../../src/nn/index.js";
import { ItemVocabulary, type SequenceBatch, type SequentialRecommender } from "../../src/baselines/index.js";
import type { Example, Item } from "../../src/data/types.js";
import { ItemMapping } from "../../src/decode/item-mapping.js";
import { TitleGroups, baselinePredictions, selectionNdcg } from "../../src/eval/baseline-predictions.js";

const ITEMS: Item[] = [
  { id: 10, title: "A" },
  { id: 11, title: "B" },
  { id: 12, title: ' "A" ' }, // the same catalogue key as "A" once normalised
  { id: 13, title: "C" },
  { id: 14, title: "D" },
];

/** A stand-in model whose scores are given per row: query = the row's scores, item weights = identity. */
function fixedScores(rows: number[][]): SequentialRecommender {
  const store = new ParamStore();
  const scores = tensor(rows);
  return {
    config: { model_type: "sasrec", num_items: 5, max_len: 1, catalogue_fingerprint: "" },
    store,
    padding: "left",
    users: null,
    itemWeight: eye(6).narrow(1, 1, 5).keep(), // row 0 = padding → zeros; row j = unit vector j − 1
    itemBias: null,
    finalQuery: (batch: SequenceBatch): Tensor => scores.indexSelect(0, batch.items.select(1, 0).sub(1)),
  };
}

const vocab = new ItemVocabulary(ITEMS);
const groups = new TitleGroups(vocab, ITEMS);
// Row r's single history item is index r + 1, which selects score row r in the stand-in model.
const rowsOf = (n: number) =>
  Array.from({ length: n }, (_, r) => ({ history: Int32Array.of(r + 1), target: 1, user: 0 }));

test("ranked item ids and ranked distinct titles, each title at its best item", () => {
  const model = fixedScores([
    [0.1, 0.5, 0.9, 0.3, 0.2],
    [0.8, 0.1, 0.7, 0.6, 0.9],
  ]);
  assert.deepEqual(groups.titles, ["A", "B", "C", "D"]);
  const out = baselinePredictions(model, rowsOf(2), vocab, groups, { k: 4, batchSize: 1 });
  assert.deepEqual(out.itemIds, [
    [12, 11, 13, 14],
    [14, 10, 12, 13],
  ]);
  // Row 1: A's best item scores 0.8 (item 10), so A ranks second, behind D (0.9); B comes last.
  assert.deepEqual(out.titles, [
    ["A", "B", "C", "D"],
    ["D", "A", "C", "B"],
  ]);
});

test("selection NDCG@k by title and by item id", () => {
  const model = fixedScores([
    [0.1, 0.5, 0.9, 0.3, 0.2],
    [0.8, 0.1, 0.7, 0.6, 0.9],
  ]);
  const examples: Example[] = [
    { userId: "u", history: [ITEMS[0]!], target: ITEMS[0]! }, // item 10 "A": title rank 0, item rank 4 (5th)
    { userId: "v", history: [ITEMS[1]!], target: ITEMS[3]! }, // item 13 "C": title rank 2, item rank 3
  ];
  const context = { vocab, groups, mapping: new ItemMapping(ITEMS) };
  const byTitle = selectionNdcg(model, rowsOf(2), examples, context, { k: 3, hits: "title" });
  assert.ok(Math.abs(byTitle - (1 + 1 / Math.log2(4)) / 2) < 1e-12, `by title ${byTitle}`);
  const byItem = selectionNdcg(model, rowsOf(2), examples, context, { k: 4, hits: "item" });
  assert.ok(Math.abs(byItem - 1 / Math.log2(5) / 2) < 1e-12, `by item ${byItem}`);
});

test("title scores: the maximum over a title's items, for titles shared by two and by three items", () => {
  const items: Item[] = ["A", "B", "A", "C", "A", "B"].map((title, i) => ({ id: i, title }));
  const v = new ItemVocabulary(items);
  const g = new TitleGroups(v, items);
  assert.deepEqual(g.titles, ["A", "B", "C"]);
  assert.equal(g.largestGroup, 3);
  const scores = tensor([
    [0.1, 0.2, 0.7, 0.3, 0.4, 0.9],
    [0.5, -1, 0.2, 0.0, -3, -0.5],
  ]);
  // A = max(cols 0, 2, 4), B = max(cols 1, 5), C = col 3.
  const got = g.titleScores(scores).toList();
  const expected = [0.7, 0.9, 0.3, 0.5, -0.5, 0.0];
  got.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-7, `${i}: ${x} vs ${expected[i]}`));
  // No shared titles at all: one gathered column per title.
  const unique = items.map((it) => ({ ...it, title: `t${it.id}` }));
  const plain = new TitleGroups(new ItemVocabulary(unique), unique);
  assert.deepEqual(plain.titleScores(scores).toList(), scores.toList());
});
