/**
 * SASRec (Kang & McAuley, ICDM 2018): self-attention over the item sequence, causal, so the output at
 * position t predicts item t + 1 from items ≤ t. Laid out as the authors' TensorFlow code and its
 * common PyTorch port (pmixer/SASRec.pytorch), whose parameter names are ours:
 *
 *   x   = dropout(E[items] · √d + P[positions]) ⊙ keep                    keep = not padding
 *   per block:  q = LN_attn(x);  x = q + MHA(q, x, x)  (causal, padded keys masked)
 *               x = LN_ffn(x);   x = x + dropout(W2 · dropout(relu(W1 · x)));  x = x ⊙ keep
 *   out = LN_last(x);   logit(item i after position t) = out_t · E[i]   (shared item embedding)
 *
 * Left padding with absolute positions 0..max_len−1 puts the last history item at the last position,
 * as the port does. Padded keys are masked as in the authors' code (the port lets queries attend to the
 * zeroed padding instead); attention weights get dropout as in both.
 */
import { arange, dropout, embedding, linear, ones, tidy, type Tensor } from "../engine/index.js";
import { LayerNorm, ParamStore, torchDefault, xavierNormal, zerosInit, type ParamPath } from "../nn/index.js";
import type { SequenceBatch } from "./batch.js";
import type { BaseConfig, ForwardOptions, SequentialRecommender } from "./model.js";

/**
 * Where the layer norms sit. `original`: the authors' design above. `pre` / `post`: the port's current
 * `norm_first` true / false blocks (the port's Result_Norm.md reports both above the original), with
 * positions 1..L (0 for padding) and no masking of padding beyond the causal mask, as the port:
 *
 *   pre:  x = x + MHA(LN(x));  x = x + FFN(LN(x))        post:  x = LN(x + MHA(x));  x = LN(x + FFN(x))
 */
export type SASRecNorm = "original" | "pre" | "post";
export const SASREC_NORMS: readonly SASRecNorm[] = ["original", "pre", "post"];

export interface SASRecConfig extends BaseConfig {
  model_type: "sasrec";
  hidden_size: number;
  num_blocks: number;
  num_heads: number;
  dropout: number;
  layer_norm_eps: number;
  norm: SASRecNorm;
}

/**
 * The reference setting (hidden 64, 2 blocks, 1 head, dropout 0.2); eps as the port. Norm
 * `original`: the design the PyTorch reference numbers on CDs were measured with.
 */
export const SASREC_DEFAULTS = {
  hidden_size: 64,
  num_blocks: 2,
  num_heads: 1,
  dropout: 0.2,
  layer_norm_eps: 1e-8,
  norm: "original" as SASRecNorm,
};

/** A masked score: finite, so a query with every key masked (a padding position) stays finite. */
const MASKED = -1e9;

class PointWiseFeedForward {
  readonly w1: Tensor;
  readonly b1: Tensor;
  readonly w2: Tensor;
  readonly b2: Tensor;
  /** Conv1d with kernel 1, stored as the port stores it ([d, d, 1]) and applied as a linear map. */
  constructor(path: ParamPath, d: number) {
    this.w1 = path.sub("conv1").param("weight", [d, d, 1], xavierNormal([d, d, 1]));
    this.b1 = path.sub("conv1").param("bias", [d], torchDefault(d));
    this.w2 = path.sub("conv2").param("weight", [d, d, 1], xavierNormal([d, d, 1]));
    this.b2 = path.sub("conv2").param("bias", [d], torchDefault(d));
  }
  forward(x: Tensor, p: number, opts: ForwardOptions): Tensor {
    const h = dropout(linear(x, this.w1.squeeze(-1), this.b1), p, opts.training, opts.generator).relu();
    return dropout(linear(h, this.w2.squeeze(-1), this.b2), p, opts.training, opts.generator);
  }
}

/** torch.nn.MultiheadAttention's parameters (packed q/k/v projection) and computation. */
class MultiheadAttention {
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor;
  readonly outProjWeight: Tensor;
  readonly outProjBias: Tensor;
  constructor(
    path: ParamPath,
    readonly d: number,
    readonly heads: number,
  ) {
    this.inProjWeight = path.param("in_proj_weight", [3 * d, d], xavierNormal([3 * d, d]));
    this.inProjBias = path.param("in_proj_bias", [3 * d], zerosInit);
    this.outProjWeight = path.sub("out_proj").param("weight", [d, d], xavierNormal([d, d]));
    this.outProjBias = path.sub("out_proj").param("bias", [d], zerosInit);
  }
  /** query [B, W, d], key = value [B, W, d]; `allowed` broadcastable to [B, heads, W, W] (true = may attend). */
  forward(query: Tensor, kv: Tensor, allowed: Tensor, p: number, opts: ForwardOptions): Tensor {
    const { d, heads } = this;
    const [B, W] = [query.dim(0), query.dim(1)];
    const hd = d / heads;
    const project = (x: Tensor, i: number) =>
      linear(x, this.inProjWeight.narrow(0, i * d, d), this.inProjBias.narrow(0, i * d, d))
        .reshape([B, W, heads, hd])
        .transpose(1, 2);
    const q = project(query, 0);
    const k = project(kv, 1);
    const v = project(kv, 2);
    const scores = q
      .matmul(k.transpose(-2, -1))
      .mul(1 / Math.sqrt(hd))
      .maskedFill(allowed.logicalNot(), MASKED);
    const weights = dropout(scores.softmax(-1), p, opts.training, opts.generator);
    const out = weights.matmul(v).transpose(1, 2).reshape([B, W, d]);
    return linear(out, this.outProjWeight, this.outProjBias);
  }
}

class Block {
  readonly attnNorm: LayerNorm;
  readonly attention: MultiheadAttention;
  readonly ffnNorm: LayerNorm;
  readonly ffn: PointWiseFeedForward;
  constructor(root: ParamPath, i: number, c: SASRecConfig) {
    this.attnNorm = new LayerNorm(root.sub("attention_layernorms").sub(i), c.hidden_size, c.layer_norm_eps);
    this.attention = new MultiheadAttention(root.sub("attention_layers").sub(i), c.hidden_size, c.num_heads);
    this.ffnNorm = new LayerNorm(root.sub("forward_layernorms").sub(i), c.hidden_size, c.layer_norm_eps);
    this.ffn = new PointWiseFeedForward(root.sub("forward_layers").sub(i), c.hidden_size);
  }
}

export class SASRec implements SequentialRecommender {
  readonly padding = "left" as const;
  readonly users = null;
  readonly itemWeight: Tensor;
  readonly itemBias = null;
  readonly positionWeight: Tensor;
  readonly blocks: Block[];
  readonly lastNorm: LayerNorm;

  constructor(
    readonly config: SASRecConfig,
    readonly store: ParamStore,
  ) {
    const c = config;
    if (c.hidden_size % c.num_heads !== 0) {
      throw new Error(`sasrec: hidden_size ${c.hidden_size} is not divisible by num_heads ${c.num_heads}`);
    }
    const root = store.root();
    const d = c.hidden_size;
    this.itemWeight = root.sub("item_emb").param("weight", [c.num_items + 1, d], xavierNormal([c.num_items + 1, d]));
    // The padding row starts at zero, as in the port (it never receives a gradient: padded inputs are masked).
    tidy(() => this.itemWeight.narrow(0, 0, 1).fill_(0));
    // The original design indexes positions 0..L−1; pre/post use 1..L with row 0 for padding (zero).
    const positions = c.norm === "original" ? c.max_len : c.max_len + 1;
    this.positionWeight = root.sub("pos_emb").param("weight", [positions, d], xavierNormal([positions, d]));
    if (c.norm !== "original") tidy(() => this.positionWeight.narrow(0, 0, 1).fill_(0));
    this.blocks = Array.from({ length: c.num_blocks }, (_, i) => new Block(root, i, c));
    this.lastNorm = new LayerNorm(root.sub("last_layernorm"), d, c.layer_norm_eps);
  }

  sequenceQueries(batch: SequenceBatch, opts: ForwardOptions): Tensor {
    const c = this.config;
    const W = batch.width;
    if (W !== c.max_len) throw new Error(`sasrec: batch width ${W} must equal max_len ${c.max_len} (left padding)`);
    const device = this.store.device;
    const keep = batch.items.ne(0);
    const keepRows = keep.unsqueeze(-1).to(this.itemWeight.dtype);
    const slots = arange(W, undefined, 1, { device });
    const positions = c.norm === "original" ? slots : slots.add(1).mul(keep); // 1..L, 0 on padding
    // ⊙ keep: padding rows stay zero and get no gradient (the port's padding_idx = 0).
    let x = embedding(this.itemWeight, batch.items)
      .mul(Math.sqrt(c.hidden_size))
      .add(embedding(this.positionWeight, positions))
      .mul(keepRows);
    x = dropout(x, c.dropout, opts.training, opts.generator);
    const causal = ones([W, W], { dtype: "bool", device }).tril();
    const d = c.dropout;
    if (c.norm === "original") {
      const allowed = causal.logicalAnd(keep.unsqueeze(1)).unsqueeze(1); // [B, 1, W, W]
      for (const block of this.blocks) {
        const q = block.attnNorm.forward(x);
        x = q.add(block.attention.forward(q, x, allowed, d, opts));
        x = block.ffnNorm.forward(x);
        x = x.add(block.ffn.forward(x, d, opts)).mul(keepRows);
      }
    } else {
      for (const b of this.blocks) {
        if (c.norm === "pre") {
          const h = b.attnNorm.forward(x);
          x = x.add(b.attention.forward(h, h, causal, d, opts));
          x = x.add(b.ffn.forward(b.ffnNorm.forward(x), d, opts));
        } else {
          x = b.attnNorm.forward(x.add(b.attention.forward(x, x, causal, d, opts)));
          x = b.ffnNorm.forward(x.add(b.ffn.forward(x, d, opts)));
        }
      }
    }
    return this.lastNorm.forward(x);
  }

  finalQuery(batch: SequenceBatch, opts: ForwardOptions): Tensor {
    return this.sequenceQueries(batch, opts).select(1, batch.width - 1);
  }
}
