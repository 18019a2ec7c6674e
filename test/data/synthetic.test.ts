import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { generateSyntheticDataset, writeSyntheticDataset } from "../../src/data/synthetic/generate.js";
import { describeSynthetic } from "../../src/data/synthetic/story.js";
import { loadDataset } from "../../src/data/dataset.js";
import { Rng } from "../../src/data/rng.js";
import { tempDir } from "../support/helpers.js";

const tmp = (): string => tempDir("synth");

function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sub of ["info", "train", "valid", "test"])
    for (const f of readdirSync(join(dir, sub))) out[`${sub}/${f}`] = readFileSync(join(dir, sub, f), "utf8");
  return out;
}

test("rng: mulberry32 is deterministic and roughly uniform", () => {
  const a = new Rng(1);
  const b = new Rng(1);
  const xs = Array.from({ length: 10000 }, () => a.next());
  assert.deepEqual(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => b.next()),
  );
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(new Rng(1).fork("x").next(), new Rng(1).fork("y").next());
});

const ds = generateSyntheticDataset(); // the default: seed 42, 500 users, 400 items

test("synthetic: same seed → same bytes, another seed → other data", async () => {
  const d1 = tmp();
  const d2 = tmp();
  await writeSyntheticDataset(d1, ds);
  await writeSyntheticDataset(d2, generateSyntheticDataset({ seed: 42 }));
  const f1 = filesOf(d1);
  assert.deepEqual(Object.keys(f1).sort(), [
    "info/Synthetic_Music_seed42.txt",
    "test/Synthetic_Music_seed42.csv",
    "train/Synthetic_Music_seed42.csv",
    "valid/Synthetic_Music_seed42.csv",
  ]);
  assert.deepEqual(filesOf(d2), f1);
  const other = generateSyntheticDataset({ seed: 43 });
  assert.notDeepEqual(
    other.items.map((i) => i.title),
    ds.items.map((i) => i.title),
  );
  // The written folder reads back with every row resolving against the catalogue.
  const loaded = await loadDataset(d1);
  assert.equal(loaded.catalogue.size, 400);
  assert.equal(loaded.splits.test!.length, ds.split.test.length);
  assert.equal(loaded.splits.train![0]!.target.title, ds.split.train[0]!.target.title);
});

test("synthetic: default sizes and title shape", () => {
  const story = describeSynthetic(ds);
  assert.equal(story.items, 400);
  assert.equal(story.users, 500);
  assert.ok(story.rows.train >= 3000 && story.rows.train <= 6000, `train ${story.rows.train}`);
  assert.ok(story.rows.test >= 300 && story.rows.test <= 500, `test ${story.rows.test}`);
  const n = story.rows.train + story.rows.valid + story.rows.test;
  assert.equal(story.rows.train, Math.trunc(n * 0.8));
  assert.equal(story.rows.valid, Math.trunc(n * 0.9) - Math.trunc(n * 0.8));
  const words = ds.items.map((i) => i.title.split(" ").length);
  assert.ok(Math.min(...words) >= 3 && Math.max(...words) <= 8, "titles of 3–8 words");
  assert.ok(
    story.distinctTitles < story.items && story.distinctTitles >= story.items - 15,
    "a few shared titles, as in the real data",
  );
  assert.ok(ds.items.some((i) => / - .+ Vol\. 2 \((CD|Vinyl|Cassette)\)$/.test(i.title)));
  for (const ex of [...ds.split.train, ...ds.split.test]) assert.ok(ex.history.length >= 1 && ex.history.length <= 10);
  // Chronological: every train target is no later than every test target.
  assert.ok(
    Math.max(...ds.split.train.map((e) => e.timestamp!)) <= Math.min(...ds.split.test.map((e) => e.timestamp!)),
  );
  // Late starters give short test histories, as in the real data (not only full windows of 10).
  assert.ok(ds.split.test.filter((e) => e.history.length < 10).length > ds.split.test.length / 3);
});

test("synthetic: targets follow the generative story", () => {
  const cat = ds.catalogue;
  const indexOf = new Map(ds.itemOf.map((it, i) => [it.id, i]));
  const releaseOf = (id: number) => cat.releases[cat.items[indexOf.get(id)!]!.release]!;
  let series = 0;
  let loyal = 0;
  let total = 0;
  for (const ex of ds.examples) {
    total++;
    const user = ds.users.find((u) => u.id === ex.userId)!;
    if (cat.items[indexOf.get(ex.target.id)!]!.format === user.format) loyal++;
    if (ds.reasons.get(ex) !== "series") continue;
    series++;
    // A continuation is the next volume of the most recent series item among the last 3 history items.
    const target = releaseOf(ex.target.id);
    const recent = ex.history
      .slice(-3)
      .map((h) => releaseOf(h.id))
      .filter((r) => r.series !== undefined);
    const last = recent.at(-1)!;
    assert.equal(target.series, last.series);
    assert.equal(target.volume, last.volume! + 1);
  }
  const story = describeSynthetic(ds);
  assert.ok(series / total > 0.2 && series / total < 0.4, `series share ${series / total}`);
  assert.ok(loyal / total > 0.6, `format loyalty ${loyal / total}`);
  // Baselines a model must beat: the continuation rule and popularity (numbers in docs/synthetic-data.md).
  assert.ok(story.continuationHitRate > 0.2 && story.continuationHitRate < story.testReasonShare.series + 0.05);
  assert.ok(story.popularityHitRate10 > 0.05 && story.popularityHitRate10 < 0.3);
  assert.ok(story.headShare > 0.4, `top 20% of items hold ${story.headShare} of train targets`);
  const shares = Object.values(story.reasonShare).reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(shares - 1) < 1e-9);
});

test("synthetic: sizes are parameters", () => {
  const small = generateSyntheticDataset({ seed: 7, users: 40, items: 60 });
  assert.equal(small.items.length, 60);
  assert.equal(small.users.length, 40);
  assert.deepEqual(
    small.items.map((i) => i.id),
    Array.from({ length: 60 }, (_, i) => i),
  );
  assert.throws(() => generateSyntheticDataset({ items: 5 }), /at least 20 items/);
  assert.throws(() => generateSyntheticDataset({ users: 0 }), /positive integer/);
});
