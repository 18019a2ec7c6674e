/** Merging a LoRA run's adapter folder into its base: a plain model folder (what `model merge-lora` writes). */
import { resolve } from "node:path";
import { adapterBase, Recommender } from "../latent/recommender.js";
import { RunFolder } from "../train/run-folder.js";

export const MERGE_LORA_COMMAND = "model merge-lora";
/**
 * What the merge writes into --out: the model folder (config.json, model*.safetensors, tokenizer,
 * latentr3.json) and its own record, merge-lora.json (config.json is the model's).
 */
export const MERGE_LORA_RECORD = "merge-lora.json";
export const MERGE_LORA_ARTIFACTS = [
  MERGE_LORA_RECORD,
  "config.json",
  "model*",
  "tokenizer.json",
  "tokenizer_config.json",
  "latentr3.json",
  "vocab_compaction.json",
] as const;

export async function mergeLoraFolder(opts: {
  adapter: string;
  base?: string;
  out: string;
  overwrite?: boolean;
}): Promise<string> {
  const base = adapterBase(opts.adapter, opts.base);
  // Claimed before any work: never an input, a used folder only with --overwrite.
  RunFolder.claim(opts.out, {
    command: MERGE_LORA_COMMAND,
    settings: { adapter: resolve(opts.adapter), base },
    inputs: { adapter: opts.adapter, base },
    resume: false,
    overwrite: opts.overwrite ?? false,
    artifacts: MERGE_LORA_ARTIFACTS,
    record: MERGE_LORA_RECORD,
  });
  // f32 for the sum W + (α/r)·B·A; the folder is written back in the base checkpoint's dtype.
  const rec = await Recommender.load(opts.adapter, {}, { base, dtype: "f32" });
  try {
    rec.mergeAdapters();
    await rec.save(opts.out);
  } finally {
    rec.dispose();
  }
  return opts.out;
}
