import { test } from "node:test";
import assert from "node:assert/strict";
import { ItemMapping } from "../../src/decode/item-mapping.js";
import {
  aggregateMetrics,
  evaluateRankings,
  hitAtK,
  hitRate,
  ndcg,
  ndcgAtK,
  scoreRecord,
  targetRank,
} from "../../src/eval/metrics.js";

const close = (actual: number, expected: number, digits = 4): void =>
  assert.ok(Math.abs(actual - expected) < 0.5 * 10 ** -digits, `${actual} ≉ ${expected}`);

test("per-rank NDCG matches the spec's reference values", () => {
  close(ndcgAtK(0, 10), 1);
  close(ndcgAtK(1, 10), 0.6309);
  close(ndcgAtK(2, 10), 0.5);
  close(ndcgAtK(3, 10), 0.4307);
  close(ndcgAtK(9, 10), 0.2891);
  assert.equal(ndcgAtK(Infinity, 10), 0);
  assert.equal(ndcgAtK(5, 5), 0); // rank 5 is the 6th position: outside @5
  assert.equal(hitAtK(4, 5), 1);
  assert.equal(hitAtK(5, 5), 0);
  assert.equal(hitAtK(Infinity, 20), 0);
});

test("rank is the first matching position after title normalisation", () => {
  const predictions = [' \n"Blue"\n', '"Abbey Road"\n', '"Abbey Road"\n'];
  assert.equal(targetRank(predictions, '"Abbey Road"\n'), 1);
  assert.equal(targetRank(predictions, "Blue"), 0);
  assert.equal(targetRank(predictions, "Help!"), Infinity);
  assert.equal(targetRank([], "Blue"), Infinity);
});

test("a small aggregate computed by hand", () => {
  // Four records with ranks 0, 2, ∞, 6.
  //   HR@1 = 1/4, HR@3 = 2/4, HR@5 = 2/4, HR@10 = 3/4, HR@20 = 3/4
  //   NDCG@1 = 1/4 = 0.25
  //   NDCG@3 = (1 + 1/log2 4)/4 = 1.5/4 = 0.375
  //   NDCG@10 = (1 + 0.5 + 1/log2 8)/4 = (1.5 + 0.33333)/4 = 0.458333
  const m = aggregateMetrics([
    { rank: 0, invalid: 0 },
    { rank: 2, invalid: 1 },
    { rank: Infinity, invalid: 10 },
    { rank: 6, invalid: 0 },
  ]);
  assert.equal(m.records, 4);
  assert.equal(m.invalid, 11);
  assert.deepEqual(m.ks, [1, 3, 5, 10, 20]);
  assert.deepEqual([m.hr[1], m.hr[3], m.hr[5], m.hr[10], m.hr[20]], [0.25, 0.5, 0.5, 0.75, 0.75]);
  close(m.ndcg[1]!, 0.25, 6);
  close(m.ndcg[3]!, 0.375, 6);
  close(m.ndcg[5]!, 0.375, 6);
  close(m.ndcg[10]!, 0.458333, 6);
  close(m.ndcg[20]!, 0.458333, 6);
  assert.equal(hitRate([0, 2, Infinity, 6], 3), 0.5);
  close(ndcg([1, Infinity], 10), 0.6309 / 2);
});

test("no records: zero metrics, zero count", () => {
  const m = aggregateMetrics([], [5]);
  assert.deepEqual(m, { records: 0, invalid: 0, ks: [5], hr: { 5: 0 }, ndcg: { 5: 0 } });
});

test("evaluator counts invalid predictions and all-invalid records in the denominator", () => {
  const mapping = new ItemMapping([
    { id: 0, title: "Blue" },
    { id: 1, title: "Abbey Road" },
    { id: 2, title: "Greatest Hits" },
    { id: 3, title: "Greatest Hits" },
  ]);
  assert.deepEqual(scoreRecord({ predictions: ['"Blue"\n', '"Bleu"\n'], target: '"Bleu"\n' }, mapping), {
    rank: 1, // a non-catalogue prediction can still equal the target string, as in the reference
    invalid: 1,
  });
  const { metrics, scores } = evaluateRankings(
    [
      // Hit at rank 1 on a shared title: counted for the target item 3 although item 2 shares it.
      { predictions: ['"Blue"\n', '"Greatest Hits"\n'], target: '"Greatest Hits"\n' },
      // All invalid: no hit, still in the denominator.
      { predictions: ['"Nope"\n', '"Nada"\n'], target: "Abbey Road" },
    ],
    mapping,
    [1, 2],
  );
  assert.deepEqual(
    scores.map((s) => s.rank),
    [1, Infinity],
  );
  assert.equal(metrics.records, 2);
  assert.equal(metrics.invalid, 2);
  assert.deepEqual(metrics.hr, { 1: 0, 2: 0.5 });
  close(metrics.ndcg[2]!, 0.6309 / 2);
});
