/**
 * AlphaRec (Sheng et al., ICLR 2025, "Language representations can be what recommenders need"),
 * following its authors' code (LehengTHU/AlphaRec, models/General/AlphaRec.py, the `mlp` version the
 * README's commands run):
 *
 * - frozen LLM embeddings of item titles e_i (computed once, see title-embeddings.ts);
 * - a user's layer-0 input is the mean of the LLM embeddings of its training items;
 * - one MLP, Linear(d_lm → m) → LeakyReLU(0.01) → Linear(m → d), maps users and items alike into the
 *   collaborative space (the only trained parameters: `mlp.0.*`, `mlp.2.*`, PyTorch's names);
 * - LightGCN propagation over the training graph (graph.ts), K layers, mean of the layer outputs;
 * - scores are cosine similarities (the code's train_norm and pred_norm): both sides L2-normalised.
 *
 * Our rows are (history → target) windows, not a user–item matrix; a row whose user is in the graph
 * reads the user's propagated representation. A row whose user is not (a user training never saw, or
 * data without user ids) reads MLP(mean of its history items' LLM embeddings): the layer-0 input the
 * user would get as a graph node, and what LightGCN gives a node without edges (its later layers are
 * zero, so the mean is that input scaled by 1/(K + 1), which cosine scoring ignores).
 */
import { cat, embedding, linear, noGrad, tidy, where, type Tensor } from "../../engine/index.js";
import { ParamStore, torchDefault } from "../../nn/index.js";
import type { SequenceBatch } from "../batch.js";
import type { BaseConfig, ForwardOptions, SequentialRecommender } from "../model.js";
import type { UserVocabulary } from "../vocabulary.js";
import type { InteractionGraph } from "./graph.js";

export interface AlphaRecConfig extends BaseConfig {
  model_type: "alpharec";
  /** Collaborative-space size d (the code's hidden_size, 64). */
  hidden_size: number;
  /** The MLP's inner size m (the code: a multiple of d_lm; ours: d_lm / 2, its default encoder's). */
  mlp_hidden_size: number;
  /** Size of the LLM's hidden states, d_lm. */
  lm_hidden_size: number;
  /** Propagation layers K (the README's --n_layers 2). */
  num_layers: number;
  /** InfoNCE temperature τ (the README's --tau 0.15). */
  temperature: number;
  /** Graph users U (indices 1..U). */
  num_users: number;
}

export const ALPHAREC_DEFAULTS = {
  hidden_size: 64,
  // 0 = half the LLM's hidden size, resolved when the LLM is known.
  mlp_hidden_size: 0,
  lm_hidden_size: 0,
  num_layers: 2,
  temperature: 0.15,
};

/** The frozen inputs: title embeddings [N + 1, d_lm] (row 0 = padding, zero) and the training graph. */
export interface AlphaRecInputs {
  itemEmbeddings: Tensor;
  graph: InteractionGraph;
}

/** Rows scaled to unit L2 norm (PyTorch's F.normalize, eps 1e-12). */
export function l2Normalize(x: Tensor): Tensor {
  return x.div(x.norm(2, -1, true).clamp(1e-12));
}

/** Linear → LeakyReLU (slope 0.01, PyTorch's default) → Linear, weights in PyTorch's [out, in] layout. */
export function alphaRecMlp(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor {
  const h = linear(x, w1, b1);
  return linear(h.maximum(h.mul(0.01)), w2, b2);
}

/** Propagated, normalised representations of every user [U + 1, d] and item [N + 1, d]. */
export interface AlphaRecRepresentations {
  users: Tensor;
  items: Tensor;
}

export class AlphaRec implements SequentialRecommender {
  readonly padding = "left" as const;
  readonly itemBias = null;
  private readonly w1: Tensor;
  private readonly b1: Tensor;
  private readonly w2: Tensor;
  private readonly b2: Tensor;
  /** Layer-0 LLM-space inputs of every node [V, d_lm]: user means, then title embeddings. */
  private readonly nodeInputs: Tensor;

  constructor(
    readonly config: AlphaRecConfig,
    readonly store: ParamStore,
    readonly users: UserVocabulary,
    readonly inputs: AlphaRecInputs,
  ) {
    const c = config;
    const { itemEmbeddings, graph } = inputs;
    if (itemEmbeddings.dim(0) !== c.num_items + 1 || itemEmbeddings.dim(1) !== c.lm_hidden_size) {
      throw new Error(
        `alpharec: title embeddings are [${itemEmbeddings.shape}], expected [${c.num_items + 1}, ${c.lm_hidden_size}] (num_items + 1, lm_hidden_size)`,
      );
    }
    if (graph.numUsers !== c.num_users || graph.numItems !== c.num_items || users.size !== c.num_users) {
      throw new Error(
        `alpharec: the graph has ${graph.numUsers} users and ${graph.numItems} items, the user list ${users.size}; the config says num_users ${c.num_users}, num_items ${c.num_items}`,
      );
    }
    const mlp = store.root().sub("mlp");
    // nn.Linear's default initialisation, as the code leaves it.
    this.w1 = mlp.sub(0).param("weight", [c.mlp_hidden_size, c.lm_hidden_size], torchDefault(c.lm_hidden_size));
    this.b1 = mlp.sub(0).param("bias", [c.mlp_hidden_size], torchDefault(c.lm_hidden_size));
    this.w2 = mlp.sub(2).param("weight", [c.hidden_size, c.mlp_hidden_size], torchDefault(c.mlp_hidden_size));
    this.b2 = mlp.sub(2).param("bias", [c.hidden_size], torchDefault(c.mlp_hidden_size));
    this.nodeInputs = noGrad(() => tidy(() => cat([graph.userMeans(itemEmbeddings), itemEmbeddings]))).keep();
  }

  /** The MLP from LLM space into the collaborative space. */
  mlp(x: Tensor): Tensor {
    return alphaRecMlp(x, this.w1, this.b1, this.w2, this.b2);
  }

  /** One propagation over the whole graph: what a training step and a scoring batch start from. */
  represent(): AlphaRecRepresentations {
    const c = this.config;
    const out = l2Normalize(this.inputs.graph.propagate(this.mlp(this.nodeInputs), c.num_layers));
    return { users: out.narrow(0, 0, c.num_users + 1), items: out.narrow(0, c.num_users + 1, c.num_items + 1) };
  }

  /** Each row's user [B, d]: the graph's, or MLP(mean of the history's title embeddings) for unknown users. */
  query(batch: SequenceBatch, reps: AlphaRecRepresentations): Tensor {
    const real = batch.items.ne(0).unsqueeze(-1).to(this.inputs.itemEmbeddings.dtype);
    const history = embedding(this.inputs.itemEmbeddings, batch.items).mul(real).sum(1).div(real.sum(1).clamp(1));
    const fromHistory = l2Normalize(this.mlp(history));
    return where(batch.users.gt(0).unsqueeze(-1), reps.users.indexSelect(0, batch.users), fromHistory);
  }

  get itemWeight(): Tensor {
    return this.represent().items;
  }

  finalQuery(batch: SequenceBatch, _opts?: ForwardOptions): Tensor {
    return this.query(batch, this.represent());
  }
}
