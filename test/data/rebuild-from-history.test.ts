import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadDataset } from "../../src/data/dataset.js";
import { experimentSplits } from "../../src/data/protocol.js";
import { formatStats, statsForPath } from "../../src/data/stats.js";
import { mergeUserRows, rebuildFromHistories } from "../../src/data/rebuild-from-history.js";
import { generateSyntheticDataset, writeSyntheticDataset } from "../../src/data/synthetic/generate.js";
import type { Example, Item } from "../../src/data/types.js";
import { tempDir } from "../support/helpers.js";
import { sharedDataDir, SHARED_DATA_MISSING } from "../support/shared-data.js";

const synthetic = generateSyntheticDataset({ seed: 7, users: 300, items: 200 });

/** The synthetic dataset written to disk with its train split removed: what the shared real data looks like. */
async function withoutTrain() {
  const dir = tempDir("rebuild");
  await writeSyntheticDataset(dir, synthetic);
  rmSync(join(dir, "train"), { recursive: true });
  return loadDataset(dir);
}

const ids = (items: readonly Item[]) => items.map((i) => i.id);

function isSuffix<T>(suffix: readonly T[], of: readonly T[]): boolean {
  if (suffix.length > of.length) return false;
  return suffix.every((x, i) => x === of[of.length - suffix.length + i]);
}

/** True rows per user in position order (the generator emits them user by user). */
function rowsByUser(rows: readonly Example[]): Map<string, Example[]> {
  const out = new Map<string, Example[]>();
  for (const r of rows) out.set(r.userId, [...(out.get(r.userId) ?? []), r]);
  return out;
}

test("rebuilt rows are true train rows (same user, target and time; history a suffix of the true one)", async () => {
  const ds = await withoutTrain();
  const splits = experimentSplits(ds);
  const rebuilt = splits.rebuilt!;
  assert.ok(rebuilt.rows.length > 100, `only ${rebuilt.rows.length} rows rebuilt`);
  const trueTrain = new Map<string, Example>();
  for (const r of synthetic.split.train) trueTrain.set(`${r.userId}|${r.target.id}|${r.timestamp}`, r);
  for (const row of rebuilt.rows) {
    const truth = trueTrain.get(`${row.userId}|${row.target.id}|${row.timestamp}`);
    assert.ok(truth, `rebuilt row of ${row.userId} → ${row.target.id} at ${row.timestamp} is no true train row`);
    assert.ok(isSuffix(ids(row.history), ids(truth.history)), `history of ${row.userId} → ${row.target.id}`);
    assert.ok(isSuffix(row.historyTimestamps!, truth.historyTimestamps!));
    assert.ok(isSuffix(row.historyRatings!, truth.historyRatings!));
    assert.equal(row.rating, truth.rating);
  }
  // The training set is the rebuilt rows plus the head of valid, in time order.
  assert.equal(splits.train.length, rebuilt.rows.length + Math.floor(ds.splits.valid!.length * 0.9));
  for (let i = 1; i < splits.train.length; i++)
    assert.ok(splits.train[i - 1]!.timestamp! <= splits.train[i]!.timestamp!);
  assert.match(
    splits.protocol,
    new RegExp(`${rebuilt.rows.length} rows rebuilt from the histories.*--train-from-history`),
  );
});

test("every true train row inside the recoverable span is rebuilt, and no target is at or after the cutoff", async () => {
  const ds = await withoutTrain();
  const splits = experimentSplits(ds);
  const cutoff = Math.min(...[...splits.valid, ...splits.test].map((e) => e.timestamp!));
  const rebuiltKeys = new Set(splits.rebuilt!.rows.map((r) => `${r.userId}|${r.target.id}|${r.timestamp}`));
  for (const r of splits.rebuilt!.rows) assert.ok(r.timestamp! < cutoff, `target at ${r.timestamp} ≥ cutoff ${cutoff}`);

  // Independently of the merge: a user's earliest valid/test row at position p (its history holds
  // positions p-h..p-1) makes the train rows at positions p-h+1..p-1 recoverable.
  const later = rowsByUser([...synthetic.split.valid, ...synthetic.split.test]);
  const trainRows = new Set(synthetic.split.train);
  let recoverable = 0;
  for (const [user, all] of rowsByUser(synthetic.examples)) {
    const earliest = later.get(user)?.reduce((a, b) => (all.indexOf(b) < all.indexOf(a) ? b : a));
    if (!earliest) continue; // a user only in the (missing) train split: absent, the method's bias
    const p = all.indexOf(earliest) + 1; // examples[i] has its target at position i + 1
    for (let pos = p - earliest.history.length + 1; pos < p; pos++) {
      const truth = all[pos - 1]!;
      assert.ok(trainRows.has(truth), `position ${pos} of ${user} should be a train row`);
      recoverable++;
      assert.ok(
        rebuiltKeys.has(`${user}|${truth.target.id}|${truth.timestamp}`),
        `${user} position ${pos} not rebuilt`,
      );
    }
  }
  assert.equal(splits.rebuilt!.rows.length, recoverable);
  // The bias: users seen only in the train split contribute nothing.
  const onlyTrain = [...rowsByUser(synthetic.split.train).keys()].filter((u) => !later.has(u));
  assert.ok(onlyTrain.length > 0, "the synthetic data should have train-only users for this check to mean something");
  for (const r of splits.rebuilt!.rows) assert.ok(later.has(r.userId));
});

test("--no-train-from-history keeps the plain protocol", async () => {
  const ds = await withoutTrain();
  const splits = experimentSplits(ds, { trainFromHistory: false });
  assert.equal(splits.rebuilt, undefined);
  assert.equal(splits.train.length, Math.floor(ds.splits.valid!.length * 0.9));
  assert.match(splits.protocol, /not used/);
});

test("a row missing from valid (skipped as unreadable) is recovered from later histories", () => {
  const { valid, test: testRows } = synthetic.split;
  const cutoff = valid[Math.floor(valid.length * 0.9)]!.timestamp!;
  const full = rebuildFromHistories([valid, testRows], { cutoff });
  // Drop every 5th valid row before the cutoff that has an earlier and a later row of its user (a later
  // one reveals it; with the earliest row gone, windows over the next one's history would be truncated).
  const users = rowsByUser([...valid, ...testRows]);
  const inside = (r: Example) => {
    const at = users.get(r.userId)!.indexOf(r);
    return at > 0 && at < users.get(r.userId)!.length - 1;
  };
  const missing = valid.filter((r, i) => i % 5 === 0 && r.timestamp! < cutoff && inside(r));
  assert.ok(missing.length > 10);
  const gone = new Set(missing);
  const withGaps = rebuildFromHistories([valid.filter((r) => !gone.has(r)), testRows], { cutoff });
  assert.ok(withGaps.gaps > 0);
  assert.equal(withGaps.rows.length, full.rows.length + missing.length);
  const key = (r: Example) => `${r.userId}|${ids(r.history)}|${r.target.id}|${r.timestamp}`;
  const got = new Set(withGaps.rows.map(key));
  for (const m of missing) assert.ok(got.has(key(m)), `missing row of ${m.userId} not recovered exactly`);
});

test("repeated interactions (the same item at the same time twice) are kept, not merged away", () => {
  const item = (id: number): Item => ({ id, title: `t${id}` });
  const row = (hist: [number, number][], target: [number, number]): Example => ({
    userId: "u",
    history: hist.map(([id]) => item(id)),
    historyTimestamps: hist.map(([, t]) => t),
    target: item(target[0]),
    timestamp: target[1],
  });
  // True sequence: 1@10, 2@20, 2@20 (a duplicate review), 3@30, 4@40; the earliest row is 3@30's.
  const rows = [
    row(
      [
        [1, 10],
        [2, 20],
        [2, 20],
      ],
      [3, 30],
    ),
    row(
      [
        [1, 10],
        [2, 20],
        [2, 20],
        [3, 30],
      ],
      [4, 40],
    ),
  ];
  assert.deepEqual(ids(mergeUserRows(rows).sequence.map((x) => x.item)), [1, 2, 2, 3, 4]);
  const rebuilt = rebuildFromHistories([rows], { cutoff: 30 });
  assert.deepEqual(
    rebuilt.rows.map((r) => [ids(r.history), r.target.id]),
    [
      [[1], 2],
      [[1, 2], 2],
    ],
  );
  assert.deepEqual(rebuilt.dropped, { present: 0, atOrAfterCutoff: 2, undated: 0 });
});

test("without timestamps only the earliest row's history is used, and gives the same rows", () => {
  const { valid, test: testRows } = synthetic.split;
  const strip = (rows: readonly Example[]) =>
    rows.map(({ historyTimestamps: _h, timestamp: _t, ...rest }) => rest as Example);
  const cutoff = valid[Math.floor(valid.length * 0.9)]!.timestamp!;
  const timed = rebuildFromHistories([valid, testRows], { cutoff });
  const untimed = rebuildFromHistories([strip(valid), strip(testRows)]);
  const key = (r: Example) => `${r.userId}|${ids(r.history)}|${r.target.id}`;
  assert.deepEqual(new Set(untimed.rows.map(key)), new Set(timed.rows.map(key)));
  assert.equal(untimed.dropped.atOrAfterCutoff, 0);
  assert.ok(untimed.dropped.undated > 0);
  assert.throws(() => rebuildFromHistories([valid]), /no cutoff/);
});

test("data stats reports the rebuilt rows and the experiment's split sizes", async () => {
  const ds = await withoutTrain();
  const stats = await statsForPath(ds.files.dir);
  const splits = experimentSplits(ds);
  assert.equal(stats.protocol!.rebuiltRows, splits.rebuilt!.rows.length);
  assert.equal(stats.splits.rebuilt!.rows, splits.rebuilt!.rows.length);
  assert.equal(stats.protocol!.train, splits.train.length);
  assert.match(formatStats(stats), new RegExp(`Rebuilt from histories: ${splits.rebuilt!.rows.length} training rows`));
});

// Measured on the shared data (docs/data.md explains the difference from a merge of distinct pairs).
const SHARED_REBUILT = [
  { folder: "amazon-cds", rows: 10696, users: 2171 },
  { folder: "amazon-industrial", rows: 10393, users: 2625 },
  { folder: "amazon-office", rows: 9484, users: 2413 },
] as const;

for (const e of SHARED_REBUILT) {
  test(`real data ${e.folder}: rows rebuilt from histories`, async (t) => {
    const shared = sharedDataDir();
    if (!shared) {
      t.skip(SHARED_DATA_MISSING);
      return;
    }
    const ds = await loadDataset(join(shared, e.folder));
    const { rebuilt, valid } = experimentSplits(ds);
    assert.equal(rebuilt!.rows.length, e.rows);
    assert.equal(rebuilt!.users, e.users);
    assert.equal(rebuilt!.gaps, 0, "every row's history continues the user's earlier rows");
    const cutoff = valid.find((r) => r.timestamp !== undefined)?.timestamp;
    if (cutoff !== undefined) for (const r of rebuilt!.rows) assert.ok(r.timestamp! < cutoff);
  });
}
