/**
 * The reference's selection of interactions (spec 1.2, function `gao`), as a pure function over
 * loaded reviews and metadata:
 *
 *   for a window [start, end] (both inclusive, month starts):
 *     clean every title again (the reference mutates titles in place on every call, so a title is
 *     cleaned once per window tried) and drop items without a kept title;
 *     repeat: count in-window reviews of kept users and items (duplicates count), mark users and
 *       items with < K, abort if this pass saw < itemThreshold items (only while start year >
 *       stopYear), stop when nothing was marked;
 *   on abort, move the start back by `widenMonths` and start over with fresh removal sets.
 */
import { cleanTitle, isHtmlJunkTitle, isTitleKept, SPAN_ID_MARKER } from "./titles.js";
import type { RawMetaRecord, RawReviews } from "./raw.js";

export interface YearMonth {
  year: number;
  month: number;
}

/** "2017-10" → { year: 2017, month: 10 }; undefined when it is not YEAR-MONTH with a month 1–12. */
export function parseYearMonth(raw: string): YearMonth | undefined {
  const m = /^(\d{4})-(\d{1,2})$/.exec(raw);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return undefined;
  return { year: Number(m[1]), month: Number(m[2]) };
}

export type Dedupe = "none" | "exact" | "user-item";

export interface SelectionOptions {
  /** Minimum interactions per user and per item (reference 5). */
  k: number;
  start: YearMonth;
  end: YearMonth;
  /** Widen the window until the converged core has at least this many items (LatentR3 5000, D3 10000). */
  itemThreshold: number;
  /** Months the start moves back per widening (LatentR3 3, D3 12). */
  widenMonths: number;
  /** No widening (and no item-threshold abort) once the start year is ≤ this (reference 1996). */
  stopYear: number;
  /** Month starts in UTC (default, reproducible) or the machine's local zone (the reference's naive datetime). */
  timezone: "utc" | "local";
  /** Also drop the `<span class=…` junk titles the reference keeps. */
  dropHtmlTitles: boolean;
  /** Drop repeated interactions within the window before counting (reference: none). */
  dedupe: Dedupe;
}

export interface PassLog {
  start: YearMonth;
  pass: number;
  users: number;
  items: number;
  reviews: number;
}

export interface Selection {
  start: YearMonth;
  end: YearMonth;
  /** Indexes into the review table of the surviving reviews, in file order. */
  reviews: number[];
  /** Item indexes in order of first appearance among the surviving reviews (the reference's dict order). */
  items: number[];
  /** Cleaned title per item index (defined for every selected item). */
  titles: Array<string | undefined>;
  log: PassLog[];
}

/** Unix seconds of 00:00 on the 1st of the month. */
export function monthStart(ym: YearMonth, timezone: "utc" | "local"): number {
  const ms = timezone === "utc" ? Date.UTC(ym.year, ym.month - 1, 1) : new Date(ym.year, ym.month - 1, 1).getTime();
  return Math.floor(ms / 1000);
}

export function widen(ym: YearMonth, months: number): YearMonth {
  const total = ym.year * 12 + (ym.month - 1) - months;
  return { year: Math.floor(total / 12), month: (total % 12) + 1 };
}

export const formatYearMonth = (ym: YearMonth): string => `${ym.year}-${ym.month}`;

/** Titles per item after one more cleaning pass; `undefined` marks a removed item. */
function cleanTitlesPass(meta: RawMetaRecord[], itemCount: number, dropHtml: boolean): Array<string | undefined> {
  const titles = new Array<string | undefined>(itemCount).fill(undefined);
  const removed = new Uint8Array(itemCount);
  for (const rec of meta) {
    if (rec.title === undefined || rec.title.includes(SPAN_ID_MARKER)) {
      removed[rec.item] = 1;
      continue;
    }
    rec.title = cleanTitle(rec.title);
    if (isTitleKept(rec.title) && !(dropHtml && isHtmlJunkTitle(rec.title))) titles[rec.item] = rec.title;
    else removed[rec.item] = 1;
  }
  // A record without a usable title removes the item even if another record of the same asin has one.
  for (let i = 0; i < itemCount; i++) if (removed[i]) titles[i] = undefined;
  return titles;
}

function inWindow(reviews: RawReviews, startTs: number, endTs: number, dedupe: Dedupe): number[] {
  const out: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < reviews.time.length; i++) {
    const t = reviews.time[i]!;
    if (t < startTs || t > endTs) continue;
    if (dedupe !== "none") {
      const key =
        dedupe === "exact" ? `${reviews.user[i]}|${reviews.item[i]}|${t}` : `${reviews.user[i]}|${reviews.item[i]}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    out.push(i);
  }
  return out;
}

/**
 * Runs the windowed iterative K-core with widening. `meta` titles are cleaned in place once per
 * window tried, exactly like the reference. Throws if the start is already before `stopYear`.
 */
export function selectInteractions(reviews: RawReviews, meta: RawMetaRecord[], options: SelectionOptions): Selection {
  const { k, end } = options;
  let start = options.start;
  const log: PassLog[] = [];
  const nUsers = reviews.users.length;
  const nItems = reviews.asins.length;
  for (;;) {
    if (start.year < options.stopYear) {
      throw new Error(
        `widening moved the start to ${formatYearMonth(start)}, before ${options.stopYear}, without reaching ${options.itemThreshold} items; ` +
          "the reference writes nothing then (lower --item-threshold or --widen-months)",
      );
    }
    const startTs = monthStart(start, options.timezone);
    const endTs = monthStart(end, options.timezone);
    const titles = cleanTitlesPass(meta, nItems, options.dropHtmlTitles);
    const removedItem = new Uint8Array(nItems);
    for (let i = 0; i < nItems; i++) if (titles[i] === undefined) removedItem[i] = 1;
    const removedUser = new Uint8Array(nUsers);
    const window = inWindow(reviews, startTs, endTs, options.dedupe);
    const canWiden = start.year > options.stopYear;
    let aborted = false;
    let counted: number[] = [];
    for (let pass = 1; ; pass++) {
      const userCount = new Int32Array(nUsers);
      const itemCount = new Int32Array(nItems);
      counted = [];
      for (const i of window) {
        const u = reviews.user[i]!;
        const it = reviews.item[i]!;
        if (removedUser[u] || removedItem[it]) continue;
        userCount[u]!++;
        itemCount[it]!++;
        counted.push(i);
      }
      let users = 0;
      let items = 0;
      let marked = false;
      for (let u = 0; u < nUsers; u++) {
        if (userCount[u]! === 0) continue;
        users++;
        if (userCount[u]! < k) {
          removedUser[u] = 1;
          marked = true;
        }
      }
      for (let it = 0; it < nItems; it++) {
        if (itemCount[it]! === 0) continue;
        items++;
        if (itemCount[it]! < k) {
          removedItem[it] = 1;
          marked = true;
        }
      }
      log.push({ start, pass, users, items, reviews: counted.length });
      if (canWiden && items < options.itemThreshold) {
        aborted = true;
        break;
      }
      if (!marked) break;
    }
    if (aborted) {
      start = widen(start, options.widenMonths);
      continue;
    }
    const order: number[] = [];
    const seen = new Uint8Array(nItems);
    for (const i of counted) {
      const it = reviews.item[i]!;
      if (!seen[it]) {
        seen[it] = 1;
        order.push(it);
      }
    }
    return { start, end, reviews: counted, items: order, titles, log };
  }
}
