/**
 * Numbers that make results on the synthetic data interpretable: how targets were generated
 * (shares per mechanism), and what two simple baselines score on the test split, counted by title
 * as the reference counts hits:
 *   - continuation rule (HR@1): if one of the last 3 history items is volume k of a series and
 *     volume k+1 is not in the history, predict it in the history's most frequent format;
 *   - popularity (HR@10): the 10 most frequent target titles of the train split.
 */
import type { Example } from "../types.js";
import type { SyntheticDataset } from "./generate.js";
import type { PurchaseReason } from "./users.js";
import type { Format } from "./words.js";

export interface SyntheticStory {
  items: number;
  distinctTitles: number;
  users: number;
  rows: { train: number; valid: number; test: number };
  /** Share of targets per mechanism, all splits and test only. */
  reasonShare: Record<Exclude<PurchaseReason, "first">, number>;
  testReasonShare: Record<Exclude<PurchaseReason, "first">, number>;
  /** Share of test rows where the continuation rule makes a prediction, and its HR@1. */
  continuationCoverage: number;
  continuationHitRate: number;
  popularityHitRate10: number;
  /** Share of train interactions (targets) on the top 20% of items. */
  headShare: number;
}

const REASONS = ["series", "artist", "genre", "popular"] as const;

function shares(
  examples: readonly Example[],
  reasons: ReadonlyMap<Example, PurchaseReason>,
): Record<(typeof REASONS)[number], number> {
  const out = { series: 0, artist: 0, genre: 0, popular: 0 };
  for (const ex of examples) {
    const r = reasons.get(ex);
    if (r && r !== "first") out[r]++;
  }
  for (const k of REASONS) out[k] = examples.length ? out[k] / examples.length : 0;
  return out;
}

/** Catalogue item index per title; for a shared (compilation) title the first item, never a series volume. */
function titleIndex(ds: SyntheticDataset): Map<string, number> {
  const index = new Map<string, number>();
  ds.itemOf.forEach((item, i) => {
    if (!index.has(item.title)) index.set(item.title, i);
  });
  return index;
}

/** The continuation rule's title for one history, or undefined when it abstains. */
function predict(
  ds: SyntheticDataset,
  example: Example,
  indexOfTitle: ReadonlyMap<string, number>,
): string | undefined {
  const cat = ds.catalogue;
  const historyReleases = example.history.map((h) => cat.items[indexOfTitle.get(h.title)!]!.release);
  const owned = new Set(historyReleases);
  for (let i = example.history.length - 1; i >= Math.max(0, example.history.length - 3); i--) {
    const rel = cat.releases[historyReleases[i]!]!;
    if (rel.series === undefined) continue;
    const nextIndex = cat.series[rel.series]!.volumes[rel.volume!];
    if (nextIndex === undefined || owned.has(nextIndex)) return undefined;
    const next = cat.releases[nextIndex]!;
    // Most frequent format in the history; ties go to the most recent.
    const counts = new Map<Format, number>();
    let best: Format = "CD";
    for (const h of example.history) {
      const f = cat.items[indexOfTitle.get(h.title)!]!.format;
      counts.set(f, (counts.get(f) ?? 0) + 1);
      if (counts.get(f)! >= (counts.get(best) ?? 0)) best = f;
    }
    const format: Format = next.formats.includes(best) ? best : "CD";
    return cat.items[next.items[next.formats.indexOf(format)]!]!.title;
  }
  return undefined;
}

export function describeSynthetic(ds: SyntheticDataset): SyntheticStory {
  const indexOfTitle = titleIndex(ds);
  const { train, valid, test } = ds.split;
  let covered = 0;
  let hits = 0;
  for (const ex of test) {
    const p = predict(ds, ex, indexOfTitle);
    if (p === undefined) continue;
    covered++;
    if (p === ex.target.title) hits++;
  }
  const freq = new Map<string, number>();
  for (const ex of train) freq.set(ex.target.title, (freq.get(ex.target.title) ?? 0) + 1);
  const top10 = new Set(
    [...freq.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([t]) => t),
  );
  const itemFreq = new Map<number, number>();
  for (const ex of train) itemFreq.set(ex.target.id, (itemFreq.get(ex.target.id) ?? 0) + 1);
  const sortedCounts = ds.items.map((it) => itemFreq.get(it.id) ?? 0).sort((a, b) => b - a);
  const head = sortedCounts.slice(0, Math.ceil(sortedCounts.length * 0.2)).reduce((s, c) => s + c, 0);
  return {
    items: ds.items.length,
    distinctTitles: new Set(ds.items.map((i) => i.title)).size,
    users: ds.users.length,
    rows: { train: train.length, valid: valid.length, test: test.length },
    reasonShare: shares(ds.examples, ds.reasons),
    testReasonShare: shares(test, ds.reasons),
    continuationCoverage: test.length ? covered / test.length : 0,
    continuationHitRate: test.length ? hits / test.length : 0,
    popularityHitRate10: test.length ? test.filter((ex) => top10.has(ex.target.title)).length / test.length : 0,
    headShare: train.length ? head / train.length : 0,
  };
}
