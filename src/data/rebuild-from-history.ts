/**
 * Training rows rebuilt from histories: the shared real data lost its train split, but every valid
 * and test row carries the user's previous ≤ 10 interactions, so part of the missing train split can
 * be read back out of them.
 *
 * Per user, the rows (in time order) are merged into one interaction sequence: each row is a window
 * of the user's sequence (its history, then its target), and a row's window is appended where its
 * head overlaps the tail of what is known so far. On data written by the reference (spec 1.4–1.5) a
 * user's valid and test rows are consecutive positions, so the sequence is the earliest row's history
 * followed by every target; a row skipped as unreadable leaves a gap that the next row's history
 * fills. The merge keeps repeated interactions (the reference keeps duplicate reviews: the same item
 * at the same time twice), which a merge of distinct (timestamp, item) pairs would collapse, shifting
 * every later window.
 *
 * Sliding windows over the sequence are then built exactly as the reference builds rows (every
 * interaction but the first is a target, with the ≤ 10 preceding ones as history, oldest first). A
 * window becomes a training row when its target is known to precede the cutoff, and is dropped when
 * it repeats a row already present:
 *   - with timestamps, its target time is strictly before `cutoff` (the earliest target of the
 *     selection split, so nothing from the selection or test period becomes a training target);
 *   - without timestamps (MiniOneRec's layout), its target lies inside the history of the user's
 *     earliest row: that history precedes every valid row, since any later interaction would itself
 *     be a valid row.
 * A rebuilt row near the start of that earliest history has a shorter history than the true train
 * row had (a suffix of it): what came before is not in any row.
 */
import { HISTORY_LENGTH } from "./sequences.js";
import type { Example, Item } from "./types.js";

export interface RebuildOptions {
  /**
   * Unix seconds: rows with timestamps keep only targets strictly before it. Required when the rows
   * have timestamps (the earliest target of the selection split).
   */
  cutoff?: number;
  historyLength?: number;
}

export interface RebuiltRows {
  /** New training rows, in target-time order (user by user when there are no timestamps). */
  rows: Example[];
  /** Users with at least one rebuilt row. */
  users: number;
  /** Rows whose history revealed interactions no earlier row of the user holds (a gap in the split files). */
  gaps: number;
  /** Windows left out: already present as a row, target at or after the cutoff, or not datable. */
  dropped: { present: number; atOrAfterCutoff: number; undated: number };
}

interface Interaction {
  item: Item;
  timestamp?: number;
  rating?: number;
}

function sameInteraction(a: Interaction, b: Interaction): boolean {
  return a.item.id === b.item.id && a.timestamp === b.timestamp;
}

/** A row's window: its history interactions, then its target. */
function windowOf(row: Example): Interaction[] {
  return [
    ...row.history.map((item, i) => ({
      item,
      timestamp: row.historyTimestamps?.[i],
      rating: row.historyRatings?.[i],
    })),
    { item: row.target, timestamp: row.timestamp, rating: row.rating },
  ];
}

/** Length of the longest tail of `known` that equals a head of `history` (at most `history.length`). */
function overlap(known: readonly Interaction[], history: readonly Interaction[]): number {
  for (let k = Math.min(known.length, history.length); k > 0; k--) {
    let equal = true;
    for (let j = 0; j < k && equal; j++) equal = sameInteraction(known[known.length - k + j]!, history[j]!);
    if (equal) return k;
  }
  return 0;
}

/** One user's interaction sequence merged from their rows (in time order); `gaps` counts rows that added history. */
export function mergeUserRows(rows: readonly Example[]): { sequence: Interaction[]; gaps: number } {
  const sequence: Interaction[] = [];
  let gaps = 0;
  for (const row of rows) {
    const window = windowOf(row);
    const history = window.slice(0, -1);
    const k = overlap(sequence, history);
    if (sequence.length > 0 && k < history.length) gaps++;
    sequence.push(...window.slice(k));
  }
  return { sequence, gaps };
}

function rowKey(userId: string, history: readonly Item[], target: Item, timestamp: number | undefined): string {
  return `${userId}\u0000${history.map((h) => h.id).join(",")}\u0000${target.id}\u0000${timestamp ?? ""}`;
}

/**
 * Rebuilds training rows from the rows of the present splits. `splits` must be given in time order
 * (valid, then test); within a split, rows keep file order, which is time order per user.
 */
export function rebuildFromHistories(
  splits: readonly (readonly Example[])[],
  options: RebuildOptions = {},
): RebuiltRows {
  const historyLength = options.historyLength ?? HISTORY_LENGTH;
  const all = splits.flat();
  const timed = all.length > 0 && all.every((e) => e.timestamp !== undefined);
  if (timed && options.cutoff === undefined) {
    throw new Error(
      "rebuildFromHistories: rows have timestamps but no cutoff was given (the selection split's earliest target time)",
    );
  }
  const byUser = new Map<string, Example[]>();
  // Stable by target time, so valid rows precede test rows and ties keep file order.
  const ordered = timed ? [...all].sort((a, b) => a.timestamp! - b.timestamp!) : all;
  for (const row of ordered) {
    const list = byUser.get(row.userId);
    if (list) list.push(row);
    else byUser.set(row.userId, [row]);
  }
  const present = new Set(all.map((e) => rowKey(e.userId, e.history, e.target, e.timestamp)));

  const rows: Example[] = [];
  const dropped = { present: 0, atOrAfterCutoff: 0, undated: 0 };
  let gaps = 0;
  let users = 0;
  for (const [userId, userRows] of byUser) {
    const merged = mergeUserRows(userRows);
    gaps += merged.gaps;
    const seq = merged.sequence;
    // Without timestamps only the earliest row's history is known to precede every valid row.
    const datedUntil = userRows[0]!.history.length;
    let added = 0;
    for (let i = 1; i < seq.length; i++) {
      const target = seq[i]!;
      if (timed) {
        if (!(target.timestamp! < options.cutoff!)) {
          dropped.atOrAfterCutoff++;
          continue;
        }
      } else if (i >= datedUntil) {
        dropped.undated++;
        continue;
      }
      const window = seq.slice(Math.max(0, i - historyLength), i);
      const history = window.map((w) => w.item);
      if (present.has(rowKey(userId, history, target.item, target.timestamp))) {
        dropped.present++;
        continue;
      }
      rows.push({
        userId,
        history,
        target: target.item,
        ...(timed ? { historyTimestamps: window.map((w) => w.timestamp!), timestamp: target.timestamp } : {}),
        ...(window.every((w) => w.rating !== undefined) && target.rating !== undefined
          ? { historyRatings: window.map((w) => w.rating!), rating: target.rating }
          : {}),
      });
      added++;
    }
    if (added > 0) users++;
  }
  if (timed) rows.sort((a, b) => a.timestamp! - b.timestamp!);
  return { rows, users, gaps, dropped };
}
