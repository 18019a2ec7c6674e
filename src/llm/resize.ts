/**
 * Growing the vocabulary of a loaded model (a tokenizer with added tokens, e.g. `<|Thought|>`, whose
 * ids exceed the checkpoint's rows): new rows are initialised like Hugging Face's resize (normal,
 * std = initializer_range); existing rows are kept.
 */
import { cat, noGrad, randn } from "../engine/index.js";
import type { Qwen2Model } from "./qwen2.js";
import { Qwen2Model as Model } from "./qwen2.js";

export function resizeTokenEmbeddings(model: Qwen2Model, rows: number): Qwen2Model {
  const c = model.config;
  if (rows <= c.vocab_size) return model;
  const store = model.store;
  const grow = (name: string) => {
    const old = store.params.get(name);
    if (!old) return;
    const extra = noGrad(() =>
      randn([rows - c.vocab_size, c.hidden_size], { generator: store.generator })
        .mul(c.initializer_range)
        .to({ dtype: old.dtype, device: old.device }),
    );
    const grown = noGrad(() => cat([old, extra], 0));
    extra.dispose();
    old.dispose();
    store.params.set(name, grown.keep().setRequiresGrad(true));
  };
  grow("model.embed_tokens.weight");
  grow("lm_head.weight");
  // Rebuild the module tree over the same store so every layer sees the new tensors.
  model.rotary.dispose();
  return new Model({ ...c, vocab_size: rows }, store);
}
