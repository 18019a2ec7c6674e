import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildAmazonDataset, preprocessAmazon, resolveSelectionOptions } from "../../src/data/amazon/preprocess.js";
import { PythonRandom } from "../../src/data/amazon/python-random.js";
import { cleanTitle, isTitleKept } from "../../src/data/amazon/titles.js";
import { monthStart, widen } from "../../src/data/amazon/kcore.js";
import type { RawMetaRecord, RawReviews } from "../../src/data/amazon/raw.js";
import { readRawMeta, readRawReviews } from "../../src/data/amazon/raw.js";
import { buildExamples, splitPoints } from "../../src/data/sequences.js";
import { JUNK, REVIEWS, writeRaw } from "../support/raw-fixture.js";
import { tempDir } from "../support/helpers.js";

test("CPython random: seed(42) getrandbits and shuffle match CPython 3", () => {
  const r = new PythonRandom(42);
  assert.deepEqual([r.getrandbits(32), r.getrandbits(32), r.getrandbits(32)], [2746317213, 478163327, 107420369]);
  assert.deepEqual(new PythonRandom(42).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), [7, 3, 2, 8, 5, 6, 9, 4, 0, 1]);
  const big = new PythonRandom(42).shuffle(Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(big.slice(0, 10), [776, 507, 895, 922, 33, 483, 85, 750, 354, 523]);
  assert.deepEqual(big.slice(-5), [281, 759, 25, 114, 654]);
  assert.deepEqual(new PythonRandom(7).shuffle([0, 1, 2, 3, 4]), [4, 0, 3, 1, 2]);
  assert.equal(new PythonRandom(2 ** 40 + 5).getrandbits(32), 2166296868); // multi-word seed key
});

test("title cleaning in the reference order; kept iff > 1 character and ≤ 20 space-separated words", () => {
  assert.equal(cleanTitle("  &quot;Beta&quot; &amp; Co  "), 'Beta" & Co');
  assert.equal(cleanTitle("&amp;quot;Delta&amp;quot;"), "&quot;Delta&quot;");
  assert.equal(
    cleanTitle(cleanTitle("&amp;quot;Delta&amp;quot;")),
    "Delta",
    "not idempotent: a second pass decodes again",
  );
  assert.equal(cleanTitle('"  Iota  "'), "  Iota  ");
  assert.equal(cleanTitle("Caf&eacute; &#39;n&#39; Bar"), "Caf&eacute; &#39;n&#39; Bar");
  assert.ok(!isTitleKept("X"));
  assert.ok(isTitleKept("XY"));
  assert.ok(!isTitleKept("🎵"), "one code point");
  assert.ok(isTitleKept(Array.from({ length: 20 }, (_, i) => `w${i}`).join(" ")));
  assert.ok(!isTitleKept(Array.from({ length: 21 }, (_, i) => `w${i}`).join(" ")));
  assert.ok(
    !isTitleKept(`${Array.from({ length: 19 }, (_, i) => `w${i}`).join(" ")}  x`),
    "a double space counts as an empty word",
  );
});

test("month bounds and widening", () => {
  assert.equal(monthStart({ year: 2018, month: 11 }, "utc"), 1541030400);
  assert.equal(monthStart({ year: 2017, month: 10 }, "local"), new Date(2017, 9, 1).getTime() / 1000);
  assert.deepEqual(widen({ year: 2017, month: 10 }, 3), { year: 2017, month: 7 });
  assert.deepEqual(widen({ year: 2017, month: 1 }, 3), { year: 2016, month: 10 });
  assert.deepEqual(widen({ year: 2017, month: 10 }, 12), { year: 2016, month: 10 });
});

test("user sequences: stable sort by time, history window of 10, global split at int(0.8N), int(0.9N)", () => {
  const item = (id: number) => ({ id, title: `t${id}` });
  // Given out of time order, with a timestamp tie between items 3 and 4 (file order must be kept).
  const ts = [5, 1, 3, 3, 2, 6, 7, 8, 9, 10, 11, 12];
  const examples = buildExamples(ts.map((t, i) => ({ userId: "u", item: item(i), timestamp: t, rating: 5 })));
  assert.equal(examples.length, 11);
  // time order: item1(1) item4(2) item2(3) item3(3) item0(5) item5(6) ...
  assert.deepEqual(
    examples[0]!.history.map((h) => h.id),
    [1],
  );
  assert.equal(examples[0]!.target.id, 4);
  assert.deepEqual(
    examples[2]!.history.map((h) => h.id),
    [1, 4, 2],
  );
  assert.equal(examples[2]!.target.id, 3);
  const last = examples[10]!;
  assert.deepEqual(
    last.history.map((h) => h.id),
    [4, 2, 3, 0, 5, 6, 7, 8, 9, 10],
  );
  assert.equal(last.target.id, 11);
  assert.deepEqual(splitPoints(61564), [49251, 55407]); // CDs: train 49251, valid 6156, test 6157
  assert.deepEqual(splitPoints(9), [7, 8]);
  assert.deepEqual(splitPoints(10), [8, 9]);
});

// ---------------------------------------------------------------------------------------------
// A small raw category whose output is worked out by hand (see the comments).

const OPTIONS = {
  k: 2,
  start: { year: 2018, month: 8 },
  end: { year: 2018, month: 11 },
  itemThreshold: 4,
  widenMonths: 3,
};

test("preprocess: window widening, iterative K-core with duplicates counted, ids, split, exact files", async () => {
  const dir = tempDir("raw");
  writeRaw(dir);
  const messages: string[] = [];
  const result = await preprocessAmazon({
    category: "Test",
    rawDir: dir,
    outDir: join(dir, "out"),
    ...OPTIONS,
    log: (m) => messages.push(m),
  });
  // 2018-8..2018-11 holds 3 items (A, B, C) < 4: widen by 3 months to 2018-5. There the K-core
  // cascades: pass 1 drops u7 (only K counts), pass 2 drops K (now only u8), pass 3 drops u8.
  assert.deepEqual(
    result.passes.map((p) => [`${p.start.year}-${p.start.month}`, p.pass, p.users, p.items, p.reviews]),
    [
      ["2018-8", 1, 2, 3, 5],
      ["2018-5", 1, 8, 7, 18],
      ["2018-5", 2, 7, 7, 17],
      ["2018-5", 3, 7, 6, 16],
      ["2018-5", 4, 6, 6, 15],
    ],
  );
  assert.equal(result.stem, "Test_2_2018-5-2018-11");
  assert.deepEqual(result.counts, { train: 7, valid: 1, test: 1 });
  assert.equal(result.users, 6);
  assert.equal(result.items, 6);
  assert.ok(messages.some((m) => m.includes("pass 4")));
  // First appearance B, A, C, H, I, J; CPython seed(42) shuffle → H, A, C, I, B, J get ids 0..5.
  assert.equal(
    readFileSync(result.files.info, "utf8"),
    `${JUNK}\t0\nAlpha\t1\nGamma\t2\nIota\t3\nBeta" & Co\t4\nAlpha\t5\n`,
  );
  const header =
    "user_id,item_asins,item_asin,history_item_id,item_id,history_item_title,item_title,history_rating,rating,history_timestamp,timestamp\r\n";
  assert.equal(
    readFileSync(result.files.test, "utf8"),
    header +
      `u2,"['A', 'B']",C,"[1, 4]",2,"['Alpha', 'Beta"" & Co']",Gamma,"[4.0, 5.0]",5.0,"[1534032000, 1534118400]",1541030400\r\n`,
  );
  assert.equal(
    readFileSync(result.files.valid, "utf8"),
    header + `u2,['A'],B,[1],4,['Alpha'],"Beta"" & Co",[4.0],5.0,[1534032000],1534118400\r\n`,
  );
  const junkCell = `"${JUNK.replaceAll('"', '""')}"`;
  assert.equal(
    readFileSync(result.files.train, "utf8"),
    header +
      [
        `u3,['C'],A,[2],1,['Gamma'],Alpha,[5.0],4.0,[1527811200],1527811200`,
        `u3,"['C', 'A']",H,"[2, 1]",0,"['Gamma', 'Alpha']",${junkCell},"[5.0, 4.0]",2.0,"[1527811200, 1527811200]",1527984000`,
        `u4,['C'],H,[2],0,['Gamma'],${junkCell},[5.0],5.0,[1528070400],1528156800`,
        `u4,"['C', 'H']",I,"[2, 0]",3,"['Gamma', '${JUNK.replaceAll('"', '""')}']",Iota,"[5.0, 5.0]",3.0,"[1528070400, 1528156800]",1528243200`,
        `u5,['I'],I,[3],3,['Iota'],Iota,[5.0],4.0,[1525132800],1528329600`,
        `u6,['J'],J,[5],5,['Alpha'],Alpha,[5.0],5.0,[1528588800],1528588800`,
        `u1,['A'],B,[1],4,['Alpha'],"Beta"" & Co",[5.0],3.0,[1533859200],1533945600`,
      ].join("\r\n") +
      "\r\n",
  );
});

async function loadRaw(): Promise<{ reviews: RawReviews; meta: RawMetaRecord[] }> {
  const dir = tempDir("raw");
  writeRaw(dir);
  const reviews = await readRawReviews(join(dir, "Test_5.json.gz"), 1541030400);
  return { reviews, meta: await readRawMeta(join(dir, "meta_Test.json"), reviews.asins) };
}

test("preprocess options: drop HTML junk titles, de-duplicate, stop year", async () => {
  let raw = await loadRaw();
  assert.equal(raw.reviews.user.length, REVIEWS.length - 1, "the review after the end bound is dropped on load");
  const noJunk = buildAmazonDataset(
    raw.reviews,
    raw.meta,
    resolveSelectionOptions({ ...OPTIONS, dropHtmlTitles: true }),
  );
  assert.deepEqual(noJunk.catalogue.map((i) => i.title).sort(), ["Alpha", "Alpha", 'Beta" & Co', "Gamma", "Iota"]);

  raw = await loadRaw(); // titles are cleaned in place per run: start from fresh metadata
  const dedup = buildAmazonDataset(
    raw.reviews,
    raw.meta,
    resolveSelectionOptions({ ...OPTIONS, dropHtmlTitles: true, dedupe: "exact" }),
  );
  // Without u6's duplicate review, u6 and J fall below K = 2.
  assert.deepEqual(dedup.catalogue.map((i) => i.title).sort(), ["Alpha", 'Beta" & Co', "Gamma", "Iota"]);
  assert.ok(!dedup.examples.some((e) => e.userId === "u6"));

  raw = await loadRaw();
  // From 1997-2 one 3-month step reaches 1996-11; from a 1996 start the reference no longer aborts.
  const old = buildAmazonDataset(
    raw.reviews,
    raw.meta,
    resolveSelectionOptions({ ...OPTIONS, start: { year: 1997, month: 2 }, itemThreshold: 100 }),
  );
  assert.deepEqual(old.selection.start, { year: 1996, month: 11 });
  raw = await loadRaw();
  assert.throws(
    () =>
      buildAmazonDataset(
        raw.reviews,
        raw.meta,
        resolveSelectionOptions({ ...OPTIONS, start: { year: 1995, month: 6 } }),
      ),
    /before 1996/,
  );
});

test("preprocess: missing raw files and bad JSON lines are clear errors", async () => {
  const dir = tempDir("raw");
  await assert.rejects(
    preprocessAmazon({ category: "Nope", rawDir: dir, outDir: dir }),
    /missing raw files for Nope: need Nope_5\.json/,
  );
  writeFileSync(
    join(dir, "Bad_5.json"),
    '{"reviewerID": "u", "asin": "a", "unixReviewTime": 1, "overall": 5.0}\n{not json}\n',
  );
  writeFileSync(join(dir, "meta_Bad.json"), "");
  await assert.rejects(preprocessAmazon({ category: "Bad", rawDir: dir, outDir: dir }), /Bad_5\.json:2: invalid JSON/);
  writeFileSync(join(dir, "Bad_5.json"), '{"reviewerID": "u", "asin": "a", "unixReviewTime": "x", "overall": 5.0}\n');
  await assert.rejects(
    preprocessAmazon({ category: "Bad", rawDir: dir, outDir: dir }),
    /Bad_5\.json:1 \(field "unixReviewTime"\): got "x"; expected an integer unixReviewTime/,
  );
});
