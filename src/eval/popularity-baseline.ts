/**
 * The most-popular recommender: the same list of the most frequent training targets for every user.
 * It is the floor any learned recommender must clear, and goes through the same evaluator.
 *
 * Popularity is counted per *title*, not per item id: the evaluator matches titles, so a title shared
 * by several items (e.g. "Greatest Hits") is one recommendation that hits all of them, and its
 * frequency is the sum over those items. Titles are the normalised catalogue keys; ties are broken by
 * title (code-unit order), so the list does not depend on the order of the training file.
 */
import type { Example } from "../data/types.js";
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

/** Evaluates the most-popular recommender on `test` with the shared evaluator. */
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
