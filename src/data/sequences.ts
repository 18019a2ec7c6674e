/**
 * From interactions to examples, as the reference does it (spec 1.4–1.5):
 *   - per user, interactions in input order, then a *stable* sort by timestamp (ties keep input order);
 *   - every interaction but the user's first is a target; its history is the ≤10 preceding items;
 *   - all examples are stable-sorted by target timestamp and split globally at int(0.8N) and int(0.9N).
 * Shared by the Amazon preprocessing and the synthetic generator.
 */
import type { Example, Item } from "./types.js";

export interface Interaction {
  userId: string;
  item: Item;
  /** Unix seconds. */
  timestamp: number;
  rating: number;
}

/** Reference history window. */
export const HISTORY_LENGTH = 10;

/**
 * Examples in user first-appearance order, then position order (the reference's pre-split order).
 * `interactions` must be in input (file) order.
 */
export function buildExamples(interactions: Iterable<Interaction>, historyLength = HISTORY_LENGTH): Example[] {
  const byUser = new Map<string, Interaction[]>();
  for (const it of interactions) {
    const list = byUser.get(it.userId);
    if (list) list.push(it);
    else byUser.set(it.userId, [it]);
  }
  const examples: Example[] = [];
  for (const [userId, list] of byUser) {
    const seq = [...list].sort((a, b) => a.timestamp - b.timestamp);
    for (let i = 1; i < seq.length; i++) {
      const window = seq.slice(Math.max(0, i - historyLength), i);
      const target = seq[i]!;
      examples.push({
        userId,
        history: window.map((w) => w.item),
        target: target.item,
        historyTimestamps: window.map((w) => w.timestamp),
        timestamp: target.timestamp,
        historyRatings: window.map((w) => w.rating),
        rating: target.rating,
      });
    }
  }
  return examples;
}

export interface SplitExamples {
  train: Example[];
  valid: Example[];
  test: Example[];
}

/**
 * Reference cut points: Python's `int(len * 0.8)` and `int(len * 0.9)` in float arithmetic
 * (equal to ⌊0.8N⌋ and ⌊0.9N⌋ for every N that matters; computed the same way to be exact).
 */
export function splitPoints(n: number, trainEnd = 0.8, validEnd = 0.9): [number, number] {
  // Separate constants, not 0.8 + 0.1 (= 0.9000000000000001), to match the reference's literals.
  return [Math.trunc(n * trainEnd), Math.trunc(n * validEnd)];
}

/** Global chronological split by target timestamp (stable sort); cut fractions 0.8 / 0.9 by default. */
export function chronologicalSplit(examples: readonly Example[], trainEnd = 0.8, validEnd = 0.9): SplitExamples {
  const sorted = [...examples].sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
  const [a, b] = splitPoints(sorted.length, trainEnd, validEnd);
  return { train: sorted.slice(0, a), valid: sorted.slice(a, b), test: sorted.slice(b) };
}
