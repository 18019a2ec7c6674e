import { test } from "node:test";
import assert from "node:assert/strict";
import { VocabCompaction } from "../../src/llm/vocab-compaction.js";

test("vocab compaction maps corpus ids and required ids onto 0..n-1 in full-id order", () => {
  const v = VocabCompaction.fromCorpus(
    [
      [500, 7, 151645],
      [7, 42],
    ],
    [151643, 151669],
  );
  assert.equal(v.size, 6);
  assert.deepEqual(v.toJSON(), { fullIds: [7, 42, 500, 151643, 151645, 151669] });
  assert.deepEqual(v.toCompact([151669, 7, 500]), [5, 0, 2]);
  assert.deepEqual(v.toFull([5, 0, 2]), [151669, 7, 500]);
  assert.ok(v.has(42) && !v.has(43));
  const back = VocabCompaction.fromJSON(JSON.parse(JSON.stringify(v)));
  assert.deepEqual(back.toCompact([42, 151645]), [1, 4]);
});

test("vocab compaction: clear errors outside the compact vocabulary", () => {
  const v = new VocabCompaction([3, 1, 2, 3]);
  assert.equal(v.size, 3);
  assert.throws(() => v.toCompact([1, 99]), /token id 99 is not in the compact vocabulary \(3 ids/);
  assert.throws(() => v.toFull([3]), /compact id 3 is outside 0\.\.2/);
  assert.throws(() => new VocabCompaction([-1]), /not a token id/);
  assert.throws(() => VocabCompaction.fromJSON({} as never), /expected \{ fullIds/);
});
