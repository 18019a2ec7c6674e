import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CsvParser, formatCsvField, formatCsvRow, parseCsv, readCsvRecords } from "../../src/data/csv.js";
import { tempDir } from "../support/helpers.js";

const fields = (text: string): string[][] => parseCsv(text).map((r) => r.fields);

test("csv: CRLF, LF and lone CR all end records; no trailing newline needed", () => {
  assert.deepEqual(fields("a,b\r\nc,d\r\n"), [
    ["a", "b"],
    ["c", "d"],
  ]);
  assert.deepEqual(fields("a,b\nc,d"), [
    ["a", "b"],
    ["c", "d"],
  ]);
  assert.deepEqual(fields("a,b\rc,d\r"), [
    ["a", "b"],
    ["c", "d"],
  ]);
  assert.deepEqual(fields("a,,\r\n"), [["a", "", ""]]);
});

test("csv: quoted fields hold commas, doubled quotes and newlines; line numbers are physical", () => {
  const text = 'h1,h2\r\n"x, y","say ""hi"""\r\n"two\r\nlines",z\r\nlast,"\n"\r\n';
  const records = parseCsv(text);
  assert.deepEqual(
    records.map((r) => r.fields),
    [
      ["h1", "h2"],
      ["x, y", 'say "hi"'],
      ["two\r\nlines", "z"],
      ["last", "\n"],
    ],
  );
  assert.deepEqual(
    records.map((r) => r.line),
    [1, 2, 3, 5],
  );
  assert.ok(records.every((r) => r.error === undefined));
});

test("csv: blank lines carry no record, an empty quoted field does", () => {
  assert.deepEqual(fields("a\r\n\r\nb\r\n\r\n"), [["a"], ["b"]]);
  assert.deepEqual(fields('a\r\n""\r\n'), [["a"], [""]]);
});

test("csv: any chunking gives the same records as one chunk", () => {
  const text = 'u,"[\'a\', ""b\'c""]",x\r\n"q\r\nr",,"""\r\nlast,1,2';
  const whole = parseCsv(text);
  for (let size = 1; size <= 7; size++) {
    const p = new CsvParser();
    const got = [];
    for (let i = 0; i < text.length; i += size) got.push(...p.push(text.slice(i, i + size)));
    got.push(...p.finish());
    assert.deepEqual(got, whole, `chunk size ${size}`);
  }
});

test("csv: malformed quoting is reported with its line, and parsing resumes on the next line", () => {
  const records = parseCsv('a,b\r\nab"c,d\r\n"x"y,z\r\nok,1\r\n"open,2\r\n');
  assert.deepEqual(
    records.map((r) => r.line),
    [1, 2, 3, 4, 5],
  );
  assert.equal(records[0]!.error, undefined);
  assert.match(records[1]!.error!.problem, /quote inside an unquoted field/);
  assert.match(records[2]!.error!.problem, /after the closing quote/);
  assert.deepEqual(records[3]!.fields, ["ok", "1"]);
  assert.equal(records[3]!.error, undefined);
  assert.match(records[4]!.error!.problem, /ends inside a quoted field/);
});

test("csv writer: Python QUOTE_MINIMAL quoting, CRLF, and exact round trip", () => {
  assert.equal(formatCsvField("plain text"), "plain text");
  assert.equal(formatCsvField("a,b"), '"a,b"');
  assert.equal(formatCsvField('say "x"'), '"say ""x"""');
  assert.equal(formatCsvField("['Hot Rocks', \"Pure 60's\"]"), '"[\'Hot Rocks\', ""Pure 60\'s""]"');
  assert.equal(formatCsvField("line\nbreak"), '"line\nbreak"');
  assert.equal(formatCsvRow(["a", "b c", ""]), "a,b c,\r\n");
  assert.equal(formatCsvRow([""]), '""\r\n');
  const rows = [["x", "a,b", 'q"q', "n\r\nl", "", " sp "], [""], ["z"]];
  assert.deepEqual(fields(rows.map((r) => formatCsvRow(r)).join("")), rows);
});

test("csv: readCsvRecords streams a file in small chunks and strips a BOM", async () => {
  const dir = tempDir("csv");
  const path = join(dir, "t.csv");
  // "é" and "€" are multi-byte: small byte chunks split them, the decoder must reassemble them.
  writeFileSync(path, '\uFEFFh1,h2\r\n"café, €",2\r\nx,"y\r\nz"\r\n', "utf8");
  const got = [];
  for await (const r of readCsvRecords(path, 3)) got.push(r);
  assert.deepEqual(
    got.map((r) => r.fields),
    [
      ["h1", "h2"],
      ["café, €", "2"],
      ["x", "y\r\nz"],
    ],
  );
  assert.deepEqual(
    got.map((r) => r.line),
    [1, 2, 3],
  );
});
