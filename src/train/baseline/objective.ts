/**
 * The baselines' training objective (the paper's Appendix B; SASRec's and Caser's own code): binary
 * cross-entropy that scores the true next item as 1 and sampled negatives as 0,
 *
 *   loss = mean_{positives} −log σ(s⁺) + mean_{negatives} −log(1 − σ(s⁻)),
 *
 * taken either at every position of a row's history (each position predicts the item that followed
 * it: SASRec's and GRU4Rec's training) or at the row's target only (Caser, which reads one window).
 */
import { bceWithLogits, cat, fullLike, type Generator, type Tensor } from "../../engine/index.js";
import type { SequenceBatch } from "../../baselines/batch.js";
import type { ForwardOptions, SequentialRecommender } from "../../baselines/model.js";
import { sampleNegatives } from "../../baselines/negatives.js";
import { candidateLogits } from "../../baselines/scoring.js";

export const TRAIN_POSITIONS = ["all", "target"] as const;
export type TrainPositions = (typeof TRAIN_POSITIONS)[number];

/** Positives [B, P] and their queries [B, P, D] for the chosen positions (padding positives are 0). */
function positivesAndQueries(
  model: SequentialRecommender,
  batch: SequenceBatch,
  positions: TrainPositions,
  opts: ForwardOptions,
): { positives: Tensor; queries: Tensor } {
  if (positions === "all") {
    if (!model.sequenceQueries) {
      throw new Error(
        `${model.config.model_type} reads one window per row: train it on the target only (positions "target")`,
      );
    }
    return { positives: batch.nextItems, queries: model.sequenceQueries(batch, opts) };
  }
  return { positives: batch.targets.unsqueeze(1), queries: model.finalQuery(batch, opts).unsqueeze(1) };
}

/** The BCE objective with the given negatives [B, P, K] (P = W for "all", 1 for "target"). */
export function bceObjective(
  model: SequentialRecommender,
  batch: SequenceBatch,
  negatives: Tensor,
  positions: TrainPositions,
  opts: ForwardOptions,
): Tensor {
  const { positives, queries } = positivesAndQueries(model, batch, positions, opts);
  const logits = candidateLogits(model, queries, cat([positives.unsqueeze(-1), negatives], -1));
  const real = positives.ne(0);
  const k = negatives.dim(-1);
  const pos = logits.select(-1, 0).maskedSelect(real);
  const neg = logits.narrow(-1, 1, k).maskedSelect(real.unsqueeze(-1).expand([...real.shape, k]));
  return bceWithLogits(pos, fullLike(pos, 1)).add(bceWithLogits(neg, fullLike(neg, 0)));
}

/** The objective with `count` fresh negatives per positive, never the positive itself. */
export function sampledBceLoss(
  model: SequentialRecommender,
  batch: SequenceBatch,
  count: number,
  positions: TrainPositions,
  generator: Generator,
): Tensor {
  const positives = positions === "all" ? batch.nextItems : batch.targets.unsqueeze(1);
  const negatives = sampleNegatives(positives, model.config.num_items, count, generator);
  return bceObjective(model, batch, negatives, positions, { training: true, generator });
}
