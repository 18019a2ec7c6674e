/**
 * LoRA on the Qwen2 decoder in Hugging Face PEFT's layout: adapters on the named projections
 * (q_proj … down_proj) of every layer, saved as a PEFT adapter folder (adapter_config.json +
 * adapter_model.safetensors, tensors named `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`)
 * that PEFT loads onto the same base model, loaded back onto a base folder, or merged into the
 * weights for a plain Hugging Face folder.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { noGrad, tidy, type Tensor } from "../engine/index.js";
import { openSafetensors, writeSafetensors } from "../engine/safetensors.js";
import { toTensorData } from "../engine/tensor-io.js";
import { LoraAdapter, type Linear, type LoraSettings } from "../nn/index.js";
import { writeJsonAtomic } from "../util/atomic-file.js";
import { configTable, int, list, number, type ConfigOf } from "../util/config-table.js";
import { ADAPTER_CONFIG_FILE } from "./checkpoint.js";
import { loadNamedParameters } from "../nn/index.js";

export { ADAPTER_CONFIG_FILE };
import type { Qwen2Model } from "./qwen2.js";

/** Every projection of a Qwen2 decoder layer, by its Hugging Face module name. */
export const LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;

export interface LoraConfig extends LoraSettings {
  /** Module names to adapt (a subset of LORA_TARGETS). */
  targets: string[];
}

/** The LoRA settings of a fine-tuning run (`--lora-rank 0` = no adapters: every parameter trains). */
export const LORA_CONFIG = configTable(
  "LoRA",
  {
    loraRank: int(0, "LoRA rank r (0 = no adapters: train all parameters)", { min: 0 }),
    loraAlpha: number(16, "LoRA alpha (the update is scaled by alpha/r)", { above: 0 }),
    loraDropout: number(0.05, "dropout on the adapters' input", { min: 0, below: 1 }),
    loraTargets: list([...LORA_TARGETS], "comma-separated projections to adapt"),
  },
  (c, name) => {
    const unknown = c.loraTargets.filter((t) => !(LORA_TARGETS as readonly string[]).includes(t));
    if (unknown.length === 0 && c.loraTargets.length > 0) return undefined;
    return `${name("loraTargets")} ${c.loraTargets.join(",")}: expected names from ${LORA_TARGETS.join(",")}`;
  },
);
export type LoraTableConfig = ConfigOf<typeof LORA_CONFIG>;

/** The adapters a run's LoRA settings ask for, or null for full fine-tuning (rank 0). */
export function loraFromConfig(c: LoraTableConfig): LoraConfig | null {
  if (c.loraRank === 0) return null;
  return { rank: c.loraRank, alpha: c.loraAlpha, dropout: c.loraDropout, targets: [...c.loraTargets] };
}

export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";
/** PEFT wraps the model twice (PeftModel → LoraModel), which prefixes every saved name. */
const PEFT_PREFIX = "base_model.model.";

function projections(model: Qwen2Model): Linear[] {
  return model.layers.flatMap((l) => [
    l.attention.q,
    l.attention.k,
    l.attention.v,
    l.attention.o,
    l.mlp.gate,
    l.mlp.up,
    l.mlp.down,
  ]);
}

const moduleName = (linear: Linear) => linear.path.parts[linear.path.parts.length - 1]!;

/** Attaches fresh adapters (A random, B zero: the model's function is unchanged) to the targets. */
export function applyLora(model: Qwen2Model, config: LoraConfig): void {
  const unknown = config.targets.filter((t) => !(LORA_TARGETS as readonly string[]).includes(t));
  if (unknown.length > 0 || config.targets.length === 0) {
    throw new Error(
      `LoRA targets ${JSON.stringify(config.targets)}: expected a non-empty list of ${LORA_TARGETS.join(", ")}`,
    );
  }
  if (loraAdapters(model).length > 0) throw new Error("applyLora: the model already has LoRA adapters");
  for (const linear of projections(model)) {
    if (!config.targets.includes(moduleName(linear))) continue;
    linear.adapter = new LoraAdapter(linear.path, linear.inFeatures, linear.outFeatures, config);
  }
}

/** The adapted projections. */
export function loraAdapters(model: Qwen2Model): { linear: Linear; adapter: LoraAdapter }[] {
  return projections(model).flatMap((linear) => (linear.adapter ? [{ linear, adapter: linear.adapter }] : []));
}

/** The adapters' parameters (A and B of each), what LoRA training updates. */
export function loraParameters(model: Qwen2Model): Tensor[] {
  return loraAdapters(model).flatMap(({ adapter }) => [adapter.a, adapter.b]);
}

/** The settings the model's adapters were created with, or null without adapters. */
export function loraConfigOf(model: Qwen2Model): LoraConfig | null {
  const adapters = loraAdapters(model);
  if (adapters.length === 0) return null;
  const { rank, alpha, dropout } = adapters[0]!.adapter.settings;
  const targets = LORA_TARGETS.filter((t) => adapters.some(({ linear }) => moduleName(linear) === t));
  return { rank, alpha, dropout, targets };
}

/** Writes the adapters as a PEFT adapter folder on top of the base model folder `baseModel`. */
export function saveAdapter(model: Qwen2Model, dir: string, opts: { baseModel: string }): void {
  const config = loraConfigOf(model);
  if (!config) throw new Error("saveAdapter: the model has no LoRA adapters");
  mkdirSync(dir, { recursive: true });
  const named = loraAdapters(model).flatMap(({ adapter }): [string, Tensor][] => [
    [PEFT_PREFIX + adapter.names.a, adapter.a],
    [PEFT_PREFIX + adapter.names.b, adapter.b],
  ]);
  writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), toTensorData(named), { format: "pt" });
  // The fields of PEFT's LoraConfig; those with PEFT's default values are written too so the file
  // reads the same as one PEFT saves.
  writeJsonAtomic(join(dir, ADAPTER_CONFIG_FILE), {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: opts.baseModel,
    revision: null,
    r: config.rank,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    target_modules: config.targets,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    use_rslora: false,
    use_dora: false,
  });
}

export function isAdapterFolder(dir: string): boolean {
  return existsSync(join(dir, ADAPTER_CONFIG_FILE));
}

/** An adapter folder's settings and base model, checked for what this implementation supports. */
export function readAdapterConfig(dir: string): LoraConfig & { baseModel: string | null } {
  const path = join(dir, ADAPTER_CONFIG_FILE);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${path}: cannot read the adapter config (${(e as Error).message})`);
  }
  const fail = (what: string): never => {
    throw new Error(`${path}: ${what}`);
  };
  if (raw.peft_type !== "LORA") fail(`peft_type ${JSON.stringify(raw.peft_type)} is not supported (expected "LORA")`);
  const unsupported: [string, boolean][] = [
    ["use_dora", raw.use_dora === true],
    ["use_rslora", raw.use_rslora === true],
    ["fan_in_fan_out", raw.fan_in_fan_out === true],
    ["bias", raw.bias !== undefined && raw.bias !== "none"],
    ["modules_to_save", raw.modules_to_save != null],
    ["layers_to_transform", raw.layers_to_transform != null],
    ["rank_pattern", Object.keys((raw.rank_pattern as object | null) ?? {}).length > 0],
    ["alpha_pattern", Object.keys((raw.alpha_pattern as object | null) ?? {}).length > 0],
    ["lora_bias", raw.lora_bias === true],
    ["exclude_modules", raw.exclude_modules != null],
    ["layer_replication", raw.layer_replication != null],
    ["trainable_token_indices", raw.trainable_token_indices != null],
    ["target_parameters", raw.target_parameters != null],
  ];
  const used = unsupported.filter(([, on]) => on).map(([k]) => k);
  if (used.length > 0) fail(`${used.join(", ")} set: only plain LoRA adapters are supported`);
  const rank = raw.r;
  if (typeof rank !== "number") fail(`field "r" must be a number`);
  let targets = raw.target_modules;
  if (typeof targets === "string") {
    // PEFT also accepts a regular expression matched against full module names.
    const re = new RegExp(targets);
    targets = LORA_TARGETS.filter(
      (t) => re.test(`model.layers.0.self_attn.${t}`) || re.test(`model.layers.0.mlp.${t}`),
    );
  }
  if (!Array.isArray(targets)) fail(`field "target_modules" must be a list of module names`);
  return {
    rank: rank as number,
    alpha: typeof raw.lora_alpha === "number" ? raw.lora_alpha : 8,
    dropout: typeof raw.lora_dropout === "number" ? raw.lora_dropout : 0,
    targets: targets as string[],
    baseModel: typeof raw.base_model_name_or_path === "string" ? raw.base_model_name_or_path : null,
  };
}

/** Attaches the adapters of a PEFT adapter folder to a base model and loads their weights. */
export function loadAdapter(model: Qwen2Model, dir: string): LoraConfig {
  const config = readAdapterConfig(dir);
  const weights = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(weights)) {
    const pickled = existsSync(join(dir, "adapter_model.bin"));
    throw new Error(
      `${dir}: no ${ADAPTER_WEIGHTS_FILE}` +
        (pickled ? " (adapter_model.bin, a pickle, is not read: save the adapter with safe_serialization=True)" : ""),
    );
  }
  applyLora(model, config);
  const file = openSafetensors(weights);
  try {
    const entries = [...file.entries].map(([name, entry]): [string, typeof entry] => {
      if (!name.startsWith(PEFT_PREFIX)) throw new Error(`${weights}: ${name} does not start with ${PEFT_PREFIX}`);
      return [name.slice(PEFT_PREFIX.length), entry];
    });
    const present = new Set(entries.map(([n]) => n));
    const missing = loraAdapters(model)
      .flatMap(({ adapter }) => [adapter.names.a, adapter.names.b])
      .filter((n) => !present.has(n));
    if (missing.length > 0) {
      throw new Error(
        `${weights}: lacks ${missing.length} adapter tensor(s) its config implies: ${missing.slice(0, 5).join(", ")}`,
      );
    }
    loadNamedParameters(model.store, entries, weights);
  } finally {
    file.close();
  }
  return config;
}

/** Folds every adapter into its weight (W += (α/r)·B·A) and removes the adapters. */
export function mergeLora(model: Qwen2Model): void {
  for (const { linear, adapter } of loraAdapters(model)) {
    noGrad(() =>
      tidy(() => {
        const delta = adapter.delta();
        linear.weight.add_(delta.dtype === linear.weight.dtype ? delta : delta.to(linear.weight.dtype));
      }),
    );
    linear.adapter = null;
    model.store.remove(adapter.names.a);
    model.store.remove(adapter.names.b);
  }
}
