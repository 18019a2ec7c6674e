/**
 * Breakdowns of the metrics by the target item (paper App. H and Table 10):
 *
 * - **popular / long-tail.** An item's *training frequency* is the number of training examples whose
 *   target is that item: each example is one interaction, so this counts every training interaction
 *   once (a user's very first interaction, which only ever appears as history, is not counted;
 *   history items are not counted again, since the sliding history window would count one interaction
 *   up to ten times). Catalogue items are ranked by frequency, highest first, ties broken by the lower
 *   item id; the first ⌈20% · catalogue size⌉ items with a nonzero frequency are "popular", every
 *   other item is "long-tail".
 * - **cold-start.** A target item that appears nowhere in the training examples (neither as a target
 *   nor in a history): the model has never seen it. Cold-start items are a subset of the long tail.
 * - **cold-start-title.** A cold-start target whose *title* is also absent from training. Because hits
 *   are counted by title, a cold item sharing a title with a trained one ("Greatest Hits", the
 *   `<span class=…` junk) can be hit without any generalisation: on CDs (train = valid split) 101 of
 *   643 cold-start test targets are such, and the most-popular baseline scores HR@10 0.11 on
 *   cold-start but 0 on cold-start-title. This group is the honest cold-start number.
 *
 * Groups are by item id, while hits stay by title (metrics.ts); records are re-aggregated with the
 * same `aggregateMetrics`, so a group's numbers mean exactly what the overall numbers mean.
 */
import type { Example, Item } from "../data/types.js";
import { normalizeCatalogueTitle } from "../decode/item-mapping.js";
import { aggregateMetrics, METRIC_KS, type Metrics, type RecordScore } from "./metrics.js";

export const POPULAR = "popular";
export const LONG_TAIL = "long-tail";
export const COLD_START = "cold-start";
export const COLD_START_TITLE = "cold-start-title";

/** The paper's popular share: the top 20% of items by training frequency. */
export const POPULAR_FRACTION = 0.2;

export interface PopularitySplit {
  fraction: number;
  /** Training frequency by item id (items never a training target are absent, i.e. 0). */
  frequency: Map<number, number>;
  /** Ids of the popular items. */
  popular: Set<number>;
  /** The lowest frequency among popular items (0 when there are none). */
  threshold: number;
}

/** Number of training examples whose target is each item, by item id. */
export function trainFrequency(train: readonly Example[]): Map<number, number> {
  const frequency = new Map<number, number>();
  for (const example of train) frequency.set(example.target.id, (frequency.get(example.target.id) ?? 0) + 1);
  return frequency;
}

/** Splits the catalogue into popular and long-tail items by training frequency (see the file comment). */
export function popularitySplit(
  train: readonly Example[],
  catalogue: readonly Item[],
  fraction = POPULAR_FRACTION,
): PopularitySplit {
  if (!(fraction >= 0 && fraction <= 1))
    throw new RangeError(`popular fraction must be within [0, 1], got ${fraction}`);
  const frequency = trainFrequency(train);
  const ids = [...new Set(catalogue.map((item) => item.id))];
  const freq = (id: number): number => frequency.get(id) ?? 0;
  ids.sort((a, b) => freq(b) - freq(a) || a - b);
  const count = Math.ceil(fraction * ids.length);
  // An item with no training interaction is never "popular", even when few items were trained on.
  const popularIds = ids.slice(0, count).filter((id) => freq(id) > 0);
  const last = popularIds[popularIds.length - 1];
  return { fraction, frequency, popular: new Set(popularIds), threshold: last === undefined ? 0 : freq(last) };
}

/** Ids of every item that appears in the training examples, as a target or in a history. */
export function seenInTrain(train: readonly Example[]): Set<number> {
  const seen = new Set<number>();
  for (const example of train) {
    seen.add(example.target.id);
    for (const item of example.history) seen.add(item.id);
  }
  return seen;
}

/** Normalised titles of every item in the training examples, as a target or in a history. */
export function titlesSeenInTrain(train: readonly Example[]): Set<string> {
  const seen = new Set<string>();
  for (const example of train) {
    seen.add(normalizeCatalogueTitle(example.target.title));
    for (const item of example.history) seen.add(normalizeCatalogueTitle(item.title));
  }
  return seen;
}

/** What training has seen, by item id and by title. */
export interface SeenInTrain {
  items: ReadonlySet<number>;
  titles: ReadonlySet<string>;
}

/**
 * The groups one target belongs to: popular or long-tail; plus cold-start when its item was never
 * in training, and cold-start-title when no item with its title was either.
 */
export function targetGroups(target: Item, split: PopularitySplit, seen: SeenInTrain): string[] {
  const groups = [split.popular.has(target.id) ? POPULAR : LONG_TAIL];
  if (!seen.items.has(target.id)) {
    groups.push(COLD_START);
    if (!seen.titles.has(normalizeCatalogueTitle(target.title))) groups.push(COLD_START_TITLE);
  }
  return groups;
}

/** Aggregates the records of each group; `groupsOf[i]` lists the groups of record i. */
export function groupMetrics(
  scores: readonly RecordScore[],
  groupsOf: readonly (readonly string[])[],
  groupNames: readonly string[],
  ks: readonly number[] = METRIC_KS,
): Record<string, Metrics> {
  if (scores.length !== groupsOf.length) {
    throw new Error(
      `group metrics: ${scores.length} record scores but ${groupsOf.length} group labels; expected one per record`,
    );
  }
  const members = new Map<string, RecordScore[]>(groupNames.map((g) => [g, []]));
  scores.forEach((score, i) => {
    for (const g of groupsOf[i]!) members.get(g)?.push(score);
  });
  return Object.fromEntries(groupNames.map((g) => [g, aggregateMetrics(members.get(g)!, ks)]));
}

/**
 * Popular, long-tail, cold-start and cold-start-title metrics for test records scored by the
 * evaluator, aligned by index with `test` (the examples the predictions were made for).
 */
export function popularityBreakdown(
  test: readonly Example[],
  scores: readonly RecordScore[],
  train: readonly Example[],
  catalogue: readonly Item[],
  options: { fraction?: number; ks?: readonly number[] } = {},
): Record<string, Metrics> {
  const split = popularitySplit(train, catalogue, options.fraction);
  const seen = { items: seenInTrain(train), titles: titlesSeenInTrain(train) };
  const groupsOf = test.map((example) => targetGroups(example.target, split, seen));
  return groupMetrics(scores, groupsOf, [POPULAR, LONG_TAIL, COLD_START, COLD_START_TITLE], options.ks);
}
