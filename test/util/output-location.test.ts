/** Output folders are checked before any work: virtual file systems, files, unwritable places, overlaps. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { outputLocationProblem, pathsOverlap } from "../../src/util/output-location.js";
import { tempDir } from "../support/helpers.js";

test("kernel interfaces and virtual file systems are refused at once", () => {
  assert.match(outputLocationProblem("/proc/self/x/y")!, /\/proc is a kernel interface/);
  assert.match(outputLocationProblem("/sys/run")!, /\/sys is a kernel interface/);
  assert.match(outputLocationProblem("/dev/shm-not-here/run")!, /\/dev is a kernel interface/);
});

test("a folder below an existing file, and an unwritable folder, are refused; a new folder is fine", () => {
  const dir = tempDir("outloc");
  const file = join(dir, "file.txt");
  writeFileSync(file, "x");
  assert.match(outputLocationProblem(file)!, /is a file, not a folder/);
  assert.match(outputLocationProblem(join(file, "run"))!, /file\.txt is a file, not a folder/);
  assert.equal(outputLocationProblem(join(dir, "new", "run")), undefined);
  if (process.getuid?.() !== 0) {
    const locked = join(dir, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    assert.match(outputLocationProblem(join(locked, "run"))!, /is not writable/);
  }
});

test("pathsOverlap: equal, inside, containing, through a symbolic link; siblings do not overlap", () => {
  const dir = tempDir("overlap");
  const run = join(dir, "run");
  mkdirSync(join(run, "model"), { recursive: true });
  symlinkSync(run, join(dir, "alias"));
  assert.ok(pathsOverlap(run, run));
  assert.ok(pathsOverlap(run, join(run, "model")));
  assert.ok(pathsOverlap(join(run, "model", "new"), run));
  assert.ok(pathsOverlap(join(dir, "alias"), join(run, "model")));
  assert.ok(!pathsOverlap(join(dir, "run2"), run));
  assert.ok(!pathsOverlap(join(run, "eval"), join(run, "model")));
});
