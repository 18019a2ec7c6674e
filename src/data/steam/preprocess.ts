/**
 * Raw Steam reviews + games → D3 dataset folder (the paper's Appendix C dataset), through the same
 * steps as the Amazon reference (spec 1.2–1.6): title cleaning, iterative K-core counting repeated
 * reviews, item ids by CPython's `random.seed(42); shuffle`, per-user sliding windows of ≤10,
 * global chronological 8:1:1 split, D3 CSV + info file.
 *
 * What differs from Amazon, because the data differs: the window defaults to the whole file (from
 * the first review's month to the month after the last) and is not widened unless an item
 * threshold is given; a review has a day (`date`), no rating (1.0 is written); users are named by
 * `username` by default (see SteamUserKey). The category, `steam`, gives the prompt phrase "games"
 * (spec 2.1) and prefixes the file stem.
 */
import { formatYearMonth, monthStart, type PassLog, type SelectionOptions, type YearMonth } from "../amazon/kcore.js";
import {
  buildAmazonDataset,
  datasetStem,
  resolveSelectionOptions,
  type PreprocessResult,
  type Preset,
} from "../amazon/preprocess.js";
import { writeDatasetFolder } from "../writer.js";
import { locateSteamFiles, readSteamGames, readSteamReviews, type SteamUserKey } from "./raw.js";

export const STEAM_CATEGORY = "steam";

export interface SteamPreprocessOptions extends Partial<SelectionOptions> {
  /** File-name prefix (default `steam`, whose prompt phrase is "games"). */
  category?: string;
  rawDir?: string;
  reviewsPath?: string;
  metaPath?: string;
  outDir: string;
  preset?: Preset;
  userKey?: SteamUserKey;
  historyLength?: number;
  idSeed?: number;
  log?: (message: string) => void;
}

export interface SteamPreprocessResult extends PreprocessResult {
  /** Review lines left out for a missing field, by field. */
  skipped: Record<string, number>;
}

function monthOf(seconds: number): YearMonth {
  const d = new Date(seconds * 1000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

/** Reads the two files, runs the selection and writes `info/`, `train/`, `valid/`, `test/` under `outDir`. */
export async function preprocessSteam(options: SteamPreprocessOptions): Promise<SteamPreprocessResult> {
  const log = options.log ?? (() => undefined);
  const category = options.category ?? STEAM_CATEGORY;
  let reviewsPath = options.reviewsPath;
  let metaPath = options.metaPath;
  if (!reviewsPath || !metaPath) {
    if (!options.rawDir) throw new Error("preprocessSteam: give rawDir, or both reviewsPath and metaPath");
    const found = locateSteamFiles(options.rawDir);
    reviewsPath ??= found.reviews;
    metaPath ??= found.meta;
  }
  const timezone = options.timezone ?? "utc";
  const t0 = Date.now();
  log(`reading reviews ${reviewsPath}`);
  const reviews = await readSteamReviews(
    reviewsPath,
    options.userKey,
    options.end ? monthStart(options.end, timezone) : Infinity,
  );
  const skipped = Object.entries(reviews.skipped).map(([f, n]) => `${n} without ${f}`);
  log(
    `  ${reviews.user.length} reviews, ${reviews.users.length} users, ${reviews.asins.length} products` +
      `${skipped.length ? ` (skipped: ${skipped.join(", ")})` : ""} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  if (reviews.time.length === 0)
    throw new Error(`${reviewsPath}: no usable review (every line lacks a user, product or date)`);
  log(`reading games ${metaPath}`);
  const meta = await readSteamGames(metaPath, reviews.asins);
  log(`  ${meta.length} game records of reviewed products`);
  // The whole file by default: from the first review's month to the month after the last.
  let first = Infinity;
  let last = -Infinity;
  for (const t of reviews.time) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const lastMonth = monthOf(last);
  const start = options.start ?? monthOf(first);
  const end = options.end ?? {
    year: lastMonth.year + Math.floor(lastMonth.month / 12),
    month: (lastMonth.month % 12) + 1,
  };
  const sel = resolveSelectionOptions({
    ...options,
    start,
    end,
    timezone,
    itemThreshold: options.itemThreshold ?? 0,
    stopYear: options.stopYear ?? Math.min(start.year, 1996),
  });
  const built = buildAmazonDataset(reviews, meta, sel, options.historyLength, options.idSeed);
  for (const p of built.selection.log) logPass(log, p, sel.end);
  const stem = datasetStem(category, sel.k, built.selection.start, built.selection.end);
  const files = await writeDatasetFolder(options.outDir, stem, built.catalogue, built.split);
  const counts = { train: built.split.train.length, valid: built.split.valid.length, test: built.split.test.length };
  log(
    `wrote ${stem}: ${built.catalogue.length} items, ${built.users} users, ${built.interactions} interactions, ` +
      `train ${counts.train}, valid ${counts.valid}, test ${counts.test} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return {
    stem,
    start: built.selection.start,
    end: built.selection.end,
    passes: built.selection.log,
    users: built.users,
    items: built.catalogue.length,
    interactions: built.interactions,
    counts,
    files,
    skipped: reviews.skipped,
  };
}

function logPass(log: (m: string) => void, p: PassLog, end: YearMonth): void {
  log(
    `  window ${formatYearMonth(p.start)}..${formatYearMonth(end)} pass ${p.pass}: ${p.users} users, ${p.items} items, ${p.reviews} reviews`,
  );
}
