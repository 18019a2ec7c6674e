/**
 * The most-popular recommender behind the server: the same list for everyone (the history is not
 * read, so an empty history is allowed), scored by how often each title was a training target.
 */
import type { Example } from "../data/types.js";
import { titlePopularity } from "../eval/popularity-baseline.js";
import type { CatalogueIndex } from "./catalogue-index.js";
import type { RecommendQuery, RecommenderKind, ScoredItem } from "./recommender-kind.js";

export function popularityRecommender(
  train: readonly Example[],
  catalogue: CatalogueIndex,
  opts: { name?: string; maxK: number },
): RecommenderKind {
  const list: ScoredItem[] = titlePopularity(train, opts.maxK).map(({ title, count }) => {
    const item = catalogue.itemForTitle(title);
    if (!item) throw new Error(`popular training target ${JSON.stringify(title)} is not in the catalogue`);
    return { itemId: item.id, title: item.title, score: count };
  });
  return {
    name: opts.name ?? "popularity",
    kind: "popularity",
    maxK: list.length,
    readsHistory: false,
    lengthPenalties: null,
    settings: { listLength: list.length, trainingExamples: train.length },
    recommendBatch: (queries: readonly RecommendQuery[]) => queries.map((q) => list.slice(0, q.k)),
  };
}
