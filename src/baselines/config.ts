/**
 * Baseline configs: defaults per architecture, overrides from the caller, and the checks a config.json
 * read from disk must pass (each error names the file and the field).
 */
import { HISTORY_LENGTH } from "../data/sequences.js";
import { ALPHAREC_DEFAULTS, type AlphaRecConfig } from "./alpharec/model.js";
import { CASER_DEFAULTS, type CaserConfig } from "./caser.js";
import { GRU4REC_DEFAULTS, type GRU4RecConfig } from "./gru4rec.js";
import { ARCHS, isArch, type Arch } from "./model.js";
import { SASREC_DEFAULTS, SASREC_NORMS, type SASRecConfig } from "./sasrec.js";
import type { ItemVocabulary, UserVocabulary } from "./vocabulary.js";
import { configTable, optional, type ConfigOf } from "../util/config-table.js";

export type BaselineConfig = SASRecConfig | GRU4RecConfig | CaserConfig | AlphaRecConfig;

/** Architecture-specific fields a user may override. */
export type ConfigOverrides = Record<string, number | string>;

/**
 * Model settings a user may set; each given one overrides the architecture's default (config.json
 * field in brackets), an unset one keeps it. A setting the architecture lacks is refused.
 */
export const BASELINE_MODEL_CONFIG = configTable("baseline model", {
  hiddenSize: optional("int", "hidden / embedding size d (default 64) [hidden_size]", { min: 1 }),
  maxLen: optional("int", "history items read: SASRec and GRU4Rec 10, Caser's L 5 [max_len]", { min: 1 }),
  dropout: optional("number", "dropout rate (default SASRec and GRU4Rec 0.2, Caser 0.5) [dropout]", {
    min: 0,
    below: 1,
  }),
  blocks: optional("int", "SASRec: self-attention blocks (default 2) [num_blocks]", { min: 0 }),
  heads: optional("int", "SASRec: attention heads (default 1) [num_heads]", { min: 1 }),
  norm: {
    ...optional(
      "string",
      "SASRec: layer-norm placement: original (the paper's, default), or the current port's post / pre (docs/baselines.md) [norm]",
    ),
    choices: SASREC_NORMS,
  },
  layers: optional("int", "GRU4Rec: GRU layers (default 1); AlphaRec: propagation layers K (default 2) [num_layers]", {
    min: 0,
  }),
  mlpHiddenSize: optional(
    "int",
    "AlphaRec: the MLP's inner size (default half the LLM's hidden size) [mlp_hidden_size]",
    {
      min: 1,
    },
  ),
  temperature: optional("number", "AlphaRec: InfoNCE temperature τ (default 0.15) [temperature]", { above: 0 }),
  embeddingSize: optional("int", "GRU4Rec: item embedding size (default 64) [embedding_size]", { min: 1 }),
});
export type BaselineModelSettings = ConfigOf<typeof BASELINE_MODEL_CONFIG>;

const CONFIG_FIELDS: Record<keyof BaselineModelSettings, string> = {
  hiddenSize: "hidden_size",
  maxLen: "max_len",
  dropout: "dropout",
  blocks: "num_blocks",
  heads: "num_heads",
  norm: "norm",
  layers: "num_layers",
  embeddingSize: "embedding_size",
  mlpHiddenSize: "mlp_hidden_size",
  temperature: "temperature",
};

/** The config.json fields the given settings override (unset ones keep the architecture's default). */
export function modelOverrides(settings: BaselineModelSettings): ConfigOverrides {
  const overrides: ConfigOverrides = {};
  for (const [key, field] of Object.entries(CONFIG_FIELDS)) {
    const value = settings[key as keyof BaselineModelSettings];
    if (value !== undefined) overrides[field] = value;
  }
  return overrides;
}

const DEFAULTS: Record<Arch, Record<string, number | string>> = {
  sasrec: { max_len: HISTORY_LENGTH, ...SASREC_DEFAULTS },
  gru4rec: { max_len: HISTORY_LENGTH, ...GRU4REC_DEFAULTS },
  caser: { ...CASER_DEFAULTS },
  alpharec: { max_len: HISTORY_LENGTH, ...ALPHAREC_DEFAULTS },
};

/** Integer fields (≥ 1 unless listed in NON_NEGATIVE, as `field` or `arch.field`) and probability fields of each architecture. */
const INTEGERS: Record<Arch, string[]> = {
  sasrec: ["num_items", "max_len", "hidden_size", "num_blocks", "num_heads"],
  gru4rec: ["num_items", "max_len", "embedding_size", "hidden_size", "num_layers"],
  caser: ["num_items", "max_len", "hidden_size", "num_horizontal", "num_vertical", "num_users"],
  alpharec: ["num_items", "max_len", "hidden_size", "mlp_hidden_size", "lm_hidden_size", "num_layers", "num_users"],
};
const NON_NEGATIVE = new Set(["num_users", "num_blocks", "alpharec.num_layers"]);
const PROBABILITIES = ["dropout"];

/** A new model's config: the architecture's defaults, then `overrides`, sized to the catalogue. */
export function baselineConfig(
  arch: Arch,
  items: ItemVocabulary,
  users: UserVocabulary | null,
  overrides: ConfigOverrides = {},
): BaselineConfig {
  for (const key of Object.keys(overrides)) {
    if (!(key in DEFAULTS[arch])) {
      throw new Error(`${arch}: unknown setting "${key}" (settings: ${Object.keys(DEFAULTS[arch]).join(", ")})`);
    }
  }
  const config = {
    model_type: arch,
    ...DEFAULTS[arch],
    ...overrides,
    num_items: items.size,
    catalogue_fingerprint: items.fingerprint,
    ...(arch === "caser" || arch === "alpharec" ? { num_users: users?.size ?? 0 } : {}),
  };
  return validateBaselineConfig(config, `${arch} config`);
}

/** Checks a parsed config.json; `where` names it in errors. */
export function validateBaselineConfig(raw: unknown, where: string): BaselineConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error(`${where}: expected a JSON object`);
  const c = raw as Record<string, unknown>;
  const arch = c.model_type;
  if (typeof arch !== "string" || !isArch(arch)) {
    throw new Error(`${where}: "model_type" is ${JSON.stringify(arch)}; expected one of ${ARCHS.join(", ")}`);
  }
  for (const [key, value] of Object.entries(c)) {
    if (typeof value === "string" && key !== "model_type" && key !== "catalogue_fingerprint" && key !== "norm") {
      throw new Error(`${where}: "${key}" is ${JSON.stringify(value)}; expected a number`);
    }
  }
  for (const key of INTEGERS[arch]) {
    const v = c[key];
    const min = NON_NEGATIVE.has(key) || NON_NEGATIVE.has(`${arch}.${key}`) ? 0 : 1;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new Error(`${where}: "${key}" is ${JSON.stringify(v)}; expected an integer >= ${min}`);
    }
  }
  for (const key of arch === "alpharec" ? [] : PROBABILITIES) {
    const v = c[key];
    if (typeof v !== "number" || !(v >= 0 && v < 1)) {
      throw new Error(`${where}: "${key}" is ${JSON.stringify(v)}; expected a number in [0, 1)`);
    }
  }
  if (typeof c.catalogue_fingerprint !== "string") {
    throw new Error(`${where}: "catalogue_fingerprint" is missing; expected the string a trained model records`);
  }
  if (arch === "alpharec" && !(typeof c.temperature === "number" && c.temperature > 0)) {
    throw new Error(`${where}: "temperature" is ${JSON.stringify(c.temperature)}; expected a number > 0`);
  }
  if (arch === "sasrec") {
    if ((c.hidden_size as number) % (c.num_heads as number) !== 0) {
      throw new Error(`${where}: "hidden_size" ${c.hidden_size} is not divisible by "num_heads" ${c.num_heads}`);
    }
    // Models saved before the field existed were all of the original design.
    c.norm ??= "original";
    if (!(SASREC_NORMS as readonly unknown[]).includes(c.norm)) {
      throw new Error(`${where}: "norm" is ${JSON.stringify(c.norm)}; expected one of ${SASREC_NORMS.join(", ")}`);
    }
  }
  return c as unknown as BaselineConfig;
}
