import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Example, Item } from "../../src/data/types.js";
import { evaluationReport, type EvaluationInput } from "../../src/eval/evaluate.js";
import { formatMetricsLine } from "../../src/eval/format.js";
import { pairingProblem, PerUserResults, PER_USER_JSONL } from "../../src/eval/per-user.js";
import { readReport, writeReport } from "../../src/eval/report.js";
import { renderReport } from "../../src/eval/report-html.js";
import { tempDir } from "../support/helpers.js";

// 25 items; items 20 and 21 share a title (a hit by title for either).
const items: Item[] = Array.from({ length: 25 }, (_, id) => ({ id, title: id === 21 ? "T20" : `T${id}` }));
const example = (user: string, target: number): Example => ({
  userId: user,
  history: [items[0]!],
  target: items[target]!,
});
const testRows = [example("a", 3), example("b", 21), example("a", 24), example("c", 7)];
const titles = (ids: number[]) => ids.map((id) => `"${items[id]!.title}"\n`);

function input(listLength: number, extra: Partial<EvaluationInput> = {}): EvaluationInput {
  // Record 0: target at 3 → rank 3. Record 1: "T20" at 1 → rank 1 by title (item 20, not 21).
  // Record 2: item 24 at position 15 → only in lists of 20. Record 3: never listed.
  const ranked = [
    [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22],
    [0, 20, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 24, 16, 17, 18, 19],
    [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22],
  ].map((r) => r.slice(0, listLength));
  return {
    run: `lists of ${listLength}`,
    method: "hand-made",
    dataset: "tiny",
    split: "test",
    test: testRows,
    predictions: ranked.map(titles),
    train: [example("z", 1)],
    catalogue: items,
    ...extra,
  };
}

test("@K is reported only up to the ranked list's length (with 10 beams @20 would repeat @10)", () => {
  const ten = evaluationReport(input(10));
  assert.equal(ten.listLength, 10);
  assert.deepEqual(ten.metrics.ks, [1, 3, 5, 10]);
  assert.deepEqual(Object.keys(ten.groups.popular!.hr), ["1", "3", "5", "10"]);
  assert.ok(!formatMetricsLine(ten).includes("@20"));
  assert.ok(!renderReport(ten).includes("HR@20"));
  const twenty = evaluationReport(input(20));
  assert.deepEqual(twenty.metrics.ks, [1, 3, 5, 10, 20]);
  // HR@20 = 3/4 (ranks 3, 1, 15; one miss), HR@10 = 2/4: here @20 says something.
  assert.equal(twenty.metrics.hr[20], 0.75);
  assert.equal(twenty.metrics.hr[10], 0.5);
  assert.match(formatMetricsLine(twenty), /HR@5 0\.5000 {2}HR@10 0\.5000 {2}HR@20 0\.7500 {2}NDCG@5/);
  assert.ok(renderReport(twenty).includes("<th>HR@20</th>"));
});

test("per-user results: rank by title (null = miss), rank by item id where the recommender ranks items", () => {
  const titleOnly = evaluationReport(input(20));
  assert.deepEqual(titleOnly.perUser!.records, [
    { row: 0, user: "a", target: 3, rank: 3 },
    { row: 1, user: "b", target: 21, rank: 1 },
    { row: 2, user: "a", target: 24, rank: 15 },
    { row: 3, user: "c", target: 7, rank: null },
  ]);
  // HR@10 and NDCG@10 per record, for paired tests: 1/log2(3+2), 1/log2(1+2).
  assert.deepEqual(titleOnly.perUser!.values("hr", 10), [1, 1, 0, 0]);
  assert.deepEqual(titleOnly.perUser!.values("ndcg", 10), [1 / Math.log2(5), 1 / Math.log2(3), 0, 0]);
  // By item id, item 20 is not the target item 21.
  const rankedItems = [[0, 1, 2, 3], [0, 20, 21], [24], [5]];
  const withItems = evaluationReport(input(20, { rankedItems }));
  assert.deepEqual(
    withItems.perUser!.records.map((r) => r.itemRank),
    [3, 2, 0, null],
  );
  assert.throws(() => evaluationReport(input(20, { rankedItems: [[1]] })), /1 ranked item lists for 4 test examples/);
});

test("per-user.jsonl is written beside report.json, which points to it, and read back", () => {
  const dir = tempDir("per-user");
  const report = evaluationReport(input(10));
  const paths = writeReport(dir, report);
  assert.equal(paths.perUser, join(dir, PER_USER_JSONL));
  const json = JSON.parse(readFileSync(paths.json, "utf8"));
  assert.deepEqual(json.perUser, { file: PER_USER_JSONL, records: 4 });
  const lines = readFileSync(paths.perUser!, "utf8").trimEnd().split("\n");
  assert.deepEqual(lines[3], '{"row":3,"user":"c","target":7,"rank":null}');
  const back = readReport(dir);
  assert.deepEqual(back.perUser!.records, report.perUser!.records);
  assert.equal(back.listLength, 10);
  // A damaged file is an error naming the file, the line and the field.
  writeFileSync(paths.perUser!, lines.slice(0, 3).join("\n") + '\n{"row":3,"user":"c","target":7,"rank":-1}\n');
  assert.throws(() => readReport(dir), /per-user\.jsonl:4 \(field "rank"\): expected a rank ≥ 0 or null/);
  writeFileSync(paths.perUser!, lines.slice(0, 3).join("\n") + "\n");
  assert.throws(() => readReport(dir), /3 records, report.json says 4/);
});

test("pairing: runs compare record by record only on the same test rows", () => {
  const a = evaluationReport(input(10)).perUser!;
  const b = evaluationReport(input(20)).perUser!;
  assert.equal(pairingProblem(a, b), undefined);
  const shorter = new PerUserResults(a.records.slice(0, 3));
  assert.match(pairingProblem(a, shorter)!, /4 records against 3/);
  const other = new PerUserResults(a.records.map((r, i) => (i === 2 ? { ...r, user: "x" } : r)));
  assert.match(pairingProblem(a, other)!, /record 2 differs/);
  assert.throws(() => PerUserResults.parse('{"row":0}\nnot json', "f.jsonl"), /f\.jsonl:1 \(field "user"\)/);
});
