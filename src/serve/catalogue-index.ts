/**
 * The catalogue as the server sees it: request histories (titles or item ids) resolved to items,
 * recommended titles mapped back to item ids, and title search for the page's autocomplete.
 */
import { ItemCatalogue } from "../data/catalogue.js";
import type { Item } from "../data/types.js";
import { ItemMapping } from "../decode/item-mapping.js";

/** A history entry the catalogue does not know, with its position in the request. */
export interface UnknownEntry {
  index: number;
  value: string | number;
}

export type ResolvedHistory = { items: Item[]; unknown: [] } | { items: null; unknown: UnknownEntry[] };

export class CatalogueIndex {
  private readonly catalogue: ItemCatalogue;
  private readonly mapping: ItemMapping;
  /** Distinct titles with their lower-case form, in catalogue order, for search. */
  private readonly searchable: { title: string; lower: string; item: Item }[];

  constructor(items: readonly Item[]) {
    this.catalogue = new ItemCatalogue(items);
    this.mapping = new ItemMapping(items);
    this.searchable = this.catalogue.titles.map((title) => ({
      title,
      lower: title.toLowerCase(),
      item: lowestId(this.catalogue.itemsWithTitle(title))!,
    }));
  }

  get size(): number {
    return this.catalogue.size;
  }

  /**
   * An item id, or a title: exactly as in the catalogue, else after the evaluator's normalisation
   * (surrounding quotes, spaces and newlines stripped). A shared title resolves to its lowest id
   * (the prompt reads only the title, so which one does not change a recommendation).
   */
  resolve(entry: string | number): Item | undefined {
    if (typeof entry === "number") return this.catalogue.byId(entry);
    return lowestId(this.catalogue.itemsWithTitle(entry)) ?? lowestId(this.mapping.itemsForPrediction(entry));
  }

  /** Every entry resolved, or the list of those that are unknown. */
  resolveHistory(entries: readonly (string | number)[]): ResolvedHistory {
    const items: Item[] = [];
    const unknown: UnknownEntry[] = [];
    entries.forEach((value, index) => {
      const item = this.resolve(value);
      if (item) items.push(item);
      else unknown.push({ index, value });
    });
    return unknown.length === 0 ? { items, unknown: [] } : { items: null, unknown };
  }

  /** The item a recommended title names (lowest id), or undefined for a title outside the catalogue. */
  itemForTitle(title: string): Item | undefined {
    return lowestId(this.mapping.itemsForPrediction(title));
  }

  /**
   * Titles containing `query` (case-insensitive): titles that start with it first, then titles with
   * a word starting with it, then the rest, each group in catalogue order.
   */
  search(query: string, limit: number): Item[] {
    const q = query.trim().toLowerCase();
    if (q.length === 0) return [];
    const groups: Item[][] = [[], [], []];
    for (const entry of this.searchable) {
      const at = entry.lower.indexOf(q);
      if (at < 0) continue;
      const group = at === 0 ? 0 : wordStartsAt(entry.lower, q) ? 1 : 2;
      groups[group]!.push(entry.item);
      if (groups[0]!.length >= limit) break;
    }
    return groups.flat().slice(0, limit);
  }
}

function lowestId(items: readonly Item[]): Item | undefined {
  return items.reduce<Item | undefined>(
    (best, item) => (best === undefined || item.id < best.id ? item : best),
    undefined,
  );
}

function wordStartsAt(text: string, word: string): boolean {
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    if (at === 0 || !/[\p{L}\p{N}]/u.test(text[at - 1]!)) return true;
  }
  return false;
}
