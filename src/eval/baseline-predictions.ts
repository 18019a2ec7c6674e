/**
 * A sequential baseline's full ranking as the evaluator reads it. The model scores every catalogue
 * item; the ranked title list keeps each title once, at its best-scored item (a title's score is the
 * maximum over its items: the same rule the item-ranked most-popular list follows), so hits by title
 * mean what they mean for the LLM methods, and the ranked item ids give hits by item id.
 */
import { int64, type Tensor } from "../engine/index.js";
import type { SequentialRecommender } from "../baselines/model.js";
import { scoreRows } from "../baselines/ranking.js";
import type { SequenceRow } from "../baselines/sequences.js";
import type { ItemVocabulary } from "../baselines/vocabulary.js";
import type { Example, Item } from "../data/types.js";
import { normalizeCatalogueTitle, ItemMapping } from "../decode/item-mapping.js";
import { aggregateMetrics, evaluateRankings, itemRank } from "./metrics.js";

/**
 * The catalogue's titles as groups of score columns. A title's score is the maximum over its items:
 * one gathered column for a title with one item (most titles), and for shared titles a max over a
 * [shared titles, largest group] gather (each row padded by repeating a member, which leaves the max
 * unchanged).
 */
export class TitleGroups {
  /** Normalised catalogue title of each group. */
  readonly titles: readonly string[];
  /** Score column (item index − 1) of each group's first item, [T]. */
  readonly first: Tensor;
  /** Groups with several items, [G], and their members' columns, [G · M]. */
  readonly shared: Tensor;
  readonly sharedMembers: Tensor;
  readonly largestGroup: number;

  constructor(vocab: ItemVocabulary, catalogue: readonly Item[]) {
    const byId = new Map(catalogue.map((item) => [item.id, item] as const));
    const members = new Map<string, number[]>();
    vocab.ids.slice(1).forEach((id, column) => {
      const key = normalizeCatalogueTitle(byId.get(id)!.title);
      const list = members.get(key);
      if (list) list.push(column);
      else members.set(key, [column]);
    });
    this.titles = [...members.keys()];
    const groups = [...members.values()];
    const shared = groups.map((m, g) => ({ m, g })).filter(({ m }) => m.length > 1);
    this.largestGroup = Math.max(1, ...shared.map(({ m }) => m.length));
    this.first = int64(groups.map((m) => m[0]!)).keep();
    this.shared = int64(shared.map(({ g }) => g)).keep();
    this.sharedMembers = int64(
      shared.flatMap(({ m }) => Array.from({ length: this.largestGroup }, (_, i) => m[i] ?? m[0]!)),
    ).keep();
  }

  /** Item scores [b, N] → title scores [b, T]. */
  titleScores(scores: Tensor): Tensor {
    const b = scores.dim(0);
    const device = scores.device;
    const byTitle = scores.indexSelect(1, this.first.to(device));
    const G = this.shared.dim(0);
    if (G === 0) return byTitle;
    const best = scores.indexSelect(1, this.sharedMembers.to(device)).view([b, G, this.largestGroup]).amax(-1);
    return byTitle.scatter(1, this.shared.to(device).unsqueeze(0).expand([b, G]), best);
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
  scoreRows(model, rows, opts.batchSize, (scores) => {
    const [b, n] = scores.shape as [number, number];
    const items = scores.topk(Math.min(opts.k, n), 1).indices;
    const best = groups.titleScores(scores).topk(Math.min(opts.k, T), 1).indices;
    const rowsOf = (t: Tensor, map: (v: number) => string | number) => {
      const width = t.dim(1);
      const flat = t.toList();
      return Array.from({ length: b }, (_, r) => flat.slice(r * width, (r + 1) * width).map(map));
    };
    itemIds.push(...(rowsOf(items, (j) => vocab.ids[j + 1]!) as number[][]));
    titles.push(...(rowsOf(best, (g) => groups.titles[g]!) as string[][]));
  });
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
