import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatCatalogue } from "../../src/data/catalogue.js";
import { loadDataset } from "../../src/data/dataset.js";
import { formatExamplesCsv } from "../../src/data/writer.js";
import { sharedDataDir, SHARED_DATA_MISSING } from "../support/shared-data.js";
import { join } from "node:path";

const shared = sharedDataDir();

// Counts from shared/data/README.md and spec 1.3/1.6.
const EXPECTED = [
  { folder: "amazon-cds", layout: "d3", valid: 6156, test: 6157, items: 5841, distinctTitles: 5377 },
  { folder: "amazon-industrial", layout: "d3", valid: 4532, test: 4533, items: 3686, distinctTitles: 3646 },
  { folder: "amazon-office", layout: "minionerec", valid: 4866, test: 4866, items: 3459, distinctTitles: 3443 },
] as const;

for (const e of EXPECTED) {
  test(`real data ${e.folder}: row and item counts, every row resolves against the catalogue, exact round trip`, async (t) => {
    if (!shared) {
      t.skip(SHARED_DATA_MISSING);
      return;
    }
    const ds = await loadDataset(join(shared, e.folder));
    assert.equal(ds.layout, e.layout);
    assert.equal(ds.catalogue.size, e.items);
    assert.equal(ds.catalogue.titles.length, e.distinctTitles);
    assert.equal(ds.splits.train, undefined, "the shared data has no train split");
    assert.equal(ds.splits.valid!.length, e.valid);
    assert.equal(ds.splits.test!.length, e.test);
    // Re-writing gives the published bytes: the reader lost nothing and the writer adds nothing.
    assert.equal(formatCatalogue(ds.catalogue.items, e.layout), readFileSync(ds.files.info, "utf8"));
    for (const split of ["valid", "test"] as const) {
      const original = readFileSync(ds.files.splits[split]!, "utf8");
      assert.ok(formatExamplesCsv(ds.splits[split]!, e.layout) === original, `${split} CSV differs after a round trip`);
    }
  });
}

test("real data amazon-cds: spec 1.6 facts (users, history lengths, sample row, junk titles)", async (t) => {
  if (!shared) {
    t.skip(SHARED_DATA_MISSING);
    return;
  }
  const ds = await loadDataset(join(shared, "amazon-cds"));
  const test_ = ds.splits.test!;
  const valid = ds.splits.valid!;
  assert.equal(new Set(valid.map((x) => x.userId)).size, 1907);
  assert.equal(new Set(test_.map((x) => x.userId)).size, 1723);
  const hist = new Array<number>(10).fill(0);
  for (const x of test_) hist[x.history.length - 1]!++;
  assert.deepEqual(hist, [380, 455, 607, 853, 636, 503, 370, 287, 225, 1841]);
  const sample = test_[5]!; // line 7 = header + 6th row
  assert.equal(sample.userId, "AVDLYN3JVVKNK");
  assert.deepEqual(
    sample.history.map((h) => h.title),
    ["Wish You Were Here", "Best of Kansas", "High Voltage"],
  );
  assert.equal(sample.target.title, "Turn It On Again: The Hits");
  const junk = '<span class="a-size-medium a-color-secondary a-text-normal';
  assert.equal(ds.catalogue.itemsWithTitle(junk).length, 29);
  assert.equal(test_.filter((x) => x.target.title === junk).length, 87);
  assert.equal(Math.min(...test_.map((x) => x.timestamp!)), 1518134400);
  assert.equal(Math.max(...test_.map((x) => x.timestamp!)), 1538352000);
});
