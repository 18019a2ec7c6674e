import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseMetricsJsonl, readMetricsJsonl, seriesNames } from "../../src/eval/jsonl.js";
import { tempDir } from "../support/helpers.js";

test("rows keep step and numeric series; strings are left out", () => {
  const log = parseMetricsJsonl('{"step":1,"loss":2.5,"phase":"sft"}\r\n\n{"step":2,"loss":2.0,"reward":-3}\n');
  assert.deepEqual(log.rows, [
    { step: 1, loss: 2.5 },
    { step: 2, loss: 2.0, reward: -3 },
  ]);
  assert.equal(log.truncatedLastLine, false);
  assert.deepEqual(seriesNames(log.rows), ["loss", "reward"]);
});

test("a truncated last line from a killed run is skipped", () => {
  const log = parseMetricsJsonl('{"step":1,"loss":2.5}\n{"step":2,"lo');
  assert.deepEqual(log.rows, [{ step: 1, loss: 2.5 }]);
  assert.equal(log.truncatedLastLine, true);
  // A complete last object without a newline is kept.
  assert.equal(parseMetricsJsonl('{"step":1}\n{"step":2}').rows.length, 2);
});

test("other malformed lines are errors naming file and line", () => {
  assert.throws(
    () => parseMetricsJsonl('{"step":1}\n{"step":\n{"step":3}\n', "run/metrics.jsonl"),
    /^MetricsLogError: run\/metrics.jsonl:2: not valid JSON/,
  );
  // A broken line that is last but terminated by a newline was fully written: an error.
  assert.throws(() => parseMetricsJsonl('{"step":1}\n{"step":\n'), /metrics.jsonl:2: not valid JSON/);
  assert.throws(() => parseMetricsJsonl("[1,2]\n"), /metrics.jsonl:1: expected a JSON object/);
  assert.throws(() => parseMetricsJsonl('{"loss":1}\n'), /metrics.jsonl:1: missing numeric "step"/);
});

test("reads a file", () => {
  const dir = tempDir("jsonl");
  const path = join(dir, "metrics.jsonl");
  writeFileSync(path, '{"step":0,"advantage":0.1}\n');
  assert.deepEqual(readMetricsJsonl(path).rows, [{ step: 0, advantage: 0.1 }]);
});
