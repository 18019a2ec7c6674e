import { test } from "node:test";
import assert from "node:assert/strict";
import { coldStartStats, formatStats, splitStats } from "../../src/data/stats.js";
import type { Example } from "../../src/data/types.js";

const it = (id: number, title = `t${id}`) => ({ id, title });
const JUNK = '<span class="a-size-medium a-color-secondary a-text-normal';
const E: Example[] = [
  { userId: "u1", history: [it(1)], target: it(2), timestamp: 10 },
  { userId: "u1", history: [it(1), it(2)], target: it(3), timestamp: 20 },
  { userId: "u2", history: [it(3)], target: it(3), timestamp: 30 },
  { userId: "u3", history: [it(4)], target: it(5, JUNK), timestamp: 40 },
];

test("split statistics by hand", () => {
  const s = splitStats(E);
  assert.deepEqual(s, {
    rows: 4,
    users: 3,
    items: 5,
    distinctTargets: 3,
    historyLengths: [3, 1],
    meanHistoryLength: 1.25,
    headShare: 0.5, // top ceil(0.2·5) = 1 item (id 3, 2 targets) of 4 rows
    headItems: 1,
    junkTargets: 1,
    repeatTargets: 1,
    timeRange: [10, 40],
  });
  const withCatalogue = splitStats(E, 12); // head = ceil(2.4) = 3 items: every target
  assert.equal(withCatalogue.headItems, 3);
  assert.equal(withCatalogue.headShare, 1);
});

test("cold start: targets never seen in the training split (valid plays train when train is absent)", () => {
  assert.deepEqual(coldStartStats({ train: E.slice(0, 2), test: E.slice(2) }), [
    { reference: "train", split: "test", rows: 1, share: 0.5 },
  ]);
  assert.deepEqual(coldStartStats({ valid: E.slice(0, 2), test: E.slice(2) }), [
    { reference: "valid", split: "test", rows: 1, share: 0.5 },
  ]);
  assert.deepEqual(coldStartStats({ test: E }), []);
});

test("formatStats renders a table with the histogram and cold start", () => {
  const text = formatStats({
    source: "x",
    layout: "d3",
    splits: { train: splitStats(E.slice(0, 2)), test: splitStats(E.slice(2)) },
    coldStart: coldStartStats({ train: E.slice(0, 2), test: E.slice(2) }),
  });
  assert.match(text, /^Dataset x, d3 layout/);
  assert.match(text, /length\s+1\s+2\ntrain\s+1\s+1\ntest\s+2\s+0/);
  assert.match(text, /Cold start: 1 test targets \(50\.0%\) never occur in train/);
});
