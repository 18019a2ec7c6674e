/**
 * Properties of the baseline models that need no reference numbers: causality (a later item never
 * changes an earlier position's output), padding never reaching a real output, save/load round trip,
 * the catalogue check, and configs and rows that are wrong failing with errors that say where.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { noGrad, tidy } from "../../src/engine/index.js";
import {
  ItemVocabulary,
  UserVocabulary,
  baselineConfig,
  checkCatalogue,
  createBaseline,
  loadBaseline,
  saveBaseline,
  scoreAllItems,
  sequenceBatch,
  sequenceRows,
  validateBaselineConfig,
  type SequenceRow,
} from "../../src/baselines/index.js";
import type { Example, Item } from "../../src/data/types.js";
import { tempDir } from "../support/helpers.js";
import { assertClose } from "../support/assert-close.js";

const ITEMS: Item[] = Array.from({ length: 20 }, (_, i) => ({ id: 100 + i, title: `t${i % 15}` }));
const vocab = new ItemVocabulary(ITEMS);

function row(history: number[], target = 5, user = 0): SequenceRow {
  return { history: Int32Array.from(history), target, user };
}

for (const arch of ["sasrec", "gru4rec"] as const) {
  test(`${arch}: changing a later item never changes an earlier position's output`, () => {
    const model = createBaseline(baselineConfig(arch, vocab, null, { max_len: 6 }), { seed: 3 });
    const base = [3, 9, 4, 17, 2, 11];
    noGrad(() =>
      tidy(() => {
        const outputs = (history: number[]) =>
          model.sequenceQueries!(sequenceBatch([row(history)], { maxLen: 6, padding: model.padding }), {
            training: false,
          });
        const reference = outputs(base);
        for (let changed = 1; changed < base.length; changed++) {
          const other = base.slice();
          other[changed] = (other[changed]! % 20) + 1;
          const out = outputs(other);
          for (let p = 0; p < base.length; p++) {
            const same = reference.select(1, p).sub(out.select(1, p)).abs().amax().item() === 0;
            assert.equal(same, p < changed, `position ${p} after changing position ${changed}`);
          }
        }
      }),
    );
  });
}

test("left padding: how many pads precede a history does not change its final query (SASRec, Caser)", () => {
  for (const arch of ["sasrec", "caser"] as const) {
    const model = createBaseline(baselineConfig(arch, vocab, null), { seed: 4 });
    noGrad(() =>
      tidy(() => {
        const rows = [row([4, 8]), row([1, 2, 3, 4, 8])];
        const batch = sequenceBatch(rows, { maxLen: model.config.max_len, padding: model.padding });
        const single = sequenceBatch([rows[0]!], { maxLen: model.config.max_len, padding: model.padding });
        const both = model.finalQuery(batch, { training: false });
        assertClose(both.select(0, 0).toList(), model.finalQuery(single, { training: false }).squeeze(0).toList(), {
          atol: 1e-6,
        });
      }),
    );
  }
});

test("gru4rec: right padding keeps a row's final query independent of the other rows' lengths", () => {
  const model = createBaseline(baselineConfig("gru4rec", vocab, null), { seed: 5 });
  noGrad(() =>
    tidy(() => {
      const alone = sequenceBatch([row([6, 7])], { maxLen: 10, padding: "right" });
      const mixed = sequenceBatch([row([6, 7]), row([1, 2, 3, 4, 5, 6, 7])], { maxLen: 10, padding: "right" });
      assert.equal(mixed.width, 7);
      assertClose(
        model.finalQuery(mixed, { training: false }).select(0, 0).toList(),
        model.finalQuery(alone, { training: false }).squeeze(0).toList(),
        { atol: 1e-6 },
      );
    }),
  );
});

test("sequenceBatch: truncation to the last max_len items, next items, last positions, both paddings", () => {
  const rows = [row([1, 2, 3, 4], 9), row([7], 8)];
  const left = sequenceBatch(rows, { maxLen: 3, padding: "left" });
  assert.deepEqual(left.items.toList(), [2, 3, 4, 0, 0, 7]);
  assert.deepEqual(left.nextItems.toList(), [3, 4, 9, 0, 0, 8]);
  assert.deepEqual(left.last.toList(), [2, 2]);
  const right = sequenceBatch(rows, { maxLen: 3, padding: "right" });
  assert.deepEqual(right.items.toList(), [2, 3, 4, 7, 0, 0]);
  assert.deepEqual(right.nextItems.toList(), [3, 4, 9, 8, 0, 0]);
  assert.deepEqual(right.last.toList(), [2, 0]);
  assert.deepEqual(right.targets.toList(), [9, 8]);
});

for (const arch of ["sasrec", "gru4rec", "caser"] as const) {
  test(`${arch}: save and load give the same scores; another catalogue is refused`, () => {
    const users = UserVocabulary.fromExamples([
      { userId: "a", history: [ITEMS[0]!], target: ITEMS[1]! },
      { userId: "b", history: [ITEMS[2]!], target: ITEMS[3]! },
    ]);
    const model = createBaseline(baselineConfig(arch, vocab, users), { seed: 6, users });
    const dir = tempDir("baseline-model");
    saveBaseline(model, dir);
    const loaded = loadBaseline(dir);
    assert.deepEqual(loaded.config, model.config);
    noGrad(() =>
      tidy(() => {
        const batch = sequenceBatch([row([1, 2, 3], 4, 2), row([5], 6, 0)], {
          maxLen: model.config.max_len,
          padding: model.padding,
        });
        assert.deepEqual(scoreAllItems(loaded, batch).toList(), scoreAllItems(model, batch).toList());
      }),
    );
    checkCatalogue(loaded, vocab, dir);
    const other = new ItemVocabulary(ITEMS.map((i) => (i.id === 105 ? { ...i, title: "renamed" } : i)));
    assert.throws(
      () => checkCatalogue(loaded, other, dir),
      /trained on another catalogue \(20 items, fingerprint [0-9a-f]{16}\) than this data's \(20 items/,
    );
  });
}

test("caser: user embeddings for training users, a zero row for users training never saw", () => {
  const users = new UserVocabulary(["a", "b"]);
  assert.equal(users.indexOf("b"), 2);
  assert.equal(users.indexOf("stranger"), 0);
  const model = createBaseline(baselineConfig("caser", vocab, users), { seed: 7, users });
  assert.deepEqual(model.store.params.get("user_embeddings.weight")!.shape, [3, 64]);
  assert.ok(model.store.params.get("user_embeddings.weight")!.select(0, 0).abs().amax().item() === 0);
  assert.deepEqual(model.itemWeight.shape, [21, 128]);
  const without = createBaseline(baselineConfig("caser", vocab, null), { seed: 7 });
  assert.equal(without.store.params.get("user_embeddings.weight"), undefined);
  assert.deepEqual(without.itemWeight.shape, [21, 64]);
});

test("rows the baselines cannot use fail naming the split, the row, the user and the item", () => {
  const ok: Example = { userId: "u1", history: [ITEMS[0]!, ITEMS[1]!], target: ITEMS[2]! };
  const rows = sequenceRows([ok], vocab, null, "train");
  assert.deepEqual([...rows[0]!.history], [1, 2]);
  assert.equal(rows[0]!.target, 3);
  const missing: Example = { userId: "u7", history: [ITEMS[0]!, { id: 999, title: "ghost" }], target: ITEMS[2]! };
  assert.throws(
    () => sequenceRows([ok, missing], vocab, null, "train"),
    /^Error: train row 2 \(user "u7"\): history item 2 item id 999 is not in the catalogue \(20 items\)/,
  );
  assert.throws(
    () => sequenceRows([{ userId: "u8", history: [], target: ITEMS[2]! }], vocab, null, "test"),
    /^Error: test row 1 \(user "u8"\): empty history; expected at least one history item/,
  );
  const noIds = { userId: "u9", history: [{ title: "x" } as Item], target: ITEMS[2]! };
  assert.throws(
    () => sequenceRows([noIds], vocab, null, "valid"),
    /valid row 1 .*no integer item id \(got undefined\)/,
  );
  assert.throws(
    () => new ItemVocabulary([{ id: Number.NaN, title: "x" }]),
    /has id NaN; the baselines need non-negative integer item ids/,
  );
});

test("configs: unknown settings, bad numbers and unknown architectures are refused with the field named", () => {
  assert.throws(() => baselineConfig("sasrec", vocab, null, { hidden: 8 }), /sasrec: unknown setting "hidden"/);
  assert.throws(
    () => baselineConfig("sasrec", vocab, null, { hidden_size: 10, num_heads: 4 }),
    /"hidden_size" 10 is not divisible by "num_heads" 4/,
  );
  assert.throws(
    () => baselineConfig("gru4rec", vocab, null, { dropout: 1 }),
    /"dropout" is 1; expected a number in \[0, 1\)/,
  );
  assert.throws(
    () => validateBaselineConfig({ model_type: "bert4rec" }, "x/config.json"),
    /x\/config.json: "model_type" is "bert4rec"/,
  );
  assert.throws(
    () => validateBaselineConfig({ ...baselineConfig("caser", vocab, null), num_users: -1 }, "c.json"),
    /c.json: "num_users" is -1; expected an integer >= 0/,
  );
});
