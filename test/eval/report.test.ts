import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { latencyFigures, parseReport, readReport, writeReport } from "../../src/eval/report.js";
import { renderComparison, renderReport } from "../../src/eval/report-html.js";
import { escapeHtml, niceTicks } from "../../src/eval/svg-charts.js";
import { makeReport } from "./report-fixture.js";
import { tempDir } from "../support/helpers.js";

const JUNK = '<span class="x">';

test("latency figures from a total", () => {
  const l = latencyFigures(200, 5000, { prefill: 1000 });
  assert.equal(l.msPerUser, 25);
  assert.equal(l.usersPerSecond, 40);
  assert.deepEqual(l.stages, { prefill: 1000 });
  assert.equal(latencyFigures(0, 0).msPerUser, 0);
});

test("escapeHtml escapes markup and quotes", () => {
  assert.equal(escapeHtml(`${JUNK}&'`), "&lt;span class=&quot;x&quot;&gt;&amp;&#39;");
});

test("nice ticks", () => {
  // Range 0.11 / 5 = 0.022 → step 0.05; the last tick covers 0.11.
  assert.deepEqual(niceTicks(0, 0.11), [0, 0.05, 0.1, 0.15]);
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.3, 0.72, 4), [0.2, 0.4, 0.6, 0.8]);
  // Range 1.1 / 4 = 0.275 → step 0.5.
  assert.deepEqual(niceTicks(-3.2, -2.1, 4), [-3.5, -3, -2.5, -2]);
  assert.deepEqual(niceTicks(3, 3), [3]);
});

test("report page: numbers in the table, junk titles escaped, self-contained", () => {
  // Ranks 0, 1, ∞, 9 → HR@10 = 3/4, NDCG@10 = (1 + 0.630930 + 0.289065)/4 = 0.4800
  const report = makeReport(`run ${JUNK}`, [0, 1, Infinity, 9], {
    method: `most popular: ${JUNK}Greatest Hits`,
    notes: [`top title: ${JUNK}`],
    training: {
      rows: [
        { step: 1, loss: 2.5, reward: -3 },
        { step: 2, loss: 2.0, reward: -2.5, advantage: 0.1 },
      ],
      truncatedLastLine: true,
    },
  });
  const html = renderReport(report);
  assert.ok(html.includes("<td>0.7500</td>"), "HR@10 cell");
  assert.ok(html.includes("<td>0.4800</td>"), "NDCG@10 cell");
  assert.ok(html.includes("<td>0.2500</td>"), "HR@1 cell");
  assert.ok(!html.includes(JUNK), "raw junk markup must not reach the page");
  assert.ok(html.includes("run &lt;span class=&quot;x&quot;&gt;"));
  assert.ok(html.includes("most popular: &lt;span class=&quot;x&quot;&gt;Greatest Hits"));
  // Empty group shows n/a rather than a misleading 0.
  assert.match(html, /<td>cold-start<\/td><td>0<\/td><td>n\/a<\/td>/);
  // Charts: breakdown bars, one line plot per series, latency table.
  assert.ok(html.includes("Popularity breakdown @10"));
  for (const series of ["loss", "reward", "advantage"]) assert.ok(html.includes(`aria-label="${series}"`), series);
  assert.ok(html.includes("cut short"));
  assert.ok(html.includes("<td>ms / user</td><td>250.0</td>"));
  assert.ok(html.includes("<td>prefill</td><td>600.0</td><td>150.00</td><td>60.0%</td>"));
  // No scripts, no external assets.
  assert.doesNotMatch(html, /<script|<link|src=|href=|@import|url\(/);
});

test("comparison page: best per column in bold, escaped names, grouped charts", () => {
  const a = makeReport(`A ${JUNK}`, [0, 1, Infinity, 9]); // HR@10 0.75
  const b = makeReport("B", [0, 0, 0, Infinity], { latency: undefined }); // HR@10 0.75, HR@1 0.75
  b.metrics.invalid = 3;
  const html = renderComparison([a, b]);
  assert.ok(!html.includes(JUNK));
  assert.ok(html.includes("A &lt;span class=&quot;x&quot;&gt;"));
  // A run's cells across both tables (metrics, then invalid / groups / latency).
  const rowOf = (name: string): string =>
    html
      .split("\n")
      .filter((l) => l.startsWith(`<tr><td>${name}`))
      .join("");
  // HR@1: A 0.25, B 0.75 → B bold. HR@10 tie → both bold. invalid: A 0 → A bold. ms/user: only A has it.
  assert.ok(rowOf("B").includes('<td class="best">0.7500</td>'));
  assert.ok(rowOf("A").includes("<td>0.2500</td>"));
  assert.equal(rowOf("A").match(/<td class="best">0\.7500<\/td>/g)?.length, 1); // the HR@10 tie
  // Two tables (metrics; invalid, groups, latency) that fit the page rather than one too wide for it.
  assert.equal(html.match(/<div class="table-wrap"><table>/g)?.length, 2);
  // Lists of 10 titles: no @20 column (it would repeat @10).
  assert.ok(!html.includes("HR@20") && !html.includes("NDCG@20"));
  assert.ok(rowOf("A").includes('<td class="best">0</td>'));
  assert.ok(rowOf("B").includes("<td>3</td>"));
  assert.ok(rowOf("B").includes("<td>n/a</td>"));
  assert.ok(html.includes("Overall metrics") && html.includes("HR@10 by popularity group"));
  assert.throws(() => renderComparison([]), /no reports/);
});

test("writeReport writes JSON and HTML atomically; readReport reads it back", () => {
  const dir = join(tempDir("report"), "run-1");
  const report = makeReport("run-1", [0, 2, Infinity]);
  const paths = writeReport(dir, report);
  assert.deepEqual(readdirSync(dir).sort(), ["per-user.jsonl", "report.html", "report.json"]);
  assert.equal(paths.json, join(dir, "report.json"));
  const { perUser, ...rest } = readReport(dir);
  assert.deepEqual(rest, JSON.parse(JSON.stringify({ ...report, perUser: undefined })));
  assert.deepEqual(perUser!.records, report.perUser!.records);
  assert.ok(readFileSync(paths.html, "utf8").startsWith("<!DOCTYPE html>"));
});

test("readReport errors name the folder and the problem", () => {
  const root = tempDir("report");
  assert.throws(() => readReport(join(root, "missing")), /missing: no such run folder/);
  assert.throws(() => readReport(root), new RegExp(`${root}: no report.json there`));
  writeFileSync(join(root, "report.json"), "{ not json");
  assert.throws(() => readReport(root), /report.json: not valid JSON/);
  const bad = JSON.parse(JSON.stringify(makeReport("x", [0])));
  delete bad.metrics.ndcg["10"];
  assert.throws(() => parseReport(bad, "r.json"), /r.json: "metrics.ndcg" lacks a number for K=10/);
  assert.throws(() => parseReport({ ...bad, schema: "v0" }, "r.json"), /unsupported schema "v0"/);
  assert.throws(() => parseReport([], "r.json"), /expected a JSON object/);
});
