#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with Node's built-in runner.
// Extra arguments filter test files by substring, e.g. `node scripts/run-tests.mjs engine`.
import { readdirSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const testDir = join(root, "dist", "test");
if (!existsSync(testDir)) {
  console.error("run-tests: dist/test is missing; run `npm run build:ts` first");
  process.exit(2);
}

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(testDir).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`run-tests: no test files match ${filters.join(", ")}`);
  process.exit(2);
}
// One file at a time: each test process already uses both cores through libtorch.
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...files], {
  stdio: "inherit",
  env: { ...process.env, LATENTR3_TEST: "1" },
});
process.exit(result.status ?? 1);
