/**
 * The most-popular recommender: the same list of the most frequent training targets for every user.
 * It is the floor any learned recommender must clear, and goes through the same evaluator. Two
 * rankings, because titles are not unique:
 *
 * - **title aggregate** (`"titles"`, the default since the first landing): popularity is counted per
 *   *title*: a title shared by several items (e.g. "Greatest Hits", an HTML fragment) is one
 *   recommendation whose frequency is the sum over its items. This lifts generic and junk titles: on
 *   CDs "Greatest Hits" (54 items) ranks by the sum of 54 items' frequencies.
 * - **item ranked** (`"items"`): items ranked by their own frequency (ties: lower id), and the ranked
 *   list keeps each title once, at its best item — exactly how a baseline's item ranking becomes a
 *   title list. This is the most-popular *item* recommender, and the one comparable to the baselines.
 *
 * Titles are the normalised catalogue keys; title ties are broken by title (code-unit order), so the
 * lists do not depend on the order of the training file.
 */
import type { Example, Item } from "../data/types.js";
import { normalizeCatalogueTitle, type ItemMapping } from "../decode/item-mapping.js";
import { evaluateRankings, METRIC_KS, type Metrics, type RankedPredictions, type RecordScore } from "./metrics.js";

/** Same length as the beam search returns (10 beams), so @K numbers are comparable. */
export const POPULARITY_LIST_LENGTH = 10;

/** The `length` most frequent training-target titles with their frequencies, most frequent first. */
export function titlePopularity(
  train: readonly Example[],
  length = POPULARITY_LIST_LENGTH,
): { title: string; count: number }[] {
  const frequency = new Map<string, number>();
  for (const example of train) {
    const title = normalizeCatalogueTitle(example.target.title);
    frequency.set(title, (frequency.get(title) ?? 0) + 1);
  }
  return [...frequency]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, length)
    .map(([title, count]) => ({ title, count }));
}

/** The `length` most frequent training-target titles, most frequent first. */
export function mostPopularTitles(train: readonly Example[], length = POPULARITY_LIST_LENGTH): string[] {
  return titlePopularity(train, length).map((p) => p.title);
}

export type PopularityRanking = "titles" | "items";

/** Every training-target item, most frequent first, ties by lower id. */
export function mostPopularItems(train: readonly Example[]): Item[] {
  const frequency = new Map<number, { item: Item; count: number }>();
  for (const example of train) {
    const entry = frequency.get(example.target.id);
    if (entry) entry.count++;
    else frequency.set(example.target.id, { item: example.target, count: 1 });
  }
  return [...frequency.values()].sort((a, b) => b.count - a.count || a.item.id - b.item.id).map((e) => e.item);
}

/** Ranked items as a ranked title list: each (normalised) title once, at its first (best) item. */
export function distinctTitles(items: readonly Item[]): string[] {
  return [...new Set(items.map((item) => normalizeCatalogueTitle(item.title)))];
}

/** The most-popular list in either ranking: titles for the evaluator, and item ids when items were ranked. */
export function mostPopular(
  train: readonly Example[],
  ranking: PopularityRanking,
  length = POPULARITY_LIST_LENGTH,
): { titles: string[]; itemIds?: number[] } {
  if (ranking === "titles") return { titles: mostPopularTitles(train, length) };
  const items = mostPopularItems(train);
  return { titles: distinctTitles(items).slice(0, length), itemIds: items.slice(0, length).map((i) => i.id) };
}

/** Evaluates the most-popular recommender (title-aggregate ranking) on `test` with the shared evaluator. */
export function evaluatePopularityBaseline(
  train: readonly Example[],
  test: readonly Example[],
  mapping: ItemMapping,
  options: { length?: number; ks?: readonly number[] } = {},
): { metrics: Metrics; scores: RecordScore[]; titles: string[] } {
  const titles = mostPopularTitles(train, options.length);
  const records: RankedPredictions[] = test.map((example) => ({ predictions: titles, target: example.target.title }));
  const { metrics, scores } = evaluateRankings(records, mapping, options.ks ?? METRIC_KS);
  return { metrics, scores, titles };
}
