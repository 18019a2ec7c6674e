import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { AddressInfo } from "node:net";
import { repoRoot } from "../support/shared-data.js";
import { writeRaw } from "../support/raw-fixture.js";
import { tempDir } from "../support/helpers.js";

const MAIN = join(repoRoot(), "dist", "src", "cli", "main.js");
const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};
const tmp = (): string => tempDir("cli");

test("cli: every data command has --help derived from its declaration", async () => {
  for (const cmd of ["download", "preprocess", "synth", "stats"]) {
    const r = await run("data", cmd, "--help");
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, new RegExp(`^Usage: latentr3 data ${cmd}`));
    assert.match(r.stdout, /Options:[\s\S]*--help/);
  }
  const top = await run("data");
  assert.match(top.stdout, /data synth/);
});

test("cli: synth then stats --json", async () => {
  const out = join(tmp(), "synth");
  const s = await run("data", "synth", "--out", out, "--users", "60", "--items", "80", "--seed", "3");
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /Synthetic_Music_seed3: 80 items/);
  assert.ok(existsSync(join(out, "info", "Synthetic_Music_seed3.txt")));
  const st = await run("data", "stats", out, "--json");
  assert.equal(st.code, 0, st.stderr);
  const json = JSON.parse(st.stdout) as { catalogue: { items: number }; splits: Record<string, { rows: number }> };
  assert.equal(json.catalogue.items, 80);
  assert.ok(json.splits.train!.rows > 0 && json.splits.test!.rows > 0);
  const table = await run("data", "stats", join(out, "test", "Synthetic_Music_seed3.csv"));
  assert.match(table.stdout, /History length/);
});

test("cli: preprocess on generated raw files, and clear usage errors", async () => {
  const dir = tmp();
  writeRaw(dir);
  const r = await run(
    "data",
    "preprocess",
    "--category",
    "Test",
    "--raw",
    dir,
    "--out",
    join(dir, "out"),
    "--k",
    "2",
    "--start",
    "2018-8",
    "--item-threshold",
    "4",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Test_2_2018-5-2018-11: 6 items, 6 users, train 7, valid 1, test 1/);
  assert.match(r.stderr, /window 2018-5\.\.2018-11 pass 4/);
  const bad = await run("data", "preprocess", "--category", "Test", "--start", "May");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--start expects YEAR-MONTH such as 2017-10, got "May"/);
  const missing = await run("data", "stats");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing argument <path>/);
});

test("cli: download from a local server", async () => {
  const body = Buffer.from("{}\n".repeat(1000));
  const server = createServer((req, res) => {
    res.writeHead(200, { "Content-Length": body.length }).end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const out = tmp();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/amazon`;
    const r = await run("data", "download", "--category", "Tiny", "--out", out, "--base-url", url);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Tiny_5\.json\.gz {2}3000 bytes {2}sha256 [0-9a-f]{64}/);
    assert.equal(readFileSync(join(out, "meta_Tiny.json.gz"), "utf8"), body.toString());
    const bad = await run(
      "data",
      "download",
      "--category",
      "Tiny",
      "--out",
      out,
      "--base-url",
      url,
      "--sha256",
      "nope",
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--sha256 expects NAME=HEX/);
  } finally {
    server.close();
  }
});
