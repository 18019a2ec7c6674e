/** --clean-titles: HTML-fragment titles become one title per item; real titles (entities included) stay. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadDataSource } from "../../src/data/data-source.js";
import { cleanJunkTitles, isJunkTitle } from "../../src/data/title-cleaning.js";
import type { Example, Item } from "../../src/data/types.js";
import { SHARED_DATA_MISSING, sharedDataDir } from "../support/shared-data.js";

test("junk titles: HTML tag fragments and blanks; real titles with entities or angle brackets in prose are kept", () => {
  for (const junk of ['<span class="a-size-medium a-color-secondary a-text-normal', "</div>", "<br/>", "  ", ""]) {
    assert.ok(isJunkTitle(junk), junk);
  }
  for (const real of ["Caf&eacute; Blue", "Greatest Hits", "1 < 2 > 0", "Love <3", "<3 Songs"]) {
    assert.ok(!isJunkTitle(real), real);
  }
});

test("cleaning renames junk items everywhere (catalogue, histories, targets) and notes it in the protocol", () => {
  const items: Item[] = [
    { id: 0, title: "<span class=x" },
    { id: 1, title: "<span class=x", asin: "B01" },
    { id: 2, title: "Blue" },
  ];
  const ex = (h: number[], t: number): Example => ({
    userId: "u",
    history: h.map((i) => items[i]!),
    target: items[t]!,
  });
  const splits = { train: [ex([0, 2], 1)], valid: [ex([1], 2)], test: [ex([2], 0)], protocol: "p" };
  const out = cleanJunkTitles(items, splits);
  assert.equal(out.cleaned, 2);
  assert.deepEqual(
    out.items.map((i) => i.title),
    ["untitled item 0", "untitled item B01", "Blue"],
  );
  assert.deepEqual(
    out.splits.train[0]!.history.map((i) => i.title),
    ["untitled item 0", "Blue"],
  );
  assert.equal(out.splits.train[0]!.target.title, "untitled item B01");
  assert.equal(out.splits.test[0]!.target.title, "untitled item 0");
  assert.match(out.splits.protocol, /^p; 2 junk \(HTML-fragment\) title\(s\) replaced/);
  assert.equal(items[0]!.title, "<span class=x", "the input is not modified");
});

test("on the shared CDs data: the 29 span-fragment items get titles of their own", async (t) => {
  const root = sharedDataDir();
  if (!root) return t.skip(SHARED_DATA_MISSING);
  const source = await loadDataSource({ data: join(root, "amazon-cds"), cleanTitles: true });
  assert.equal(source.items.filter((i) => i.title.startsWith("untitled item ")).length, 29);
  assert.equal(source.items.filter((i) => isJunkTitle(i.title)).length, 0);
  assert.equal(source.splits.test.filter((e) => e.target.title.startsWith("untitled item ")).length, 87);
});
