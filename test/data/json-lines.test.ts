import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readTextLines } from "../../src/data/amazon/json-lines.js";
import { tempDir } from "../support/helpers.js";

async function collect(path: string, progressMinBytes?: number): Promise<Array<{ text: string; line: number }>> {
  const out: Array<{ text: string; line: number }> = [];
  for await (const l of readTextLines(path, progressMinBytes)) out.push(l);
  return out;
}

test("readTextLines: blank lines skipped but counted, gzip by suffix, a progress line only for large files", async () => {
  const dir = tempDir("lines");
  const text = "{'a': 1}\n\n  \r\n{'b': 2}\r\nlast";
  writeFileSync(join(dir, "x.json"), text);
  writeFileSync(join(dir, "x.json.gz"), gzipSync(text));
  const expected = [
    { text: "{'a': 1}", line: 1 },
    { text: "{'b': 2}", line: 4 },
    { text: "last", line: 5 },
  ];
  const written: string[] = [];
  const write = process.stderr.write;
  const quiet = process.env.LATENTR3_QUIET;
  delete process.env.LATENTR3_QUIET;
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    assert.deepEqual(await collect(join(dir, "x.json")), expected);
    assert.deepEqual(written, [], "a small file reads quietly");
    assert.deepEqual(await collect(join(dir, "x.json.gz"), 0), expected);
  } finally {
    process.stderr.write = write;
    if (quiet !== undefined) process.env.LATENTR3_QUIET = quiet;
  }
  const size = gzipSync(text).length;
  assert.equal(written.length, 1, written.join(""));
  assert.match(written[0]!, new RegExp(`\\[reading x\\.json\\.gz \\(bytes\\)\\] ${size}/${size} \\(100%\\) lines 5`));
});
