/**
 * Raw Amazon 2018 reviews + metadata → D3 dataset folder (spec 1.2–1.6):
 * windowed iterative K-core with widening, item ids by CPython's `random.seed(42); shuffle`,
 * per-user histories of ≤10, global chronological 8:1:1 split, D3 CSV + info file named
 * `{Category}_{K}_{sy}-{sm}-{ey}-{em}` (months not zero-padded).
 *
 * Defaults are the LatentR3 reference; `preset: "d3"` gives the D3 thresholds. The cleaner
 * variants (UTC vs local month bounds, junk titles, de-duplication) are options; UTC is the default
 * because the reference's local-time bounds depend on the machine that ran it.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeCatalogue } from "../catalogue.js";
import { buildExamples, chronologicalSplit, HISTORY_LENGTH, type Interaction } from "../sequences.js";
import type { Item } from "../types.js";
import { writeExamplesCsv } from "../writer.js";
import { boolean, choice, configTable, int, optional, required, string } from "../../util/config-table.js";
import {
  formatYearMonth,
  monthStart,
  parseYearMonth,
  selectInteractions,
  type PassLog,
  type SelectionOptions,
  type YearMonth,
} from "./kcore.js";
import { PythonRandom } from "./python-random.js";
import { locateRawFiles, readRawMeta, readRawReviews, type RawMetaRecord, type RawReviews } from "./raw.js";

export type Preset = "latentr3" | "d3";

/** Reference parameters: LatentR3 `data/process.py` and D3 `code/process.py` (spec 1.2, 1.8). */
export const PRESETS: Record<Preset, Pick<SelectionOptions, "itemThreshold" | "widenMonths">> = {
  latentr3: { itemThreshold: 5000, widenMonths: 3 },
  d3: { itemThreshold: 10000, widenMonths: 12 },
};

/** The preprocessing settings, declared once; their defaults are the LatentR3 reference's. */
export const PREPROCESS_CONFIG = configTable("Amazon preprocessing", {
  category: required("category name, e.g. CDs_and_Vinyl (also the file-name prefix)"),
  raw: string(".", "folder with {CATEGORY}_5.json[.gz] (or {CATEGORY}.json[.gz]) and meta_{CATEGORY}.json[.gz]"),
  reviews: optional("string", "reviews file (overrides --raw)"),
  meta: optional("string", "metadata file (overrides --raw)"),
  out: string("data", "output dataset folder"),
  preset: choice(
    ["latentr3", "d3"] as const,
    "latentr3",
    "reference thresholds: latentr3 = 5000 items / 3-month steps, d3 = 10000 / 12",
  ),
  k: int(5, "minimum interactions per user and per item", { min: 1 }),
  start: {
    ...string("2017-10", "first month of the window (YEAR-MONTH), widened backwards as needed"),
    valueName: "YEAR-MONTH",
  },
  end: { ...string("2018-11", "month whose first second ends the window (inclusive)"), valueName: "YEAR-MONTH" },
  itemThreshold: optional("int", "widen until the core has at least this many items (default from --preset)", {
    min: 1,
  }),
  widenMonths: optional("int", "months per widening step (default from --preset)", { min: 1 }),
  stopYear: int(1996, "no widening once the start year is at or before this"),
  timezone: choice(["utc", "local"] as const, "utc", "month bounds in UTC, or local time as the reference did"),
  dropHtmlTitles: boolean('drop items titled "<span class=..." (the reference keeps them)'),
  dedupe: choice(
    ["none", "exact", "user-item"] as const,
    "none",
    "drop repeated interactions (same user, item[, time]) before counting",
  ),
  history: int(HISTORY_LENGTH, "history window length", { min: 1 }),
  idSeed: int(42, "seed of the CPython shuffle assigning item ids"),
});
const DEFAULTS = PREPROCESS_CONFIG.defaults();

export interface PreprocessOptions extends Partial<SelectionOptions> {
  category: string;
  /** Folder with the raw files (located by category name), unless both paths are given. */
  rawDir?: string;
  reviewsPath?: string;
  metaPath?: string;
  outDir: string;
  preset?: Preset;
  historyLength?: number;
  /** Seed of the CPython shuffle that assigns item ids (reference 42). */
  idSeed?: number;
  log?: (message: string) => void;
}

export interface PreprocessResult {
  stem: string;
  start: YearMonth;
  end: YearMonth;
  passes: PassLog[];
  users: number;
  items: number;
  interactions: number;
  counts: { train: number; valid: number; test: number };
  files: { info: string; train: string; valid: string; test: string };
}

/** Full options with the reference defaults filled in. */
export function resolveSelectionOptions(options: Partial<SelectionOptions> & { preset?: Preset }): SelectionOptions {
  const preset = PRESETS[options.preset ?? DEFAULTS.preset];
  return {
    k: options.k ?? DEFAULTS.k,
    start: options.start ?? parseYearMonth(DEFAULTS.start)!,
    end: options.end ?? parseYearMonth(DEFAULTS.end)!,
    itemThreshold: options.itemThreshold ?? preset.itemThreshold,
    widenMonths: options.widenMonths ?? preset.widenMonths,
    stopYear: options.stopYear ?? DEFAULTS.stopYear,
    timezone: options.timezone ?? DEFAULTS.timezone,
    dropHtmlTitles: options.dropHtmlTitles ?? DEFAULTS.dropHtmlTitles,
    dedupe: options.dedupe ?? DEFAULTS.dedupe,
  };
}

/** Item ids 0..n−1 in CPython-shuffled order of the items' first appearance. */
export function assignItemIds(itemOrder: readonly number[], seed = DEFAULTS.idSeed): Map<number, number> {
  const shuffled = new PythonRandom(seed).shuffle([...itemOrder]);
  return new Map(shuffled.map((item, id) => [item, id]));
}

/** The selection, ids and examples in memory (no files): the testable core of `preprocessAmazon`. */
export function buildAmazonDataset(
  reviews: RawReviews,
  meta: RawMetaRecord[],
  options: SelectionOptions,
  historyLength = DEFAULTS.history,
  idSeed = DEFAULTS.idSeed,
) {
  const selection = selectInteractions(reviews, meta, options);
  const ids = assignItemIds(selection.items, idSeed);
  const itemOf = new Map<number, Item>();
  for (const [index, id] of ids)
    itemOf.set(index, { id, title: selection.titles[index]!, asin: reviews.asins[index]! });
  const interactions: Interaction[] = selection.reviews.map((i) => ({
    userId: reviews.users[reviews.user[i]!]!,
    item: itemOf.get(reviews.item[i]!)!,
    timestamp: reviews.time[i]!,
    rating: reviews.rating[i]!,
  }));
  const catalogue = [...itemOf.values()].sort((a, b) => a.id - b.id);
  const examples = buildExamples(interactions, historyLength);
  const users = new Set(interactions.map((x) => x.userId)).size;
  return {
    selection,
    catalogue,
    examples,
    split: chronologicalSplit(examples),
    users,
    interactions: interactions.length,
  };
}

export function datasetStem(category: string, k: number, start: YearMonth, end: YearMonth): string {
  return `${category}_${k}_${formatYearMonth(start)}-${formatYearMonth(end)}`;
}

/** Reads the raw files, runs the reference pipeline and writes `info/`, `train/`, `valid/`, `test/` under `outDir`. */
export async function preprocessAmazon(options: PreprocessOptions): Promise<PreprocessResult> {
  const log = options.log ?? (() => undefined);
  const sel = resolveSelectionOptions(options);
  let reviewsPath = options.reviewsPath;
  let metaPath = options.metaPath;
  if (!reviewsPath || !metaPath) {
    if (!options.rawDir) throw new Error("preprocessAmazon: give rawDir, or both reviewsPath and metaPath");
    const found = locateRawFiles(options.rawDir, options.category);
    reviewsPath ??= found.reviews;
    metaPath ??= found.meta;
  }
  const t0 = Date.now();
  log(`reading reviews ${reviewsPath}`);
  const reviews = await readRawReviews(reviewsPath, monthStart(sel.end, sel.timezone));
  log(
    `  ${reviews.user.length} reviews up to ${formatYearMonth(sel.end)}, ${reviews.users.length} users, ${reviews.asins.length} items (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  log(`reading metadata ${metaPath}`);
  const meta = await readRawMeta(metaPath, reviews.asins);
  log(`  ${meta.length} metadata records of reviewed items`);
  const built = buildAmazonDataset(reviews, meta, sel, options.historyLength, options.idSeed);
  for (const p of built.selection.log) {
    log(
      `  window ${formatYearMonth(p.start)}..${formatYearMonth(sel.end)} pass ${p.pass}: ${p.users} users, ${p.items} items, ${p.reviews} reviews`,
    );
  }
  const { start, end } = built.selection;
  const stem = datasetStem(options.category, sel.k, start, end);
  const files = {
    info: join(options.outDir, "info", `${stem}.txt`),
    train: join(options.outDir, "train", `${stem}.csv`),
    valid: join(options.outDir, "valid", `${stem}.csv`),
    test: join(options.outDir, "test", `${stem}.csv`),
  };
  for (const d of ["info", "train", "valid", "test"]) await mkdir(join(options.outDir, d), { recursive: true });
  await writeCatalogue(files.info, built.catalogue);
  for (const split of ["train", "valid", "test"] as const)
    await writeExamplesCsv(files[split], built.split[split], "d3");
  const counts = { train: built.split.train.length, valid: built.split.valid.length, test: built.split.test.length };
  log(
    `wrote ${stem}: ${built.catalogue.length} items, train ${counts.train}, valid ${counts.valid}, test ${counts.test} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return {
    stem,
    start,
    end,
    passes: built.selection.log,
    users: built.users,
    items: built.catalogue.length,
    interactions: built.interactions,
    counts,
    files,
  };
}
