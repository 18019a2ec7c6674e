/**
 * From generated text to catalogue items (spec 6.6). The reference never maps generations to item
 * ids: it compares *title strings*, after stripping quotes, spaces and newlines with three slightly
 * different rules for predictions, targets and catalogue keys. We keep those rules exactly, because
 * they decide which predictions count as hits and which as invalid.
 *
 * Titles are not unique (CDs: "Greatest Hits", "The Ultimate Collection", the `<span class=…` junk),
 * so a predicted title maps to the *set* of items with that title. Hits are counted by title, as in
 * the reference: predicting a shared title is a hit for any target item carrying that title.
 */
import type { Item } from "../data/types.js";

/** Python's `str.strip(chars)`: removes any mix of `chars` from both ends. */
export function stripChars(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start]!)) start++;
  while (end > start && chars.includes(text[end - 1]!)) end--;
  return text.slice(start, end);
}

/** A generated title: strip spaces and newlines, then `"`, then spaces (`"Title"⏎` → `Title`). */
export function normalizePredictedTitle(text: string): string {
  return stripChars(stripChars(stripChars(text, " \n"), '"'), " ");
}

/** A target (`"Title"⏎` or a bare title): strip any mix of space, newline and `"` at both ends. */
export function normalizeTargetTitle(text: string): string {
  return stripChars(text, ' \n"');
}

/** A catalogue title used as a lookup key: strip `"`, then spaces, then newlines, then `"`. */
export function normalizeCatalogueTitle(title: string): string {
  return stripChars(stripChars(stripChars(stripChars(title, '"'), " "), "\n"), '"');
}

/**
 * The generated answer inside a decoded sequence: the text after the last `Response:` when the
 * decoded text still holds the prompt's tail (the reference decodes a few prompt tokens too), else
 * the whole text. No CDs title contains `Response:`.
 */
export function generatedTitleText(decoded: string): string {
  const at = decoded.lastIndexOf("Response:");
  return at === -1 ? decoded : decoded.slice(at + "Response:".length);
}

/** Catalogue lookup by normalised title: which items a prediction names, and whether it is valid. */
export class ItemMapping {
  private readonly byTitle = new Map<string, Item[]>();

  constructor(items: readonly Item[]) {
    for (const item of items) {
      const key = normalizeCatalogueTitle(item.title);
      const list = this.byTitle.get(key);
      if (list) list.push(item);
      else this.byTitle.set(key, [item]);
    }
  }

  /** Number of distinct (normalised) catalogue titles. */
  get titleCount(): number {
    return this.byTitle.size;
  }

  /** Every item whose title the prediction names; empty for an invalid (non-catalogue) prediction. */
  itemsForPrediction(prediction: string): readonly Item[] {
    return this.byTitle.get(normalizePredictedTitle(prediction)) ?? [];
  }

  /** True when the prediction is a catalogue title; false ones are counted as invalid predictions. */
  isCatalogueTitle(prediction: string): boolean {
    return this.byTitle.has(normalizePredictedTitle(prediction));
  }
}
