/**
 * Dense indices for the baselines' embedding tables. Catalogue items sorted by id get 1..N and 0 is
 * padding (never recommended); training users get 1..U and 0 stands for a user training never saw.
 * A saved model records the catalogue's fingerprint, so it refuses a catalogue it was not trained on
 * instead of scoring the wrong items.
 */
import { createHash } from "node:crypto";
import type { Example, Item } from "../data/types.js";

export const PADDING = 0;
export const UNKNOWN_USER = 0;

export class ItemVocabulary {
  /** Item id of each index; `ids[0]` is the padding slot (-1). */
  readonly ids: readonly number[];
  private readonly indexById = new Map<number, number>();

  constructor(items: readonly Item[]) {
    const sorted = [...items].sort((a, b) => a.id - b.id);
    for (const item of sorted) {
      if (!Number.isInteger(item.id) || item.id < 0) {
        throw new Error(
          `catalogue item ${JSON.stringify(item.title)} has id ${String(item.id)}; the baselines need non-negative integer item ids (a dataset with item ids: D3 or MiniOneRec layout)`,
        );
      }
      if (this.indexById.has(item.id)) throw new Error(`catalogue: item id ${item.id} appears twice`);
      this.indexById.set(item.id, this.indexById.size + 1);
    }
    this.ids = [-1, ...sorted.map((i) => i.id)];
    this.fingerprint = createHash("sha256")
      .update(sorted.map((i) => `${i.id}\t${i.title}`).join("\n"))
      .digest("hex")
      .slice(0, 16);
  }

  /** sha256 (first 16 hex digits) of the sorted `id<TAB>title` lines. */
  readonly fingerprint: string;

  /** Number of items N (indices 1..N). */
  get size(): number {
    return this.ids.length - 1;
  }

  /** The index of item `id`, or undefined when the catalogue has no such item. */
  indexOf(id: number): number | undefined {
    return this.indexById.get(id);
  }
}

/** Users of the training rows in first-appearance order; unseen users map to UNKNOWN_USER. */
export class UserVocabulary {
  private readonly indexById = new Map<string, number>();

  constructor(readonly ids: readonly string[]) {
    ids.forEach((id, i) => this.indexById.set(id, i + 1));
  }

  static fromExamples(train: readonly Example[]): UserVocabulary {
    return new UserVocabulary([...new Set(train.map((e) => e.userId).filter((u) => u !== ""))]);
  }

  get size(): number {
    return this.ids.length;
  }

  indexOf(userId: string): number {
    return this.indexById.get(userId) ?? UNKNOWN_USER;
  }
}
