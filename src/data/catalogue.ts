/**
 * The item catalogue and its `info/*.txt` file. Titles are not unique (CDs: 185 titles shared by
 * 649 items), so title lookup returns a list; the reference identifies items by title when it
 * scores recommendations, and so does everything above this layer.
 *
 * Info layouts: D3 `title<TAB>id` (the title may itself contain a tab, so the id is the text after
 * the last tab); MiniOneRec `sid<TAB>title<TAB>id`.
 */
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { DataFormatError } from "./errors.js";
import type { Catalogue, Item } from "./types.js";

export type InfoLayout = "d3" | "minionerec";

/** In-memory catalogue with id and title indexes. */
export class ItemCatalogue implements Catalogue {
  readonly items: readonly Item[];
  readonly titles: readonly string[];
  private readonly idIndex = new Map<number, Item>();
  private readonly titleIndex = new Map<string, Item[]>();

  /** Items in id order as given; ids must be unique non-negative integers. */
  constructor(items: readonly Item[]) {
    const titles: string[] = [];
    for (const item of items) {
      if (!Number.isInteger(item.id) || item.id < 0)
        throw new Error(`item id ${item.id} is not a non-negative integer`);
      if (this.idIndex.has(item.id)) throw new Error(`duplicate item id ${item.id}`);
      this.idIndex.set(item.id, item);
      const same = this.titleIndex.get(item.title);
      if (same) same.push(item);
      else {
        this.titleIndex.set(item.title, [item]);
        titles.push(item.title);
      }
    }
    this.items = items;
    this.titles = titles;
  }

  get size(): number {
    return this.items.length;
  }

  byId(id: number): Item | undefined {
    return this.idIndex.get(id);
  }

  itemsWithTitle(title: string): readonly Item[] {
    return this.titleIndex.get(title) ?? [];
  }

  /** Titles shared by more than one item, with their items. */
  duplicateTitles(): Array<{ title: string; items: readonly Item[] }> {
    const out: Array<{ title: string; items: readonly Item[] }> = [];
    for (const title of this.titles) {
      const items = this.titleIndex.get(title)!;
      if (items.length > 1) out.push({ title, items });
    }
    return out;
  }
}

/** Parses one info line; `layout` decides the column order. */
export function parseInfoLine(line: string, layout: InfoLayout, file: string, lineNo: number): Item {
  const lastTab = line.lastIndexOf("\t");
  const expected = layout === "d3" ? "title<TAB>id" : "sid<TAB>title<TAB>id";
  if (lastTab === -1)
    throw new DataFormatError({ file, line: lineNo }, `no tab in ${JSON.stringify(line.slice(0, 80))}`, expected);
  const idText = line.slice(lastTab + 1);
  if (!/^\d+$/.test(idText)) {
    throw new DataFormatError(
      { file, line: lineNo, field: "id" },
      `item id ${JSON.stringify(idText)} is not an integer`,
      expected,
    );
  }
  const id = Number(idText);
  if (line.includes("\uFFFD")) {
    // The decoder turned bytes that are not UTF-8 into U+FFFD: report them, never keep them.
    throw new DataFormatError(
      { file, line: lineNo, field: "title" },
      `bytes that are not valid UTF-8 (or a U+FFFD replacement character) in ${JSON.stringify(line.slice(0, 80))}`,
      "UTF-8 text",
    );
  }
  if (layout === "d3") return { id, title: line.slice(0, lastTab) };
  const firstTab = line.indexOf("\t");
  if (firstTab === lastTab) throw new DataFormatError({ file, line: lineNo }, "only two columns", expected);
  return { id, sid: line.slice(0, firstTab), title: line.slice(firstTab + 1, lastTab) };
}

/** Guesses the info layout from its first line: MiniOneRec lines start with a `<a_1><b_2>...` semantic id. */
export function detectInfoLayout(firstLine: string): InfoLayout {
  return /^(<[^<>\t]+>)+\t[^\t]*\t\d+$/.test(firstLine) ? "minionerec" : "d3";
}

/** Reads an info file, streaming line by line; line i should hold id i (checked only for uniqueness). */
export async function readCatalogue(path: string, layout?: InfoLayout): Promise<ItemCatalogue> {
  const items: Item[] = [];
  const seen = new Set<number>();
  let lineNo = 0;
  let chosen = layout;
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (line === "") continue;
    chosen ??= detectInfoLayout(line);
    const item = parseInfoLine(line, chosen, path, lineNo);
    if (seen.has(item.id)) {
      throw new DataFormatError(
        { file: path, line: lineNo, field: "id" },
        `item id ${item.id} appears twice`,
        "unique item ids",
      );
    }
    seen.add(item.id);
    items.push(item);
  }
  if (items.length === 0)
    throw new DataFormatError({ file: path, line: 1 }, "the info file is empty", "one item per line");
  return new ItemCatalogue(items);
}

/** Info file text in id order as the reference writes it (LF line ends). */
export function formatCatalogue(items: readonly Item[], layout: InfoLayout = "d3"): string {
  const sorted = [...items].sort((a, b) => a.id - b.id);
  for (const it of sorted) {
    // A newline would split the line; in MiniOneRec a tab would shift the columns.
    if (/[\r\n]/.test(it.title) || (layout === "minionerec" && it.title.includes("\t"))) {
      throw new Error(`item ${it.id}: title ${JSON.stringify(it.title)} cannot be stored in a ${layout} info file`);
    }
  }
  return sorted
    .map((it) => (layout === "d3" ? `${it.title}\t${it.id}\n` : `${it.sid ?? ""}\t${it.title}\t${it.id}\n`))
    .join("");
}

export async function writeCatalogue(path: string, items: readonly Item[], layout: InfoLayout = "d3"): Promise<void> {
  await writeFile(path, formatCatalogue(items, layout), "utf8");
}
