/**
 * Rows → padded index tensors. Left padding keeps the last history item at the last position (SASRec
 * with absolute positions, Caser's window of the last L items); right padding keeps the first item at
 * position 0 so a recurrent model never reads padding before real items (GRU4Rec).
 */
import { int64, type Device, type Tensor } from "../engine/index.js";
import type { SequenceRow } from "./sequences.js";
import { PADDING } from "./vocabulary.js";

export type Padding = "left" | "right";

export interface SequenceBatch {
  /** History item indices [B, W], padded with PADDING; longer histories keep their last W items. */
  items: Tensor;
  /** The item that followed each position [B, W] (PADDING where none): targets for every position. */
  nextItems: Tensor;
  /** The row's target [B]. */
  targets: Tensor;
  /** Position of each row's last history item [B]. */
  last: Tensor;
  /** User indices [B]. */
  users: Tensor;
  size: number;
  width: number;
}

/**
 * Pads `rows` to width `maxLen` (left) or to the longest kept history (right). `nextItems` at the last
 * history position is the row's target; at earlier positions, the next history item.
 */
export function sequenceBatch(
  rows: readonly SequenceRow[],
  opts: { maxLen: number; padding: Padding; device?: Device },
): SequenceBatch {
  const kept = rows.map((r) => Math.min(r.history.length, opts.maxLen));
  const width = opts.padding === "left" ? opts.maxLen : Math.max(1, ...kept);
  const items = new Array<number>(rows.length * width).fill(PADDING);
  const next = new Array<number>(rows.length * width).fill(PADDING);
  const last: number[] = [];
  rows.forEach((row, b) => {
    const n = kept[b]!;
    const from = row.history.length - n;
    const offset = opts.padding === "left" ? width - n : 0;
    for (let j = 0; j < n; j++) {
      items[b * width + offset + j] = row.history[from + j]!;
      next[b * width + offset + j] = j + 1 < n ? row.history[from + j + 1]! : row.target;
    }
    last.push(offset + n - 1);
  });
  const device = opts.device;
  return {
    items: int64(items, [rows.length, width], device),
    nextItems: int64(next, [rows.length, width], device),
    targets: int64(
      rows.map((r) => r.target),
      [rows.length],
      device,
    ),
    last: int64(last, [rows.length], device),
    users: int64(
      rows.map((r) => r.user),
      [rows.length],
      device,
    ),
    size: rows.length,
    width,
  };
}
