/**
 * The documented option for junk titles (`--clean-titles`; shared/data README, "Traps"). Some catalogue
 * "titles" are scraps of a product page's HTML: on CDs, `<span class="a-size-medium a-color-secondary
 * a-text-normal` names 29 different items (87 test targets). Hits are counted by title, so a
 * recommender that outputs that one string "hits" any of the 29, and most-popular by title aggregate
 * ranks it by their summed frequency. Cleaning gives every junk-titled item a title of its own,
 * `untitled item <asin or id>`, so those items are told apart like any others. Real titles, HTML
 * entities included (`Caf&eacute;`), are left alone.
 */
import type { ExperimentSplits } from "./protocol.js";
import type { Example, Item } from "./types.js";

/** A title that is an HTML tag fragment (`<span class=…`, `</div>`) or blank. */
export function isJunkTitle(title: string): boolean {
  return title.trim() === "" || /<\/?[a-z][a-z0-9-]*(\s|>|\/|$)/i.test(title);
}

export function placeholderTitle(item: Item): string {
  return `untitled item ${item.asin ?? item.id}`;
}

/** Replaces junk titles in the catalogue and in every example; `cleaned` counts the items renamed. */
export function cleanJunkTitles(
  items: readonly Item[],
  splits: ExperimentSplits,
): { items: Item[]; splits: ExperimentSplits; cleaned: number } {
  const renamed = new Map<number, string>();
  for (const item of items) if (isJunkTitle(item.title)) renamed.set(item.id, placeholderTitle(item));
  const fix = (item: Item): Item => {
    const title = renamed.get(item.id);
    return title === undefined ? item : { ...item, title };
  };
  const fixAll = (examples: readonly Example[]): Example[] =>
    examples.map((e) => ({ ...e, history: e.history.map(fix), target: fix(e.target) }));
  return {
    items: items.map(fix),
    splits: {
      ...splits,
      train: fixAll(splits.train),
      valid: fixAll(splits.valid),
      test: fixAll(splits.test),
      protocol: `${splits.protocol}; ${renamed.size} junk (HTML-fragment) title(s) replaced by "untitled item <asin or id>"`,
    },
    cleaned: renamed.size,
  };
}
