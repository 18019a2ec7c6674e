/**
 * GRU4Rec (Hidasi et al., ICLR 2016) in the form every sequential-recommendation toolkit uses
 * (RecBole's GRU4Rec, whose parameter names and initialisation are ours): item embedding → dropout →
 * GRU (no biases) → linear back to the embedding size, so item logits are dot products with the same
 * item embedding:
 *
 *   h_t = GRU(dropout(E[item_t]), h_{t−1}),   out_t = W_dense · h_t + b,   logit(i after t) = out_t · E[i]
 *
 * Right padding: the GRU reads real items from position 0 on, so padding never enters a real state.
 */
import { dropout, embedding, gru, linear, zeros, type Tensor } from "../engine/index.js";
import { ParamStore, torchDefault, xavierNormal, xavierUniform } from "../nn/index.js";
import type { SequenceBatch } from "./batch.js";
import type { BaseConfig, ForwardOptions, SequentialRecommender } from "./model.js";

export interface GRU4RecConfig extends BaseConfig {
  model_type: "gru4rec";
  embedding_size: number;
  hidden_size: number;
  num_layers: number;
  dropout: number;
}

/** Sizes matched to SASRec's reference setting (RecBole's defaults: 64 / 128 / 1 layer / 0.3). */
export const GRU4REC_DEFAULTS = { embedding_size: 64, hidden_size: 64, num_layers: 1, dropout: 0.2 };

export class GRU4Rec implements SequentialRecommender {
  readonly padding = "right" as const;
  readonly users = null;
  readonly itemWeight: Tensor;
  readonly itemBias = null;
  /** Per layer: weight_ih [3H, in], weight_hh [3H, H] (gates r, z, n as PyTorch). */
  readonly gruWeights: Tensor[];
  readonly denseWeight: Tensor;
  readonly denseBias: Tensor;

  constructor(
    readonly config: GRU4RecConfig,
    readonly store: ParamStore,
  ) {
    const c = config;
    const root = store.root();
    const [e, h] = [c.embedding_size, c.hidden_size];
    this.itemWeight = root
      .sub("item_embedding")
      .param("weight", [c.num_items + 1, e], xavierNormal([c.num_items + 1, e]));
    const gruPath = root.sub("gru_layers");
    this.gruWeights = [];
    for (let l = 0; l < c.num_layers; l++) {
      const ih = [3 * h, l === 0 ? e : h];
      const hh = [3 * h, h];
      // RecBole re-initialises layer 0 with Xavier-uniform; deeper layers keep PyTorch's U(±1/√H).
      this.gruWeights.push(
        gruPath.param(`weight_ih_l${l}`, ih, l === 0 ? xavierUniform(ih) : torchDefault(h)),
        gruPath.param(`weight_hh_l${l}`, hh, l === 0 ? xavierUniform(hh) : torchDefault(h)),
      );
    }
    this.denseWeight = root.sub("dense").param("weight", [e, h], torchDefault(h));
    this.denseBias = root.sub("dense").param("bias", [e], torchDefault(h));
  }

  sequenceQueries(batch: SequenceBatch, opts: ForwardOptions): Tensor {
    const c = this.config;
    const x = dropout(embedding(this.itemWeight, batch.items), c.dropout, opts.training, opts.generator);
    const h0 = zeros([c.num_layers, batch.size, c.hidden_size], { dtype: x.dtype, device: this.store.device });
    const { output } = gru(x, h0, this.gruWeights, { layers: c.num_layers, batchFirst: true });
    return linear(output, this.denseWeight, this.denseBias);
  }

  finalQuery(batch: SequenceBatch, opts: ForwardOptions): Tensor {
    const out = this.sequenceQueries(batch, opts);
    const index = batch.last.view([batch.size, 1, 1]).expand([batch.size, 1, out.dim(-1)]);
    return out.gather(1, index).squeeze(1);
  }
}
