// `latentr3 compare` end to end on two tiny run folders, through the compiled CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { comparisonTable, loadRunReports } from "../../src/eval/compare.js";
import { writeReport } from "../../src/eval/report.js";
import { makeReport } from "./report-fixture.js";
import { tempDir } from "../support/helpers.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function twoRuns(): { root: string; a: string; b: string } {
  const root = tempDir("compare");
  const a = join(root, "bigrec");
  const b = join(root, "latentr3");
  // bigrec: ranks 0, ∞, 7, ∞  → HR@5 0.25, HR@10 0.5; popular = first two records, long-tail = last two.
  writeReport(a, makeReport("bigrec", [0, Infinity, 7, Infinity]));
  // latentr3: ranks 1, 0, 3, ∞ → HR@5 0.75, HR@10 0.75; 2 invalid predictions.
  const r = makeReport("latentr3", [1, 0, 3, Infinity]);
  r.metrics.invalid = 2;
  writeReport(b, r);
  return { root, a, b };
}

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const p = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
  return { code: p.status, stdout: p.stdout, stderr: p.stderr };
}

test("text table: values by hand, best marked, columns aligned", () => {
  const { a, b } = twoRuns();
  const table = comparisonTable(loadRunReports([a, b]));
  const lines = table.split("\n");
  assert.match(lines[0]!, /^run\s+HR@5\s+NDCG@5\s+HR@10\s+NDCG@10\s+invalid\s+pop HR@10\s+tail HR@10$/);
  // bigrec:   HR@5 .25, NDCG@5 .25, HR@10 .5, NDCG@10 (1 + 1/log2 9)/4 = (1 + .315465)/4 = .3289,
  //           invalid 0, pop HR@10 (ranks 0, ∞) .5, tail HR@10 (ranks 7, ∞) .5
  // latentr3: HR@5 .75, NDCG@5 (.630930 + 1 + .430677)/4 = .5154, HR@10 .75, NDCG@10 .5154,
  //           invalid 2, pop HR@10 (ranks 1, 0) 1, tail HR@10 (ranks 3, ∞) .5
  assert.deepEqual(lines[2]!.split(/\s+/), [
    "bigrec",
    "0.2500",
    "0.2500",
    "0.5000",
    "0.3289",
    "0*",
    "0.5000",
    "0.5000*",
  ]);
  assert.deepEqual(lines[3]!.split(/\s+/), [
    "latentr3",
    "0.7500*",
    "0.5154*",
    "0.7500*",
    "0.5154*",
    "2",
    "1.0000*",
    "0.5000*",
  ]);
  // Numbers right-aligned under their headers: every column (cells are 2+ spaces apart) ends at the
  // same position in every line, the best-mark "*" aside.
  const columnEnds = (line: string): number[] =>
    [...line.replace(/\*/g, " ").matchAll(/\S+(?: \S+)*/g)].slice(1).map((m) => m.index + m[0].length);
  assert.deepEqual(columnEnds(lines[2]!), columnEnds(lines[0]!));
  assert.deepEqual(columnEnds(lines[3]!), columnEnds(lines[0]!));
});

test("latentr3 compare prints the table and writes the HTML page", () => {
  const { root, a, b } = twoRuns();
  const out = join(root, "cmp", "comparison.html");
  const result = run("compare", a, b, "--html", out);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^run\s+HR@5/);
  assert.match(result.stdout, /latentr3\s+0\.7500\*/);
  assert.ok(result.stdout.includes(`wrote ${out}`));
  assert.ok(existsSync(out));
  const html = readFileSync(out, "utf8");
  assert.ok(html.includes('<td class="best">0.7500</td>'));
  assert.ok(html.includes("<td>bigrec</td>"));
});

test("latentr3 compare: a missing or broken run folder is named", () => {
  const { root, a } = twoRuns();
  const missing = join(root, "nope");
  const result = run("compare", a, missing);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trim(), `latentr3 compare: ${missing}: no such run folder`);
  const empty = run("compare", root);
  assert.match(empty.stderr, new RegExp(`${root}: no report.json there`));
  const none = run("compare");
  assert.equal(none.code, 2);
  assert.match(none.stderr, /missing argument <run>/);
});

test("latentr3 compare --help is derived from the command declaration", () => {
  const help = run("compare", "--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: latentr3 compare \[options\] <run\.\.\.>/);
  assert.match(help.stdout, /--html <string>/);
  assert.match(help.stdout, /latentr3 compare runs\/eval-\* --baseline runs\/eval-bigrec --html runs\/comparison.html/);
});
