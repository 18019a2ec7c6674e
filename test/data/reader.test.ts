import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatCatalogue, ItemCatalogue, readCatalogue } from "../../src/data/catalogue.js";
import { BadRowError, DataFormatError } from "../../src/data/errors.js";
import { D3_HEADER } from "../../src/data/layouts.js";
import { readAllExamples, readExamples } from "../../src/data/reader.js";
import { formatExamplesCsv, writeExamplesCsv } from "../../src/data/writer.js";
import type { Example } from "../../src/data/types.js";
import { tempDir } from "../support/helpers.js";

const tmp = (): string => tempDir("reader");

/** Spec 1.6 sample row (test file, line 7), as an Example. */
const SAMPLE: Example = {
  userId: "AVDLYN3JVVKNK",
  history: [
    { id: 5652, title: "Wish You Were Here", asin: "B00000254C" },
    { id: 1345, title: "Best of Kansas", asin: "B0000025ZB" },
    { id: 4173, title: "High Voltage", asin: "B000002JS0" },
  ],
  target: { id: 5425, title: "Turn It On Again: The Hits", asin: "B00001ZULV" },
  historyTimestamps: [1518134400, 1518134400, 1518134400],
  timestamp: 1518134400,
  historyRatings: [5, 5, 5],
  rating: 5,
};
const SAMPLE_LINE =
  `AVDLYN3JVVKNK,"['B00000254C', 'B0000025ZB', 'B000002JS0']",B00001ZULV,"[5652, 1345, 4173]",5425,` +
  `"['Wish You Were Here', 'Best of Kansas', 'High Voltage']",Turn It On Again: The Hits,"[5.0, 5.0, 5.0]",5.0,` +
  `"[1518134400, 1518134400, 1518134400]",1518134400`;

const TRICKY: Example = {
  userId: "U2",
  history: [
    { id: 1, title: "Pure 60's: The #1 Hits", asin: "A1" },
    { id: 2, title: 'Pendaflex Tabs, 2", Clear', asin: "A2" },
    { id: 3, title: `It's 2" wide, "really"`, asin: "A3" },
    { id: 4, title: "Magic\\Daydream", asin: "A4" },
    { id: 5, title: "Beyoncé – Lemonade ♪", asin: "A5" },
  ],
  target: { id: 6, title: 'Say "Hi", Again', asin: "A6" },
  historyTimestamps: [1, 2, 3, 4, 5],
  timestamp: 6,
  historyRatings: [1, 2.5, 3, 4, 5],
  rating: 4,
};

test("D3 writer reproduces the spec's sample row byte for byte", () => {
  assert.equal(formatExamplesCsv([SAMPLE], "d3"), `${D3_HEADER.join(",")}\r\n${SAMPLE_LINE}\r\n`);
});

test("D3 round trip: write then read gives the same examples", async () => {
  const path = join(tmp(), "x.csv");
  assert.equal(await writeExamplesCsv(path, [SAMPLE, TRICKY], "d3"), 2);
  const read = await readAllExamples(path);
  assert.equal(read.layout, "d3");
  assert.deepEqual(read.examples, [SAMPLE, TRICKY]);
  assert.equal(formatExamplesCsv(read.examples, "d3"), readFileSync(path, "utf8"));
});

test("MiniOneRec round trip (LF line ends, semantic ids)", async () => {
  const ex: Example = {
    userId: "A1179",
    history: [
      { id: 384, title: 'Tabs, 2", Clear', sid: "<a_55><b_205><c_143>" },
      { id: 0, title: "HP 74 Black & 75 Tri-color", sid: "<a_60><b_159><c_203>" },
    ],
    target: { id: 1595, title: "LINKYO Toner (Black, 2-Pack)", sid: "<a_183><b_194><c_122>" },
  };
  const path = join(tmp(), "m.csv");
  await writeExamplesCsv(path, [ex], "minionerec");
  const text = readFileSync(path, "utf8");
  assert.ok(
    text.startsWith("user_id,history_item_title,item_title,history_item_id,item_id,history_item_sid,item_sid\n"),
  );
  assert.ok(!text.includes("\r"));
  const read = await readAllExamples(path);
  assert.equal(read.layout, "minionerec");
  assert.deepEqual(read.examples, [ex]);
});

test("catalogue round trip in both info layouts; titles are not unique", async () => {
  const items = [
    { id: 0, title: "Greatest Hits, Vol. 2" },
    { id: 1, title: "Greatest Hits" },
    { id: 2, title: "Let's Get It On\tRemastered" },
    { id: 3, title: "Greatest Hits" },
  ];
  const dir = tmp();
  writeFileSync(join(dir, "d3.txt"), formatCatalogue(items));
  assert.equal(
    formatCatalogue(items),
    "Greatest Hits, Vol. 2\t0\nGreatest Hits\t1\nLet's Get It On\tRemastered\t2\nGreatest Hits\t3\n",
  );
  const cat = await readCatalogue(join(dir, "d3.txt"));
  assert.deepEqual(cat.items, items);
  assert.deepEqual(cat.titles, ["Greatest Hits, Vol. 2", "Greatest Hits", "Let's Get It On\tRemastered"]);
  assert.deepEqual(
    cat.itemsWithTitle("Greatest Hits").map((i) => i.id),
    [1, 3],
  );
  assert.deepEqual(cat.itemsWithTitle("nope"), []);
  assert.equal(cat.byId(2)!.title, "Let's Get It On\tRemastered");
  assert.equal(cat.duplicateTitles().length, 1);

  const sidItems = [
    { id: 0, title: "HP 74 Black", sid: "<a_60><b_159><c_203>" },
    { id: 1, title: "Shredder", sid: "<a_204><b_229><c_36>" },
  ];
  writeFileSync(join(dir, "m.txt"), formatCatalogue(sidItems, "minionerec"));
  assert.deepEqual((await readCatalogue(join(dir, "m.txt"))).items, sidItems);
  assert.throws(() => formatCatalogue([{ id: 0, title: "a\nb" }]), /cannot be stored/);
});

const HEADER = D3_HEADER.join(",");
function d3Row(
  user: string,
  ids: string,
  titles: string,
  target: string,
  targetTitle: string,
  stamps: string,
  ts = "100",
  extra = "",
): string {
  const n = (ids.match(/\d+/g) ?? []).length;
  const asins = `"[${Array.from({ length: n }, (_, i) => `'X${i}'`).join(", ")}]"`;
  const ratings = `"[${Array.from({ length: n }, () => "5.0").join(", ")}]"`;
  return `${user},${asins},T,"${ids}",${target},"${titles}",${targetTitle},${ratings},5.0,"${stamps}",${ts}${extra}`;
}

const BAD_ROWS = [
  /* 2 */ d3Row("good1", "[0, 1]", "['Alpha', 'Beta']", "2", "Gamma", "[1, 2]"),
  /* 3 */ "short,row",
  /* 4 */ d3Row("lit", "[0]", "['Alpha]", "1", "Beta", "[1]"),
  /* 5 */ d3Row("len", "[0, 1]", "['Alpha']", "2", "Gamma", "[1, 2]"),
  /* 6 */ d3Row("miss", "[0]", "['Alpha']", "99", "Nope", "[1]"),
  /* 7 */ `empty,"[]",T,"[]",1,"[]",Beta,"[]",5.0,"[]",100`,
  /* 8 */ d3Row("num", "[0]", "['Alpha']", "1", "Beta", "[1]", "abc"),
  /* 9 */ `syn,x"y,T,"[0]",1,"['Alpha']",Beta,"[5.0]",5.0,"[1]",100`,
  /* 10 */ d3Row("title", "[0]", "['Alpha']", "1", "Wrong Title", "[1]"),
  /* 11 */ d3Row("good2", "[1]", "['Beta']", "0", "Alpha", "[3]"),
];
const CATALOGUE = new ItemCatalogue([
  { id: 0, title: "Alpha" },
  { id: 1, title: "Beta" },
  { id: 2, title: "Gamma" },
]);

function writeBadFile(): string {
  const path = join(tmp(), "bad.csv");
  writeFileSync(path, [HEADER, ...BAD_ROWS].join("\r\n") + "\r\n");
  return path;
}

test("bad rows: skipBadRows counts one row per reason and keeps only the good rows", async () => {
  const path = writeBadFile();
  const read = await readAllExamples(path, { catalogue: CATALOGUE, skipBadRows: true });
  assert.deepEqual(
    read.examples.map((e) => e.userId),
    ["good1", "good2"],
  );
  assert.deepEqual(read.skipped.toJSON(), {
    "csv-syntax": 1,
    "column-count": 1,
    "bad-literal": 1,
    "bad-number": 1,
    "length-mismatch": 1,
    "empty-history": 1,
    "missing-from-catalogue": 1,
    "title-mismatch": 1,
  });
  assert.equal(read.skipped.total, 8);
  assert.equal(read.skipped.first("missing-from-catalogue")!.line, 6);
});

test("bad rows: without skipping, each bad row throws naming file, line, field and what was expected", async () => {
  const expectations: Array<[number, string, string | undefined, RegExp]> = [
    [3, "column-count", undefined, /row has 2 column\(s\); expected 11 columns/],
    [4, "bad-literal", "history_item_title", /unterminated string literal.*expected a Python list of strings/],
    [5, "length-mismatch", "history_item_title", /history_item_title has 1 element\(s\) but history_item_id has 2/],
    [6, "missing-from-catalogue", "item_id", /item id 99 is not in the catalogue/],
    [7, "empty-history", "history_item_id", /empty history.*expected at least one history item/],
    [8, "bad-number", "timestamp", /not an integer: got "abc"/],
    [9, "csv-syntax", undefined, /quote inside an unquoted field/],
    [10, "title-mismatch", "item_id", /titled "Beta" in the catalogue: got "Wrong Title"/],
  ];
  for (const [line, reason, field, re] of expectations) {
    const path = join(tmp(), "one.csv");
    writeFileSync(path, [HEADER, BAD_ROWS[0], BAD_ROWS[line - 2]].join("\r\n"));
    await assert.rejects(
      readAllExamples(path, { catalogue: CATALOGUE }),
      (e: unknown) => {
        assert.ok(e instanceof BadRowError, String(e));
        assert.equal(e.reason, reason);
        assert.equal(e.file, path);
        assert.equal(e.line, 3);
        assert.equal(e.field, field);
        assert.ok(e.message.startsWith(`${path}:3`), e.message);
        assert.match(e.message, re);
        return true;
      },
      reason,
    );
  }
  // The full file stops at its first bad row, line 3.
  await assert.rejects(readAllExamples(writeBadFile(), { catalogue: CATALOGUE }), /bad\.csv:3: row has 2 column/);
});

test("wrong header and empty file are errors even with skipBadRows", async () => {
  const dir = tmp();
  writeFileSync(join(dir, "h.csv"), "user,items\r\na,b\r\n");
  await assert.rejects(readAllExamples(join(dir, "h.csv"), { skipBadRows: true }), (e: unknown) => {
    assert.ok(e instanceof DataFormatError && !(e instanceof BadRowError));
    assert.match(e.message, /h\.csv:1: unrecognised header "user,items"; expected the D3 header "user_id,item_asins/);
    return true;
  });
  writeFileSync(join(dir, "e.csv"), "");
  await assert.rejects(readAllExamples(join(dir, "e.csv")), /e\.csv:1: the file is empty; expected a header row/);
});

test("readExamples streams: the layout is known after the first example and the stream iterates once", async () => {
  const path = join(tmp(), "s.csv");
  await writeExamplesCsv(path, [SAMPLE, SAMPLE], "d3");
  const stream = readExamples(path);
  let n = 0;
  for await (const ex of stream) {
    assert.equal(stream.layout, "d3");
    assert.equal(ex.target.title, "Turn It On Again: The Hits");
    n++;
  }
  assert.equal(n, 2);
  assert.equal(stream.rowsRead, 2);
  await assert.rejects(async () => {
    for await (const _ of stream) void _;
  }, /iterated only once/);
});

test("evaluation shard files (spec 1.7) with a leading pandas index column read like the plain layout", async () => {
  const path = join(tmp(), "shard.csv");
  const plain = formatExamplesCsv([SAMPLE], "d3").split("\r\n");
  writeFileSync(path, `,${plain[0]}\n0,${plain[1]}\n`);
  const read = await readAllExamples(path);
  assert.equal(read.layout, "d3");
  assert.deepEqual(read.examples, [SAMPLE]);
});
