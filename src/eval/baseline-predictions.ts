/**
 * A sequential baseline's full ranking as the evaluator reads it. The model scores every catalogue
 * item; the ranked title list keeps each title once, at its best-scored item (a title's score is the
 * maximum over its items: the same rule the item-ranked most-popular list follows), so hits by title
 * mean what they mean for the LLM methods, and the ranked item ids give hits by item id.
 */
import { full, int64, type Tensor } from "../engine/index.js";
import type { SequentialRecommender } from "../baselines/model.js";
import { scoreRows } from "../baselines/ranking.js";
import type { SequenceRow } from "../baselines/sequences.js";
import type { ItemVocabulary } from "../baselines/vocabulary.js";
import type { Example, Item } from "../data/types.js";
import { normalizeCatalogueTitle, ItemMapping } from "../decode/item-mapping.js";
import { aggregateMetrics, evaluateRankings, itemRank } from "./metrics.js";

/** Which title every item index belongs to, as a tensor for scatter-reduce and as the title keys. */
export class TitleGroups {
  /** Title group of item index j + 1, [N] (i64). */
  readonly groupOfItem: Tensor;
  /** Normalised catalogue title of each group. */
  readonly titles: readonly string[];

  constructor(vocab: ItemVocabulary, catalogue: readonly Item[]) {
    const byId = new Map(catalogue.map((item) => [item.id, item] as const));
    const groupOf = new Map<string, number>();
    const groups: number[] = [];
    for (const id of vocab.ids.slice(1)) {
      const key = normalizeCatalogueTitle(byId.get(id)!.title);
      if (!groupOf.has(key)) groupOf.set(key, groupOf.size);
      groups.push(groupOf.get(key)!);
    }
    this.titles = [...groupOf.keys()];
    this.groupOfItem = int64(groups).keep();
  }
}

export interface BaselinePredictions {
  /** Ranked distinct titles per row, best first. */
  titles: string[][];
  /** Ranked item ids per row, best first. */
  itemIds: number[][];
}

/** Top-`k` titles and top-`k` item ids of every row. */
export function baselinePredictions(
  model: SequentialRecommender,
  rows: readonly SequenceRow[],
  vocab: ItemVocabulary,
  groups: TitleGroups,
  opts: { k: number; batchSize: number },
): BaselinePredictions {
  const titles: string[][] = [];
  const itemIds: number[][] = [];
  const T = groups.titles.length;
  const groupOfItem = groups.groupOfItem.to(model.store.device).keep();
  scoreRows(model, rows, opts.batchSize, (scores) => {
    const [b, n] = scores.shape as [number, number];
    const items = scores.topk(Math.min(opts.k, n), 1).indices;
    const titleScores = full([b, T], -Infinity, { device: scores.device }).scatterReduce(
      1,
      groupOfItem.unsqueeze(0).expand([b, n]),
      scores,
      "amax",
    );
    const best = titleScores.topk(Math.min(opts.k, T), 1).indices;
    const rowsOf = (t: Tensor, map: (v: number) => string | number) => {
      const width = t.dim(1);
      const flat = t.toList();
      return Array.from({ length: b }, (_, r) => flat.slice(r * width, (r + 1) * width).map(map));
    };
    itemIds.push(...(rowsOf(items, (j) => vocab.ids[j + 1]!) as number[][]));
    titles.push(...(rowsOf(best, (g) => groups.titles[g]!) as string[][]));
  });
  groupOfItem.dispose();
  return { titles, itemIds };
}

export type SelectionHits = "title" | "item";

/**
 * NDCG@k of the model on held-out examples (the selection split): the metric the grid and early
 * stopping maximise, with hits by title (as every table reports) or by item id.
 */
export function selectionNdcg(
  model: SequentialRecommender,
  rows: readonly SequenceRow[],
  examples: readonly Example[],
  context: { vocab: ItemVocabulary; groups: TitleGroups; mapping: ItemMapping },
  opts: { k: number; hits: SelectionHits; batchSize?: number },
): number {
  const { titles, itemIds } = baselinePredictions(model, rows, context.vocab, context.groups, {
    k: opts.k,
    batchSize: opts.batchSize ?? 256,
  });
  const metrics =
    opts.hits === "title"
      ? evaluateRankings(
          examples.map((e, i) => ({ predictions: titles[i]!, target: e.target.title })),
          context.mapping,
          [opts.k],
        ).metrics
      : aggregateMetrics(
          examples.map((e, i) => ({ rank: itemRank(itemIds[i]!, e.target.id), invalid: 0 })),
          [opts.k],
        );
  return metrics.ndcg[opts.k]!;
}
