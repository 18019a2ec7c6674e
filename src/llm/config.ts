/**
 * Qwen2 configuration: the fields of a Hugging Face `config.json` the model needs, validation with
 * clear errors, and presets for small models trained from scratch on CPU.
 */

export interface Qwen2Config {
  model_type: "qwen2";
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  initializer_range: number;
  hidden_act: "silu";
  torch_dtype?: string;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  /** Explicit head width; HF derives hidden_size / num_attention_heads when absent. */
  head_dim?: number;
}

export function headDim(c: Qwen2Config): number {
  return c.head_dim ?? c.hidden_size / c.num_attention_heads;
}

type Shape = Pick<
  Qwen2Config,
  "hidden_size" | "intermediate_size" | "num_hidden_layers" | "num_attention_heads" | "num_key_value_heads"
>;

/**
 * Small Qwen2-shaped models for CPU training from scratch. `small` matches the engine benchmark's
 * model (d=256, 4 layers, 4 heads, 2 KV heads); `tiny` is for tests and quick demos.
 */
export const PRESETS: Record<string, Shape> = {
  tiny: {
    hidden_size: 128,
    intermediate_size: 384,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
  },
  small: {
    hidden_size: 256,
    intermediate_size: 1024,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
  },
  base: {
    hidden_size: 512,
    intermediate_size: 1536,
    num_hidden_layers: 6,
    num_attention_heads: 8,
    num_key_value_heads: 2,
  },
};

export function presetConfig(name: string, vocabSize: number, overrides: Partial<Qwen2Config> = {}): Qwen2Config {
  const shape = PRESETS[name];
  if (!shape) throw new Error(`unknown model preset "${name}" (expected one of ${Object.keys(PRESETS).join(", ")})`);
  return validateConfig(
    {
      model_type: "qwen2",
      vocab_size: vocabSize,
      ...shape,
      max_position_embeddings: 4096,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      tie_word_embeddings: true,
      initializer_range: 0.02,
      hidden_act: "silu",
      torch_dtype: "float32",
      ...overrides,
    },
    `preset ${name}`,
  );
}

function need(raw: Record<string, unknown>, key: string, where: string): number {
  const v = raw[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new Error(`${where}: field "${key}" must be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Checks a parsed config.json; `where` names the file in errors. */
export function validateConfig(raw: unknown, where: string): Qwen2Config {
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  if (r.model_type !== "qwen2") {
    throw new Error(
      `${where}: unsupported model_type ${JSON.stringify(r.model_type)}; latentr3 implements "qwen2" (Qwen2 / Qwen2.5 checkpoints)`,
    );
  }
  for (const k of ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"]) {
    const v = need(r, k, where);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: field "${k}" must be a positive integer, got ${v}`);
  }
  if (r.num_key_value_heads !== undefined) {
    const v = need(r, "num_key_value_heads", where);
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`${where}: field "num_key_value_heads" must be a positive integer, got ${v}`);
    }
  }
  const heads = need(r, "num_attention_heads", where);
  const kvHeads = typeof r.num_key_value_heads === "number" ? r.num_key_value_heads : heads;
  if (heads % kvHeads !== 0) {
    throw new Error(`${where}: num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`);
  }
  const hidden = need(r, "hidden_size", where);
  const hd = typeof r.head_dim === "number" ? r.head_dim : hidden / heads;
  if (!Number.isInteger(hd) || hd % 2 !== 0) {
    throw new Error(`${where}: head dimension ${hd} must be an even integer (hidden_size / num_attention_heads)`);
  }
  if (r.hidden_act !== undefined && r.hidden_act !== "silu") {
    throw new Error(`${where}: hidden_act ${JSON.stringify(r.hidden_act)} is not supported (Qwen2 uses "silu")`);
  }
  if (r.use_sliding_window === true) {
    throw new Error(`${where}: use_sliding_window=true is not supported`);
  }
  return {
    ...(r as unknown as Qwen2Config),
    num_key_value_heads: kvHeads,
    max_position_embeddings: typeof r.max_position_embeddings === "number" ? r.max_position_embeddings : 32768,
    rms_norm_eps: typeof r.rms_norm_eps === "number" ? r.rms_norm_eps : 1e-6,
    rope_theta: typeof r.rope_theta === "number" ? r.rope_theta : 10000,
    tie_word_embeddings: r.tie_word_embeddings === true,
    initializer_range: typeof r.initializer_range === "number" ? r.initializer_range : 0.02,
    hidden_act: "silu",
  };
}
