/**
 * Raw Amazon Review Data (2018) files: `{Category}_5.json` (official 5-core) or `{Category}.json`
 * reviews and `meta_{Category}.json`, each optionally `.gz`. Reviews are loaded into a compact
 * columnar table (interned user and item indexes); metadata keeps only the titles of reviewed items.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DataFormatError } from "../errors.js";
import { readJsonLines } from "./json-lines.js";

/** Reviews in file order, one column per field used by the reference. */
export interface RawReviews {
  /** reviewerID per user index. */
  users: string[];
  /** asin per item index. */
  asins: string[];
  user: number[];
  item: number[];
  /** `unixReviewTime`, Unix seconds. */
  time: number[];
  /** `overall`. */
  rating: number[];
}

/** One metadata record of a reviewed item, in file order; `title` undefined when absent or not a string. */
export interface RawMetaRecord {
  item: number;
  title: string | undefined;
}

export interface RawFiles {
  reviews: string;
  meta: string;
}

/** Finds the category's files in `dir`, preferring the 5-core reviews as the reference does. */
export function locateRawFiles(dir: string, category: string): RawFiles {
  const first = (names: string[]): string | undefined => names.map((n) => join(dir, n)).find((p) => existsSync(p));
  const reviews = first([`${category}_5.json`, `${category}_5.json.gz`, `${category}.json`, `${category}.json.gz`]);
  const meta = first([`meta_${category}.json`, `meta_${category}.json.gz`]);
  if (!reviews || !meta) {
    throw new Error(
      `${dir}: missing raw files for ${category}: need ${category}_5.json[.gz] (or ${category}.json[.gz]) and meta_${category}.json[.gz]` +
        ` (found reviews: ${reviews ?? "none"}, meta: ${meta ?? "none"}); see \`latentr3 data download --help\``,
    );
  }
  return { reviews, meta };
}

function field<T>(
  value: Record<string, unknown>,
  name: string,
  check: (v: unknown) => v is T,
  file: string,
  line: number,
  expected: string,
): T {
  const v = value[name];
  if (!check(v)) throw new DataFormatError({ file, line, field: name }, `got ${JSON.stringify(v)}`, expected);
  return v;
}
const isString = (v: unknown): v is string => typeof v === "string";
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isIntLike = (v: unknown): v is number | string =>
  (typeof v === "number" && Number.isInteger(v)) || (typeof v === "string" && /^-?\d+$/.test(v));

/**
 * Loads reviews. Reviews after `maxTime` can never enter any window (the window end is fixed
 * while the start widens), so they are dropped here to save memory.
 */
export async function readRawReviews(path: string, maxTime = Infinity): Promise<RawReviews> {
  const table: RawReviews = { users: [], asins: [], user: [], item: [], time: [], rating: [] };
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  for await (const { value, line } of readJsonLines(path)) {
    const reviewer = field(value, "reviewerID", isString, path, line, "a reviewerID string");
    const asin = field(value, "asin", isString, path, line, "an asin string");
    // The reference applies int() to unixReviewTime, so "1518134400" would also be accepted.
    const time = Number(field(value, "unixReviewTime", isIntLike, path, line, "an integer unixReviewTime"));
    const rating = field(value, "overall", isNumber, path, line, "a numeric overall rating");
    if (time > maxTime) continue;
    let u = userIndex.get(reviewer);
    if (u === undefined) {
      u = table.users.length;
      userIndex.set(reviewer, u);
      table.users.push(reviewer);
    }
    let it = itemIndex.get(asin);
    if (it === undefined) {
      it = table.asins.length;
      itemIndex.set(asin, it);
      table.asins.push(asin);
    }
    table.user.push(u);
    table.item.push(it);
    table.time.push(time);
    table.rating.push(rating);
  }
  return table;
}

/** Loads the metadata records of reviewed items (others cannot affect the output), in file order. */
export async function readRawMeta(path: string, asins: readonly string[]): Promise<RawMetaRecord[]> {
  const index = new Map(asins.map((a, i) => [a, i]));
  const records: RawMetaRecord[] = [];
  for await (const { value, line } of readJsonLines(path)) {
    const asin = field(value, "asin", isString, path, line, "an asin string");
    const item = index.get(asin);
    if (item === undefined) continue;
    records.push({ item, title: typeof value.title === "string" ? value.title : undefined });
  }
  return records;
}
