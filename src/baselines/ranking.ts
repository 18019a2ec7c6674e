/** Full ranking: every catalogue item scored for every row, in batches, without gradients. */
import { noGrad, tidy, type Tensor } from "../engine/index.js";
import { sequenceBatch } from "./batch.js";
import type { SequentialRecommender } from "./model.js";
import { scoreAllItems } from "./scoring.js";
import type { SequenceRow } from "./sequences.js";

/**
 * Calls `visit` with the scores [b, N] of rows [start, start + b) (column j = item index j + 1), batch
 * by batch; each score tensor is freed after its visit.
 */
export function scoreRows(
  model: SequentialRecommender,
  rows: readonly SequenceRow[],
  batchSize: number,
  visit: (scores: Tensor, start: number) => void,
): void {
  for (let start = 0; start < rows.length; start += batchSize) {
    noGrad(() =>
      tidy(() => {
        const batch = sequenceBatch(rows.slice(start, start + batchSize), {
          maxLen: model.config.max_len,
          padding: model.padding,
          device: model.store.device,
        });
        visit(scoreAllItems(model, batch), start);
      }),
    );
  }
}

/** The `k` best item indices (1..N) per row, best first. */
export function topItems(
  model: SequentialRecommender,
  rows: readonly SequenceRow[],
  k: number,
  batchSize = 256,
): number[][] {
  const out: number[][] = [];
  scoreRows(model, rows, batchSize, (scores) => {
    const top = scores.topk(Math.min(k, scores.dim(1)), 1).indices.add(1);
    const width = top.dim(1);
    const flat = top.toList();
    for (let r = 0; r < top.dim(0); r++) out.push(flat.slice(r * width, (r + 1) * width));
  });
  return out;
}
