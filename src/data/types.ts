/**
 * The data model shared by every layer above `data/`: what a recommendation example is,
 * independent of the file layout it was read from.
 */

/** One catalogue item. Titles are not unique across items. */
export interface Item {
  /** Dense integer id, as in the dataset's info file (line i holds id i). */
  id: number;
  title: string;
  /** Amazon ASIN or other external id, when the layout carries one. */
  asin?: string;
  /** MiniOneRec semantic id string, when present. */
  sid?: string;
}

/** One next-item prediction example: a user's history (oldest first) and the item that followed. */
export interface Example {
  userId: string;
  history: Item[];
  target: Item;
  /** Unix seconds per history item, aligned with `history`, when the layout has timestamps. */
  historyTimestamps?: number[];
  /** Unix seconds of the target interaction. */
  timestamp?: number;
  historyRatings?: number[];
  rating?: number;
}

/** The set of items a recommender may output, with title lookup (a title may name several items). */
export interface Catalogue {
  readonly items: readonly Item[];
  /** Item by dense id. */
  byId(id: number): Item | undefined;
  /** All items sharing exactly this title (empty when none). */
  itemsWithTitle(title: string): readonly Item[];
  /** Distinct titles in first-appearance order. */
  readonly titles: readonly string[];
}
