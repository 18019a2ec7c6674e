/**
 * The Qwen2 decoder (Qwen2 / Qwen2.5), read top to bottom like the architecture:
 * embed → N × [RMSNorm → GQA attention with RoPE → residual → RMSNorm → SwiGLU MLP → residual]
 * → final RMSNorm → LM head (tied to the embedding or not).
 * Parameter names equal Hugging Face's (`model.layers.0.self_attn.q_proj.weight`, ...).
 */
import {
  Tensor,
  applyRotary,
  full,
  linear,
  scaledDotProductAttention,
  type DType,
  type Device,
} from "../engine/index.js";
import { Embedding, Linear, ParamStore, RMSNorm, RotaryEmbedding, type ParamPath } from "../nn/index.js";
import { causalPaddingMask, positionsFromMask } from "./attention-mask.js";
import { headDim, type Qwen2Config } from "./config.js";
import { KVCache, type KVAppend } from "./kv-cache.js";
import type { AttendingCache, SharedPrefixCache } from "./shared-prefix-cache.js";
import { runLayer, type Rope } from "./layer-runner.js";

/** What a layer's attention gets from the decoding cache: keys/values to attend over, or the attention itself. */
type LayerCache = KVAppend | AttendingCache;

class Attention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;

  constructor(path: ParamPath, c: Qwen2Config) {
    this.heads = c.num_attention_heads;
    this.kvHeads = c.num_key_value_heads;
    this.headDim = headDim(c);
    const std = c.initializer_range;
    this.q = new Linear(path.sub("q_proj"), c.hidden_size, this.heads * this.headDim, { bias: true, std });
    this.k = new Linear(path.sub("k_proj"), c.hidden_size, this.kvHeads * this.headDim, { bias: true, std });
    this.v = new Linear(path.sub("v_proj"), c.hidden_size, this.kvHeads * this.headDim, { bias: true, std });
    this.o = new Linear(path.sub("o_proj"), this.heads * this.headDim, c.hidden_size, { bias: false, std });
  }

  forward(x: Tensor, rope: Rope, mask: Tensor, cache: LayerCache | undefined, layer: number): Tensor {
    const [b, t] = [x.dim(0), x.dim(1)];
    const split = (y: Tensor, h: number) => y.view([b, t, h, this.headDim]).transpose(1, 2); // [B, H, T, D]
    const q = applyRotary(split(this.q.forward(x), this.heads), rope.cos, rope.sin);
    let k = applyRotary(split(this.k.forward(x), this.kvHeads), rope.cos, rope.sin);
    let v = split(this.v.forward(x), this.kvHeads);
    const output = (y: Tensor) => this.o.forward(y.transpose(1, 2).reshape([b, t, this.heads * this.headDim]));
    if (cache && "attend" in cache) return output(cache.attend(layer, q, k, v, mask));
    if (cache) ({ k, v } = cache.append(layer, k, v));
    // Grouped-query attention: KV head j serves the `groups` consecutive query heads j·groups…. Rather
    // than copying K/V `groups` times (a fifth of decoding time), fold each group's queries into the
    // query axis of its KV head, [B, Hkv, groups·T, D], and repeat only the (small) mask to match.
    const groups = this.heads / this.kvHeads;
    const folded = q.reshape([b, this.kvHeads, groups * t, this.headDim]);
    const foldedMask = groups > 1 && mask.dim(2) > 1 ? mask.repeat([1, 1, groups, 1]) : mask;
    return output(
      scaledDotProductAttention(folded, k, v, { mask: foldedMask }).reshape([b, this.heads, t, this.headDim]),
    );
  }
}

class Mlp {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
  constructor(path: ParamPath, c: Qwen2Config) {
    const std = c.initializer_range;
    this.gate = new Linear(path.sub("gate_proj"), c.hidden_size, c.intermediate_size, { bias: false, std });
    this.up = new Linear(path.sub("up_proj"), c.hidden_size, c.intermediate_size, { bias: false, std });
    this.down = new Linear(path.sub("down_proj"), c.intermediate_size, c.hidden_size, { bias: false, std });
  }
  forward(x: Tensor): Tensor {
    return this.down.forward(this.gate.forward(x).silu().mul(this.up.forward(x)));
  }
}

class DecoderLayer {
  readonly inputNorm: RMSNorm;
  readonly attention: Attention;
  readonly postAttentionNorm: RMSNorm;
  readonly mlp: Mlp;
  constructor(path: ParamPath, c: Qwen2Config) {
    this.inputNorm = new RMSNorm(path.sub("input_layernorm"), c.hidden_size, c.rms_norm_eps);
    this.attention = new Attention(path.sub("self_attn"), c);
    this.postAttentionNorm = new RMSNorm(path.sub("post_attention_layernorm"), c.hidden_size, c.rms_norm_eps);
    this.mlp = new Mlp(path.sub("mlp"), c);
  }
  forward(h: Tensor, rope: Rope, mask: Tensor, cache: LayerCache | undefined, layer: number): Tensor {
    const a = h.add(this.attention.forward(this.inputNorm.forward(h), rope, mask, cache, layer));
    return a.add(this.mlp.forward(this.postAttentionNorm.forward(a)));
  }
}

export interface ForwardInput {
  /** Token ids [B, T] (i64). Exactly one of `inputIds` / `inputsEmbeds`. */
  inputIds?: Tensor;
  /** Input embeddings [B, T, hidden] (LatentR3 feeds continuous latent thoughts this way). */
  inputsEmbeds?: Tensor;
  /** 1 = real token, 0 = padding, over cached + new positions [B, P+T]. Default: all real. */
  attentionMask?: Tensor;
  /** Explicit positions [B, T]; default derived from the mask (left padding aware). */
  positionIds?: Tensor;
  /** Appended in place with this call's keys/values (a beam search's shared-prefix cache also attends). */
  cache?: KVCache | SharedPrefixCache;
  /** Which positions get LM-head logits: all (default), only the last, or none. */
  logits?: "all" | "last" | "none";
}

export interface ForwardOutput {
  /** [B, T, vocab] (or [B, 1, vocab] for "last"); absent for "none". */
  logits?: Tensor;
  /** Final hidden states after the final RMSNorm [B, T, hidden]: what the LM head reads. */
  hidden: Tensor;
}

export class Qwen2Model {
  readonly embed: Embedding;
  readonly layers: DecoderLayer[];
  readonly norm: RMSNorm;
  readonly lmHead: Tensor;
  readonly rotary: RotaryEmbedding;
  /** Recompute each decoder layer in backward instead of keeping its activations (see layer-runner.ts). */
  gradientCheckpointing = false;

  constructor(
    readonly config: Qwen2Config,
    readonly store: ParamStore,
  ) {
    const root = store.root();
    const model = root.sub("model");
    const c = config;
    this.embed = new Embedding(model.sub("embed_tokens"), c.vocab_size, c.hidden_size, c.initializer_range);
    this.layers = Array.from(
      { length: c.num_hidden_layers },
      (_, i) => new DecoderLayer(model.sub("layers").sub(i), c),
    );
    this.norm = new RMSNorm(model.sub("norm"), c.hidden_size, c.rms_norm_eps);
    this.lmHead = c.tie_word_embeddings
      ? this.embed.weight
      : root
          .sub("lm_head")
          .param("weight", [c.vocab_size, c.hidden_size], { kind: "normal", std: c.initializer_range });
    this.rotary = new RotaryEmbedding(headDim(c), c.rope_theta, store.device);
  }

  /** A randomly initialised model (HF init: normal(0, initializer_range), zero biases, unit norms). */
  static create(config: Qwen2Config, opts: { device?: Device; dtype?: DType; seed?: number } = {}): Qwen2Model {
    return new Qwen2Model(config, new ParamStore(opts.device ?? "cpu", opts.dtype ?? "f32", opts.seed ?? 0));
  }

  get device(): Device {
    return this.store.device;
  }
  get dtype(): DType {
    return this.store.dtype;
  }

  /** Token embeddings for ids [B, T] → [B, T, hidden]. */
  embedTokens(ids: Tensor): Tensor {
    return this.embed.forward(ids);
  }

  /**
   * LM-head logits for hidden states [..., hidden] → [..., vocab], at least f32 whatever the compute dtype
   * (as Hugging Face's Qwen2ForCausalLM): losses, rewards and beam scores need the range.
   */
  logits(hidden: Tensor): Tensor {
    const logits = linear(hidden, this.lmHead);
    return logits.dtype === "bf16" || logits.dtype === "f16" ? logits.float() : logits;
  }

  newCache(): KVCache {
    return new KVCache(this.config.num_hidden_layers);
  }

  forward(input: ForwardInput): ForwardOutput {
    if ((input.inputIds === undefined) === (input.inputsEmbeds === undefined)) {
      throw new Error("Qwen2Model.forward: pass exactly one of inputIds or inputsEmbeds");
    }
    let h = input.inputsEmbeds ?? this.embedTokens(input.inputIds!);
    if (h.dtype !== this.dtype) h = h.to(this.dtype);
    const [b, t] = [h.dim(0), h.dim(1)];
    const past = input.cache?.length ?? 0;
    const mask2d = input.attentionMask ?? full([b, past + t], 1, { dtype: "i64", device: this.device });
    if (mask2d.dim(1) !== past + t) {
      throw new Error(
        `Qwen2Model.forward: attentionMask covers ${mask2d.dim(1)} positions but the cache has ${past} and the input ${t}`,
      );
    }
    const positions = input.positionIds ?? positionsFromMask(mask2d, t);
    const rope = this.rotary.tables(positions, this.dtype);
    const mask = causalPaddingMask(mask2d, t);
    // One scope per layer frees each layer's intermediates as soon as it is done. Holding a whole
    // forward's intermediates until the caller's scope ends made glibc trim the heap and page-fault
    // it back in on every step.
    this.layers.forEach((layer, index) => {
      const params = () => this.store.parameters(`model.layers.${index}.`);
      h = runLayer({ layer, index, params }, h, rope, mask, input.cache, this.gradientCheckpointing);
    });
    const hidden = this.norm.forward(h);
    const which = input.logits ?? "all";
    if (which === "none") return { hidden };
    const source = which === "last" ? hidden.narrow(1, t - 1, 1) : hidden;
    return { hidden, logits: this.logits(source) };
  }

  parameters(): Tensor[] {
    return this.store.parameters();
  }

  dispose(): void {
    this.store.dispose();
    this.rotary.dispose();
  }
}
