import assert from "node:assert/strict";
import test from "node:test";
import { etaSeconds, formatDuration } from "../../src/util/progress.js";

test("the ETA follows units done, excluding the units a resumed run started with", () => {
  // 30 of 100 units in 60 s → 0.5 units/s → 70 units left take 140 s.
  assert.equal(etaSeconds({ elapsed: 60, done: 30, total: 100 }), 140);
  // Resumed at 20: only 10 units in 60 s → 1/6 units/s → 70 left take 420 s.
  assert.equal(etaSeconds({ elapsed: 60, done: 30, total: 100, startAt: 20 }), 420);
});

test("with a work fraction the ETA follows work, not the count (the slow units come last)", () => {
  // Half the users decoded but only a quarter of the prompt tokens: 60 s for 1/4 → 180 s left, not 60 s.
  assert.equal(etaSeconds({ elapsed: 60, done: 50, total: 100, workFraction: 0.25 }), 180);
  assert.equal(etaSeconds({ elapsed: 60, done: 100, total: 100, workFraction: 1 }), 0);
  assert.equal(formatDuration(180), "3m00s");
});
