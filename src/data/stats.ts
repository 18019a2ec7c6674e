/**
 * Dataset statistics, printed on load and by `latentr3 data stats` (RecBole-style): sizes, history
 * lengths, popularity concentration, the title traps of the real data (shared titles, HTML junk)
 * and cold-start targets. Pure computations over examples; `formatStats` renders the table.
 */
import { statSync } from "node:fs";
import { basename } from "node:path";
import { isHtmlJunkTitle } from "./amazon/titles.js";
import type { ItemCatalogue } from "./catalogue.js";
import { loadDataset, SPLITS, type Split } from "./dataset.js";
import { experimentSplits } from "./protocol.js";
import type { SkipCounts } from "./errors.js";
import type { CsvLayout } from "./layouts.js";
import { readAllExamples } from "./reader.js";
import type { Example } from "./types.js";

export interface SplitStats {
  rows: number;
  users: number;
  /** Distinct item ids in histories or targets. */
  items: number;
  distinctTargets: number;
  /** Rows per history length: index 0 ↔ length 1. */
  historyLengths: number[];
  meanHistoryLength: number;
  /** Share of rows whose target is among the top 20% of items by target frequency in this split. */
  headShare: number;
  /** Number of items making up that head (20% of the catalogue, or of the items seen without one). */
  headItems: number;
  junkTargets: number;
  /** Target equals the last history item (a repeated interaction). */
  repeatTargets: number;
  /** Unix seconds of the first and last target, when the layout has timestamps. */
  timeRange?: [number, number];
  /** Rows skipped as unreadable, per reason. */
  skipped?: Record<string, number>;
}

export interface CatalogueStats {
  items: number;
  distinctTitles: number;
  /** Titles naming more than one item, and how many items they name. */
  sharedTitles: number;
  itemsWithSharedTitle: number;
  junkTitleItems: number;
  topSharedTitles: Array<{ title: string; items: number }>;
}

export interface ColdStartStats {
  /** The split that plays the role of training data (train, or valid when train is absent). */
  reference: Split;
  split: Split;
  /** Rows whose target item never occurs (as target or history) in the reference split. */
  rows: number;
  share: number;
}

/** The experiment's training data when a folder has no train split (data/protocol.ts). */
export interface ProtocolStats {
  /** Rows rebuilt from histories (`--train-from-history`, the default without a train split). */
  rebuiltRows: number;
  rebuiltUsers: number;
  train: number;
  selection: number;
  test: number;
  /** Test targets that occur nowhere (target or history) in the experiment's training rows. */
  coldStartTest: number;
  protocol: string;
}

export interface DatasetStats {
  source: string;
  layout: CsvLayout | undefined;
  catalogue?: CatalogueStats;
  /** "rebuilt": the training rows rebuilt from histories, when the folder has no train split. */
  splits: Partial<Record<Split | "file" | "rebuilt", SplitStats>>;
  coldStart: ColdStartStats[];
  protocol?: ProtocolStats;
}

export function splitStats(examples: readonly Example[], catalogueSize?: number): SplitStats {
  const users = new Set<string>();
  const items = new Set<number>();
  const targetCount = new Map<number, number>();
  const lengths: number[] = [];
  let junk = 0;
  let repeats = 0;
  let histTotal = 0;
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const ex of examples) {
    users.add(ex.userId);
    for (const h of ex.history) items.add(h.id);
    items.add(ex.target.id);
    targetCount.set(ex.target.id, (targetCount.get(ex.target.id) ?? 0) + 1);
    const n = ex.history.length;
    while (lengths.length < n) lengths.push(0);
    if (n > 0) lengths[n - 1]!++;
    histTotal += n;
    if (isHtmlJunkTitle(ex.target.title)) junk++;
    if (n > 0 && ex.history[n - 1]!.id === ex.target.id) repeats++;
    if (ex.timestamp !== undefined) {
      tMin = Math.min(tMin, ex.timestamp);
      tMax = Math.max(tMax, ex.timestamp);
    }
  }
  const headItems = Math.ceil(0.2 * (catalogueSize ?? items.size));
  const counts = [...targetCount.values()].sort((a, b) => b - a);
  const head = counts.slice(0, headItems).reduce((s, c) => s + c, 0);
  const stats: SplitStats = {
    rows: examples.length,
    users: users.size,
    items: items.size,
    distinctTargets: targetCount.size,
    historyLengths: lengths,
    meanHistoryLength: examples.length ? histTotal / examples.length : 0,
    headShare: examples.length ? head / examples.length : 0,
    headItems,
    junkTargets: junk,
    repeatTargets: repeats,
  };
  if (tMin <= tMax) stats.timeRange = [tMin, tMax];
  return stats;
}

export function catalogueStats(catalogue: ItemCatalogue): CatalogueStats {
  const shared = catalogue.duplicateTitles();
  return {
    items: catalogue.size,
    distinctTitles: catalogue.titles.length,
    sharedTitles: shared.length,
    itemsWithSharedTitle: shared.reduce((s, d) => s + d.items.length, 0),
    junkTitleItems: catalogue.items.filter((i) => isHtmlJunkTitle(i.title)).length,
    topSharedTitles: shared
      .map((d) => ({ title: d.title, items: d.items.length }))
      .sort((a, b) => b.items - a.items)
      .slice(0, 5),
  };
}

export function coldStartStats(splits: Partial<Record<Split, readonly Example[]>>): ColdStartStats[] {
  const reference: Split | undefined = splits.train ? "train" : splits.valid ? "valid" : undefined;
  if (!reference) return [];
  const seen = new Set<number>();
  for (const ex of splits[reference]!) {
    seen.add(ex.target.id);
    for (const h of ex.history) seen.add(h.id);
  }
  const out: ColdStartStats[] = [];
  for (const split of SPLITS) {
    const rows = splits[split];
    if (!rows || split === reference || (reference === "valid" && split === "train")) continue;
    const cold = rows.filter((ex) => !seen.has(ex.target.id)).length;
    out.push({ reference, split, rows: cold, share: rows.length ? cold / rows.length : 0 });
  }
  return out;
}

const skipJson = (s: SkipCounts | undefined) => (s && s.total > 0 ? (s.toJSON() as Record<string, number>) : undefined);

/** Statistics of a dataset folder or a single CSV file (bad rows are counted, not fatal, unless `strict`). */
export async function statsForPath(path: string, strict = false): Promise<DatasetStats> {
  if (statSync(path).isDirectory()) {
    const ds = await loadDataset(path, { skipBadRows: !strict });
    const splits: DatasetStats["splits"] = {};
    for (const split of SPLITS) {
      const rows = ds.splits[split];
      if (!rows) continue;
      const s = splitStats(rows, ds.catalogue.size);
      const skipped = skipJson(ds.skipped[split]);
      if (skipped) s.skipped = skipped;
      splits[split] = s;
    }
    let protocol: ProtocolStats | undefined;
    if (!ds.splits.train && ds.splits.valid && ds.splits.test) {
      const experiment = experimentSplits(ds);
      const rebuilt = experiment.rebuilt!;
      if (rebuilt.rows.length > 0) splits.rebuilt = splitStats(rebuilt.rows, ds.catalogue.size);
      protocol = {
        rebuiltRows: rebuilt.rows.length,
        rebuiltUsers: rebuilt.users,
        train: experiment.train.length,
        selection: experiment.valid.length,
        test: experiment.test.length,
        coldStartTest: coldStartStats({ train: experiment.train, test: experiment.test })[0]!.rows,
        protocol: experiment.protocol,
      };
    }
    return {
      source: `${path} (${ds.files.stem})`,
      layout: ds.layout,
      catalogue: catalogueStats(ds.catalogue),
      splits,
      coldStart: coldStartStats(ds.splits),
      ...(protocol ? { protocol } : {}),
    };
  }
  const read = await readAllExamples(path, { skipBadRows: !strict });
  const s = splitStats(read.examples);
  const skipped = skipJson(read.skipped);
  if (skipped) s.skipped = skipped;
  return { source: basename(path), layout: read.layout, splits: { file: s }, coldStart: [] };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "))
    .join("\n");
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** Human-readable report. */
export function formatStats(stats: DatasetStats): string {
  const out: string[] = [`Dataset ${stats.source}, ${stats.layout ?? "unknown"} layout`];
  const c = stats.catalogue;
  if (c) {
    out.push(
      `Catalogue: ${c.items} items, ${c.distinctTitles} distinct titles; ${c.sharedTitles} titles shared by ${c.itemsWithSharedTitle} items; ${c.junkTitleItems} HTML-junk titles`,
    );
    if (c.topSharedTitles.length > 0)
      out.push(`  most shared: ${c.topSharedTitles.map((t) => `${JSON.stringify(t.title)} ×${t.items}`).join(", ")}`);
  }
  const names = Object.keys(stats.splits) as Array<Split | "file" | "rebuilt">;
  const header = [
    "split",
    "rows",
    "users",
    "items",
    "targets",
    "mean hist",
    "head share",
    "junk targets",
    "repeat targets",
    "first target",
    "last target",
  ];
  const rows = names.map((n) => {
    const s = stats.splits[n]!;
    return [
      n,
      String(s.rows),
      String(s.users),
      String(s.items),
      String(s.distinctTargets),
      s.meanHistoryLength.toFixed(2),
      `${pct(s.headShare)} (${s.headItems})`,
      String(s.junkTargets),
      String(s.repeatTargets),
      s.timeRange ? day(s.timeRange[0]) : "-",
      s.timeRange ? day(s.timeRange[1]) : "-",
    ];
  });
  out.push("", table([header, ...rows]));
  const maxLen = Math.max(...names.map((n) => stats.splits[n]!.historyLengths.length));
  if (maxLen > 0) {
    out.push("", "History length (rows per length):");
    const lens = Array.from({ length: maxLen }, (_, i) => String(i + 1));
    out.push(
      table([
        ["length", ...lens],
        ...names.map((n) => [n, ...lens.map((_, i) => String(stats.splits[n]!.historyLengths[i] ?? 0))]),
      ]),
    );
  }
  for (const cs of stats.coldStart) {
    out.push(
      `Cold start: ${cs.rows} ${cs.split} targets (${pct(cs.share)}) never occur in ${cs.reference}${cs.reference === "valid" ? " (no train split: valid plays train)" : ""}`,
    );
  }
  const p = stats.protocol;
  if (p) {
    out.push(
      `Rebuilt from histories: ${p.rebuiltRows} training rows of ${p.rebuiltUsers} users (row "rebuilt" above; --train-from-history, the default without a train split)`,
      `Experiment: train ${p.train} / select ${p.selection} / test ${p.test} rows — ${p.protocol}`,
      `Cold start in the experiment: ${p.coldStartTest} test targets (${pct(p.test ? p.coldStartTest / p.test : 0)}) never occur in its training rows`,
    );
  }
  for (const n of names) {
    const sk = stats.splits[n]!.skipped;
    if (sk)
      out.push(
        `Skipped in ${n}: ${Object.entries(sk)
          .map(([r, k]) => `${k} ${r}`)
          .join(", ")}`,
      );
  }
  out.push(
    "",
    "head share = share of rows whose target is among the top 20% of items by target frequency (item count in parentheses)",
  );
  return out.join("\n");
}
