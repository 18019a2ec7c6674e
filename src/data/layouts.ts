/**
 * The two CSV layouts and the conversion between one CSV row and one `Example`, both ways.
 * Pure functions: the streaming reader and the file writers are thin shells around them.
 *
 * D3 (BIGRec / D3 / LatentR3 preprocessing) carries asins, ratings and timestamps; MiniOneRec
 * carries semantic ids and no timestamps (its rows are already in time order).
 */
import { BadRowError, DataFormatError, type BadRowReason } from "./errors.js";
import {
  parseFloatList,
  parseIntList,
  parseStringList,
  PythonLiteralError,
  reprFloat,
  reprFloatList,
  reprIntList,
  reprStringList,
} from "./python-literal.js";
import type { Catalogue, Example, Item } from "./types.js";

export type CsvLayout = "d3" | "minionerec";

export const D3_HEADER = [
  "user_id",
  "item_asins",
  "item_asin",
  "history_item_id",
  "item_id",
  "history_item_title",
  "item_title",
  "history_rating",
  "rating",
  "history_timestamp",
  "timestamp",
] as const;

export const MINIONEREC_HEADER = [
  "user_id",
  "history_item_title",
  "item_title",
  "history_item_id",
  "item_id",
  "history_item_sid",
  "item_sid",
] as const;

export const HEADERS: Record<CsvLayout, readonly string[]> = { d3: D3_HEADER, minionerec: MINIONEREC_HEADER };

/** Identifies the layout from the header row; anything else is an error naming both expected headers. */
export function detectLayout(header: readonly string[], file: string): CsvLayout {
  // pandas `to_csv` with its index adds a leading unnamed column (spec 1.7 shard files): tolerate it.
  const cells = header[0] === "" || header[0] === "Unnamed: 0" ? header.slice(1) : header;
  for (const layout of ["d3", "minionerec"] as const) {
    const expected = HEADERS[layout];
    if (cells.length === expected.length && cells.every((c, i) => c.trim() === expected[i])) return layout;
  }
  throw new DataFormatError(
    { file, line: 1 },
    `unrecognised header ${JSON.stringify(header.join(",").slice(0, 200))}`,
    `the D3 header "${D3_HEADER.join(",")}" or the MiniOneRec header "${MINIONEREC_HEADER.join(",")}"`,
  );
}

/** Where a row came from, for error messages. */
export interface RowContext {
  file: string;
  line: number;
  layout: CsvLayout;
  /** Number of leading columns to ignore (a pandas index column). */
  offset?: number;
  catalogue?: Catalogue;
  /** Check that titles in the row equal the catalogue's title for the same id (default true). */
  checkTitles?: boolean;
}

class RowReader {
  private readonly header: readonly string[];
  constructor(
    private readonly fields: readonly string[],
    private readonly ctx: RowContext,
  ) {
    this.header = HEADERS[ctx.layout];
  }

  bad(reason: BadRowReason, field: string | undefined, problem: string, expected: string, found?: string): never {
    const location = { file: this.ctx.file, line: this.ctx.line, ...(field ? { field } : {}) };
    throw new BadRowError(reason, location, problem, expected, found);
  }

  raw(name: string): string {
    return this.fields[(this.ctx.offset ?? 0) + this.header.indexOf(name)]!;
  }

  list<T>(name: string, parse: (text: string) => T[], expected: string): T[] {
    const text = this.raw(name);
    try {
      return parse(text);
    } catch (err) {
      if (!(err instanceof PythonLiteralError)) throw err;
      this.bad("bad-literal", name, `unparseable Python list literal (${err.message})`, expected, text);
    }
  }

  int(name: string): number {
    const text = this.raw(name);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
      this.bad("bad-number", name, "not an integer", "an integer such as 5425", text);
    }
    return Number(text);
  }

  float(name: string): number {
    const text = this.raw(name);
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value))
      this.bad("bad-number", name, "not a number", "a number such as 5.0", text);
    return value;
  }

  sameLength(names: string[], lists: unknown[][]): void {
    const n = lists[0]!.length;
    lists.forEach((l, i) => {
      if (l.length !== n) {
        this.bad(
          "length-mismatch",
          names[i],
          `${names[i]} has ${l.length} element(s) but ${names[0]} has ${n}`,
          "all history columns to have one element per history item",
        );
      }
    });
    if (n === 0) this.bad("empty-history", names[0], "empty history", "at least one history item", "[]");
  }

  /** Resolves an item against the catalogue, when there is one. */
  resolve(item: Item, field: string): Item {
    const cat = this.ctx.catalogue;
    if (!cat) return item;
    const known = cat.byId(item.id);
    if (!known) {
      this.bad(
        "missing-from-catalogue",
        field,
        `item id ${item.id} is not in the catalogue`,
        "an id listed in the info file",
        String(item.id),
      );
    }
    if ((this.ctx.checkTitles ?? true) && known.title !== item.title) {
      this.bad(
        "title-mismatch",
        field,
        `item ${item.id} is titled ${JSON.stringify(known.title)} in the catalogue`,
        "the same title in the row and the info file",
        item.title,
      );
    }
    return item;
  }
}

/** Converts one data row (header excluded) to an Example; throws BadRowError naming the field. */
export function rowToExample(fields: readonly string[], ctx: RowContext): Example {
  const r = new RowReader(fields, ctx);
  const expectedCount = HEADERS[ctx.layout].length + (ctx.offset ?? 0);
  if (fields.length !== expectedCount) {
    r.bad("column-count", undefined, `row has ${fields.length} column(s)`, `${expectedCount} columns as in the header`);
  }
  const strings = "a Python list of strings such as ['Hot Rocks', \"Pure 60's\"]";
  const ints = "a Python list of integers such as [5652, 1345]";
  const titles = r.list("history_item_title", parseStringList, strings);
  const ids = r.list("history_item_id", parseIntList, ints);
  const targetId = r.int("item_id");
  const targetTitle = r.raw("item_title");
  if (ctx.layout === "minionerec") {
    const sids = r.list("history_item_sid", parseStringList, strings);
    r.sameLength(["history_item_id", "history_item_title", "history_item_sid"], [ids, titles, sids]);
    const history = ids.map((id, i) => r.resolve({ id, title: titles[i]!, sid: sids[i]! }, "history_item_id"));
    const target = r.resolve({ id: targetId, title: targetTitle, sid: r.raw("item_sid") }, "item_id");
    return { userId: r.raw("user_id"), history, target };
  }
  const asins = r.list("item_asins", parseStringList, strings);
  const ratings = r.list("history_rating", parseFloatList, "a Python list of numbers such as [5.0, 3.0]");
  const stamps = r.list("history_timestamp", parseIntList, ints);
  r.sameLength(
    ["history_item_id", "item_asins", "history_item_title", "history_rating", "history_timestamp"],
    [ids, asins, titles, ratings, stamps],
  );
  const history = ids.map((id, i) => r.resolve({ id, title: titles[i]!, asin: asins[i]! }, "history_item_id"));
  const target = r.resolve({ id: targetId, title: targetTitle, asin: r.raw("item_asin") }, "item_id");
  return {
    userId: r.raw("user_id"),
    history,
    target,
    historyTimestamps: stamps,
    timestamp: r.int("timestamp"),
    historyRatings: ratings,
    rating: r.float("rating"),
  };
}

function need<T>(value: T | undefined, what: string, ex: Example): T {
  if (value === undefined) throw new Error(`example of user ${ex.userId}: ${what} is required by the D3 layout`);
  return value;
}

/** The CSV cells of one example, as the reference writes them (Python reprs for lists). */
export function exampleToRow(ex: Example, layout: CsvLayout): string[] {
  const titles = reprStringList(ex.history.map((h) => h.title));
  const ids = reprIntList(ex.history.map((h) => h.id));
  if (layout === "minionerec") {
    const sids = reprStringList(ex.history.map((h) => need(h.sid, "history sid", ex)));
    return [ex.userId, titles, ex.target.title, ids, String(ex.target.id), sids, need(ex.target.sid, "target sid", ex)];
  }
  return [
    ex.userId,
    reprStringList(ex.history.map((h) => need(h.asin, "history asin", ex))),
    need(ex.target.asin, "target asin", ex),
    ids,
    String(ex.target.id),
    titles,
    ex.target.title,
    reprFloatList(need(ex.historyRatings, "historyRatings", ex)),
    reprFloat(need(ex.rating, "rating", ex)),
    reprIntList(need(ex.historyTimestamps, "historyTimestamps", ex)),
    String(need(ex.timestamp, "timestamp", ex)),
  ];
}
