/** Merging a LoRA run's adapter folder into its base: a plain model folder (what `model merge-lora` writes). */
import { Recommender } from "../latent/recommender.js";

export async function mergeLoraFolder(opts: { adapter: string; base?: string; out: string }): Promise<string> {
  // f32 for the sum W + (α/r)·B·A; the folder is written back in the base checkpoint's dtype.
  const rec = await Recommender.load(opts.adapter, {}, { base: opts.base, dtype: "f32" });
  try {
    rec.mergeAdapters();
    await rec.save(opts.out);
  } finally {
    rec.dispose();
  }
  return opts.out;
}
