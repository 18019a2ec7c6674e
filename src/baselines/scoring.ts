/** Logits through a model's output table: of sampled candidates (training) and of every item (ranking). */
import { embedding, linear, type Tensor } from "../engine/index.js";
import type { SequenceBatch } from "./batch.js";
import type { SequentialRecommender } from "./model.js";

/** queries [..., D] and candidate item indices [..., K] → logits [..., K]. */
export function candidateLogits(model: SequentialRecommender, queries: Tensor, candidates: Tensor): Tensor {
  const logits = embedding(model.itemWeight, candidates).matmul(queries.unsqueeze(-1)).squeeze(-1);
  return model.itemBias ? logits.add(embedding(model.itemBias, candidates).squeeze(-1)) : logits;
}

/** Scores of every catalogue item after each row's history: [B, N], column j = item index j + 1. */
export function scoreAllItems(model: SequentialRecommender, batch: SequenceBatch): Tensor {
  const n = model.config.num_items;
  const query = model.finalQuery(batch, { training: false });
  const bias = model.itemBias ? model.itemBias.narrow(0, 1, n).squeeze(-1) : null;
  return linear(query, model.itemWeight.narrow(0, 1, n), bias);
}
