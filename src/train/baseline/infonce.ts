/**
 * AlphaRec's objective (its code's InfoNCE with sampled negatives): for a user u with positive item p
 * and negatives n₁..n_K, all L2-normalised so that s(u, i) is their cosine similarity,
 *
 *   loss = mean_u −log( exp(s(u, p)/τ) / (exp(s(u, p)/τ) + Σ_k exp(s(u, n_k)/τ)) ),
 *
 * computed as logsumexp over the K + 1 logits minus the positive's, which is the same quantity
 * without overflow. Each training row is one (user, target) pair.
 */
import { cat, type Generator, type Tensor } from "../../engine/index.js";
import type { SequenceBatch } from "../../baselines/batch.js";
import type { AlphaRec } from "../../baselines/alpharec/model.js";
import { sampleNegatives } from "../../baselines/negatives.js";

/** InfoNCE of queries [B, d] against positives [B, d] and negatives [B, K, d] (all normalised). */
export function infoNce(queries: Tensor, positives: Tensor, negatives: Tensor, temperature: number): Tensor {
  const pos = queries.mul(positives).sum(-1, true);
  const neg = negatives.matmul(queries.unsqueeze(-1)).squeeze(-1);
  const logits = cat([pos, neg], 1).div(temperature);
  return logits.logsumexp(1).sub(logits.select(1, 0)).mean();
}

/** The objective of one batch with `count` fresh negatives per row (never the row's target). */
export function sampledInfoNceLoss(model: AlphaRec, batch: SequenceBatch, count: number, generator: Generator): Tensor {
  const reps = model.represent();
  const negatives = sampleNegatives(batch.targets, model.config.num_items, count, generator);
  return infoNce(
    model.query(batch, reps),
    reps.items.indexSelect(0, batch.targets),
    reps.items.indexSelect(0, negatives.flatten()).view([batch.size, count, -1]),
    model.config.temperature,
  );
}
