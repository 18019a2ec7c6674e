/**
 * Loading and saving Qwen2 models as Hugging Face folders: config.json + model.safetensors (or
 * sharded with model.safetensors.index.json). Saved folders load in Hugging Face tools.
 */
import { existsSync, readFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DType, Device } from "../engine/index.js";
import { INDEX_FILE, SINGLE_FILE, openCheckpoint, writeCheckpoint } from "../engine/checkpoint-folder.js";
import { toTensorData } from "../engine/tensor-io.js";
import { writeJsonAtomic } from "../util/atomic-file.js";
import { ParamStore, isLoraParameter, loadParameters } from "../nn/index.js";
import { validateConfig, type Qwen2Config } from "./config.js";
import { Qwen2Model } from "./qwen2.js";

export interface LoadOptions {
  device?: Device;
  /** Parameter dtype; default f32 on CPU, bf16 on CUDA. */
  dtype?: DType;
  /**
   * Extra parameters that live in the same checkpoint (e.g. LatentRATT's `latent_ratt.*`): created
   * by this callback on the model's store before loading, so they load by name like the rest.
   */
  extend?: (model: Qwen2Model) => void;
  /** Names in the checkpoint that are not parameters are an error unless they match one of these prefixes. */
  ignorePrefixes?: string[];
}

/** A PEFT adapter folder's config (see lora.ts). */
export const ADAPTER_CONFIG_FILE = "adapter_config.json";

/** What a model folder holds, for error messages. */
export const MODEL_FOLDER_EXPECTED =
  "expected a model folder with config.json and model.safetensors, as `latentr3 train pretrain|sft|rl` writes, a Hugging Face Qwen2 checkpoint, or a LoRA adapter folder (adapter_config.json)";

/**
 * Why `dir` cannot be a model folder (missing, a file, no config.json, no weights), or undefined if
 * it looks like one. Checked before anything is loaded so the message names the real problem.
 */
export function modelFolderProblem(dir: string, opts: { weights?: boolean } = {}): string | undefined {
  if (!existsSync(dir)) return `no such folder (${MODEL_FOLDER_EXPECTED})`;
  if (!statSync(dir).isDirectory()) return `is a file, not a folder (${MODEL_FOLDER_EXPECTED})`;
  const found = readdirSync(dir);
  const listing = `found: ${found.length === 0 ? "nothing" : found.slice(0, 8).join(", ") + (found.length > 8 ? `, … (${found.length} entries)` : "")}`;
  // A LoRA adapter folder loads on top of the base model it names.
  if (!found.includes("config.json") && found.includes(ADAPTER_CONFIG_FILE)) return undefined;
  if (!found.includes("config.json")) return `not a model folder: config.json is missing (${listing})`;
  if (opts.weights !== false && !found.includes(SINGLE_FILE) && !found.includes(INDEX_FILE)) {
    return `not a model folder: no weights, neither ${SINGLE_FILE} nor ${INDEX_FILE} (${listing})`;
  }
  return undefined;
}

export function readConfig(dir: string): Qwen2Config {
  const path = join(dir, "config.json");
  // Only the config here: the weights are opened (and their absence reported) by the loader.
  const problem = modelFolderProblem(dir, { weights: false });
  if (problem) throw new Error(`${dir}: ${problem}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
  return validateConfig(raw, path);
}

/** Loads a Qwen2 model from a Hugging Face folder. */
export function loadModel(dir: string, opts: LoadOptions = {}): Qwen2Model {
  const config = readConfig(dir);
  const device = opts.device ?? "cpu";
  const dtype = opts.dtype ?? (device.startsWith("cuda") ? "bf16" : "f32");
  const checkpoint = openCheckpoint(dir);
  try {
    const model = new Qwen2Model(config, new ParamStore(device, dtype));
    opts.extend?.(model);
    // A tied LM head may still be stored (some exports write it); it is redundant, not an error.
    loadParameters(model.store, checkpoint.entries, dir, ["lm_head.weight", ...(opts.ignorePrefixes ?? [])]);
    return model;
  } finally {
    checkpoint.close();
  }
}

/**
 * Writes config.json and the weights (sharded above `maxShardBytes`) atomically, in the dtype the
 * checkpoint came in (config.json's torch_dtype: a bf16 Qwen checkpoint trained with f32 master
 * weights is saved bf16 again) unless `dtype` says otherwise.
 */
export function saveModel(model: Qwen2Model, dir: string, opts: { maxShardBytes?: number; dtype?: DType } = {}): void {
  const adapters = [...model.store.params.keys()].filter(isLoraParameter);
  if (adapters.length > 0) {
    throw new Error(
      `saveModel: the model has ${adapters.length} LoRA tensors (${adapters[0]}, …); save them with saveAdapter or merge them with mergeLora first`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const dtype = opts.dtype ?? dtypeOfTorchName(model.config.torch_dtype) ?? model.dtype;
  const config = { ...model.config, architectures: ["Qwen2ForCausalLM"], torch_dtype: torchDtypeName(dtype) };
  writeJsonAtomic(join(dir, "config.json"), config);
  writeCheckpoint(dir, toTensorData(model.store.params.entries(), dtype), {
    maxShardBytes: opts.maxShardBytes,
  });
}

const TORCH_DTYPE_NAMES: Partial<Record<DType, string>> = {
  f32: "float32",
  bf16: "bfloat16",
  f16: "float16",
  f64: "float64",
};

function torchDtypeName(d: DType): string {
  return TORCH_DTYPE_NAMES[d] ?? "float32";
}

function dtypeOfTorchName(name: string | undefined): DType | undefined {
  return (Object.keys(TORCH_DTYPE_NAMES) as DType[]).find((d) => TORCH_DTYPE_NAMES[d] === name);
}
