/**
 * Baseline configs: defaults per architecture, overrides from the caller, and the checks a config.json
 * read from disk must pass (each error names the file and the field).
 */
import { HISTORY_LENGTH } from "../data/sequences.js";
import { CASER_DEFAULTS, type CaserConfig } from "./caser.js";
import { GRU4REC_DEFAULTS, type GRU4RecConfig } from "./gru4rec.js";
import { ARCHS, isArch, type Arch } from "./model.js";
import { SASREC_DEFAULTS, SASREC_NORMS, type SASRecConfig } from "./sasrec.js";
import type { ItemVocabulary, UserVocabulary } from "./vocabulary.js";

export type BaselineConfig = SASRecConfig | GRU4RecConfig | CaserConfig;

/** Architecture-specific fields a user may override. */
export type ConfigOverrides = Record<string, number | string>;

const DEFAULTS: Record<Arch, Record<string, number | string>> = {
  sasrec: { max_len: HISTORY_LENGTH, ...SASREC_DEFAULTS },
  gru4rec: { max_len: HISTORY_LENGTH, ...GRU4REC_DEFAULTS },
  caser: { ...CASER_DEFAULTS },
};

/** Integer fields (≥ 1 unless listed in NON_NEGATIVE) and probability fields of each architecture. */
const INTEGERS: Record<Arch, string[]> = {
  sasrec: ["num_items", "max_len", "hidden_size", "num_blocks", "num_heads"],
  gru4rec: ["num_items", "max_len", "embedding_size", "hidden_size", "num_layers"],
  caser: ["num_items", "max_len", "hidden_size", "num_horizontal", "num_vertical", "num_users"],
};
const NON_NEGATIVE = new Set(["num_users", "num_blocks"]);
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
    ...(arch === "caser" ? { num_users: users?.size ?? 0 } : {}),
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
    const min = NON_NEGATIVE.has(key) ? 0 : 1;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new Error(`${where}: "${key}" is ${JSON.stringify(v)}; expected an integer >= ${min}`);
    }
  }
  for (const key of PROBABILITIES) {
    const v = c[key];
    if (typeof v !== "number" || !(v >= 0 && v < 1)) {
      throw new Error(`${where}: "${key}" is ${JSON.stringify(v)}; expected a number in [0, 1)`);
    }
  }
  if (typeof c.catalogue_fingerprint !== "string") {
    throw new Error(`${where}: "catalogue_fingerprint" is missing; expected the string a trained model records`);
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
