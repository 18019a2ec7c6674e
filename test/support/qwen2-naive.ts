/**
 * A deliberately naive Qwen2 forward pass in plain TypeScript (float64 loops, no tensor library), for
 * reading the tiny fixtures end to end: it shows how `test/fixtures/qwen2-tiny*` are meant to be consumed
 * and checks them from the TypeScript side. Far too slow for anything but toy sizes; the real model lives
 * in `src/llm` over libtorch.
 */
import { bf16ToF32, f16ToF32 } from "../../src/engine/half.js";
import { typedArrayOf, type TensorReader } from "../../src/engine/safetensors.js";

export interface Qwen2TinyConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  head_dim?: number;
}

/** A float tensor of any safetensors float dtype, as float64 values. */
export function readFloat(reader: TensorReader, name: string): Float64Array {
  const e = reader.entries.get(name);
  if (!e) throw new Error(`missing tensor ${name}`);
  const bytes = reader.read(name);
  switch (e.dtype) {
    case "F32":
    case "F64":
      return Float64Array.from(typedArrayOf(e.dtype, bytes));
    case "BF16":
      return Float64Array.from(bf16ToF32(typedArrayOf("BF16", bytes)));
    case "F16":
      return Float64Array.from(f16ToF32(typedArrayOf("F16", bytes)));
    default:
      throw new Error(`${name}: ${e.dtype} is not a float dtype`);
  }
}

/** y = W x (+ b), W row-major [out, in]. */
function linear(w: Float64Array, x: Float64Array, b?: Float64Array): Float64Array {
  const out = w.length / x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? b[o]! : 0;
    for (let i = 0; i < x.length; i++) s += w[o * x.length + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

function rmsNorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ms = 0;
  for (const v of x) ms += v * v;
  const r = 1 / Math.sqrt(ms / x.length + eps);
  return x.map((v, i) => w[i]! * v * r);
}

/** Rotate-half RoPE on one head vector: pairs (i, i + d/2) rotated by pos · theta^(-2i/d). */
function rope(x: Float64Array, pos: number, theta: number): Float64Array {
  const d = x.length;
  const half = d / 2;
  const y = new Float64Array(d);
  for (let i = 0; i < half; i++) {
    const angle = pos * theta ** ((-2 * i) / d);
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    y[i] = x[i]! * c - x[i + half]! * s;
    y[i + half] = x[i + half]! * c + x[i]! * s;
  }
  return y;
}

/**
 * Logits [B][T][V] for one batch. `embeds[b][t]` are the input vectors (embedding rows or given
 * embeddings), `mask[b][t]` 1 for real tokens, `pos[b][t]` the position ids. Pad positions give zeros.
 */
export function naiveQwen2Logits(
  cfg: Qwen2TinyConfig,
  weights: (name: string) => Float64Array,
  embeds: Float64Array[][],
  mask: number[][],
  pos: number[][],
): Float64Array[][] {
  const hd = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads;
  const rep = cfg.num_attention_heads / cfg.num_key_value_heads;
  let h = embeds.map((row) => row.map((v) => Float64Array.from(v)));
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const w = (n: string): Float64Array => weights(`model.layers.${l}.${n}`);
    h = h.map((row, b) => {
      const xs = row.map((x) => rmsNorm(x, w("input_layernorm.weight"), cfg.rms_norm_eps));
      const qs = xs.map((x) => linear(w("self_attn.q_proj.weight"), x, w("self_attn.q_proj.bias")));
      const ks = xs.map((x) => linear(w("self_attn.k_proj.weight"), x, w("self_attn.k_proj.bias")));
      const vs = xs.map((x) => linear(w("self_attn.v_proj.weight"), x, w("self_attn.v_proj.bias")));
      return row.map((hIn, t) => {
        const attn = new Float64Array(cfg.num_attention_heads * hd);
        const visible = [...Array(t + 1).keys()].filter((j) => mask[b]![j] === 1);
        for (let head = 0; head < cfg.num_attention_heads && visible.length > 0; head++) {
          const kv = Math.floor(head / rep);
          const q = rope(qs[t]!.subarray(head * hd, (head + 1) * hd), pos[b]![t]!, cfg.rope_theta);
          const scores = visible.map((j) => {
            const k = rope(ks[j]!.subarray(kv * hd, (kv + 1) * hd), pos[b]![j]!, cfg.rope_theta);
            return q.reduce((s, v, i) => s + v * k[i]!, 0) / Math.sqrt(hd);
          });
          const max = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - max));
          const z = e.reduce((a, c) => a + c, 0);
          visible.forEach((j, n) => {
            for (let i = 0; i < hd; i++) attn[head * hd + i]! += (e[n]! / z) * vs[j]![kv * hd + i]!;
          });
        }
        const o = linear(w("self_attn.o_proj.weight"), attn);
        const r = hIn.map((v, i) => v + o[i]!);
        const m = rmsNorm(r, w("post_attention_layernorm.weight"), cfg.rms_norm_eps);
        const g = linear(w("mlp.gate_proj.weight"), m);
        const u = linear(w("mlp.up_proj.weight"), m);
        const act = g.map((v, i) => (v / (1 + Math.exp(-v))) * u[i]!);
        const down = linear(w("mlp.down_proj.weight"), act);
        return r.map((v, i) => v + down[i]!);
      });
    });
  }
  const out = weights(cfg.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  return h.map((row) => row.map((x) => linear(out, rmsNorm(x, weights("model.norm.weight"), cfg.rms_norm_eps))));
}
