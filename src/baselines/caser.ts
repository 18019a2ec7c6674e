/**
 * Caser (Tang & Wang, WSDM 2018): the last L item embeddings as an L × d "image", read by horizontal
 * filters (h × d for every h = 1..L, ReLU, max over time: union-level and point-level patterns) and
 * vertical filters (L × 1: weighted sums of the L embeddings), then a fully connected layer, joined
 * with the user's embedding. Laid out as the authors' PyTorch code (graytowne/caser_pytorch), whose
 * parameter names and initialisation are ours:
 *
 *   o_v = conv_v(E),  o_h = [max_t relu(conv_h^h(E))]_h,  z = relu(fc1(dropout([o_v, o_h]))),
 *   x = [z, P_u],  logit(i) = W2[i] · x + b2[i]
 *
 * Users: index 0 is a user training never saw (its embedding stays zero, so x = [z, 0]). Without user
 * ids in the training rows there is no user embedding and x = z. Histories shorter than L are
 * left-padded with item 0, whose embedding is learned as in the authors' code.
 */
import { cat, conv2d, dropout, embedding, linear, tidy, type Tensor } from "../engine/index.js";
import { ParamStore, normalInit, torchDefault, zerosInit } from "../nn/index.js";
import type { SequenceBatch } from "./batch.js";
import type { BaseConfig, ForwardOptions, SequentialRecommender } from "./model.js";
import { UserVocabulary } from "./vocabulary.js";

export interface CaserConfig extends BaseConfig {
  model_type: "caser";
  /** Embedding size d. */
  hidden_size: number;
  /** Horizontal filters per height (n_h) and vertical filters (n_v). */
  num_horizontal: number;
  num_vertical: number;
  dropout: number;
  /** Known users (0 = no user embedding). */
  num_users: number;
}

/** The authors' defaults (L 5, n_h 16, n_v 4, dropout 0.5) with d matched to the other baselines. */
export const CASER_DEFAULTS = { hidden_size: 64, num_horizontal: 16, num_vertical: 4, dropout: 0.5, max_len: 5 };

export class Caser implements SequentialRecommender {
  readonly padding = "left" as const;
  readonly itemWeight: Tensor;
  readonly itemBias: Tensor;
  readonly itemEmbedding: Tensor;
  readonly userEmbedding: Tensor | null;
  readonly verticalWeight: Tensor;
  readonly verticalBias: Tensor;
  readonly horizontal: { weight: Tensor; bias: Tensor }[];
  readonly fc1Weight: Tensor;
  readonly fc1Bias: Tensor;

  constructor(
    readonly config: CaserConfig,
    readonly store: ParamStore,
    readonly users: UserVocabulary | null,
  ) {
    const c = config;
    if ((users?.size ?? 0) !== c.num_users) {
      throw new Error(`caser: config num_users ${c.num_users} but ${users?.size ?? 0} user ids were given`);
    }
    const root = store.root();
    const [d, L] = [c.hidden_size, c.max_len];
    this.itemEmbedding = root.sub("item_embeddings").param("weight", [c.num_items + 1, d], normalInit(1 / d));
    this.userEmbedding =
      c.num_users > 0 ? root.sub("user_embeddings").param("weight", [c.num_users + 1, d], normalInit(1 / d)) : null;
    if (this.userEmbedding) tidy(() => this.userEmbedding!.narrow(0, 0, 1).fill_(0));
    this.verticalWeight = root.sub("conv_v").param("weight", [c.num_vertical, 1, L, 1], torchDefault(L));
    this.verticalBias = root.sub("conv_v").param("bias", [c.num_vertical], torchDefault(L));
    this.horizontal = Array.from({ length: L }, (_, i) => {
      const path = root.sub("conv_h").sub(i);
      const fanIn = (i + 1) * d;
      return {
        weight: path.param("weight", [c.num_horizontal, 1, i + 1, d], torchDefault(fanIn)),
        bias: path.param("bias", [c.num_horizontal], torchDefault(fanIn)),
      };
    });
    const fc1In = c.num_vertical * d + c.num_horizontal * L;
    this.fc1Weight = root.sub("fc1").param("weight", [d, fc1In], torchDefault(fc1In));
    this.fc1Bias = root.sub("fc1").param("bias", [d], torchDefault(fc1In));
    const out = this.userEmbedding ? 2 * d : d;
    this.itemWeight = root.sub("W2").param("weight", [c.num_items + 1, out], normalInit(1 / out));
    this.itemBias = root.sub("b2").param("weight", [c.num_items + 1, 1], zerosInit);
  }

  finalQuery(batch: SequenceBatch, opts: ForwardOptions): Tensor {
    const c = this.config;
    if (batch.width !== c.max_len) throw new Error(`caser: batch width ${batch.width} must equal L = ${c.max_len}`);
    const image = embedding(this.itemEmbedding, batch.items).unsqueeze(1); // [B, 1, L, d]
    const vertical = conv2d(image, this.verticalWeight, this.verticalBias).reshape([batch.size, -1]);
    const horizontal = this.horizontal.map(({ weight, bias }) => conv2d(image, weight, bias).squeeze(3).relu().amax(2));
    const features = dropout(cat([vertical, ...horizontal], 1), c.dropout, opts.training, opts.generator);
    const z = linear(features, this.fc1Weight, this.fc1Bias).relu();
    return this.userEmbedding ? cat([z, embedding(this.userEmbedding, batch.users)], 1) : z;
  }
}
