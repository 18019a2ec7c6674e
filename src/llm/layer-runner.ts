/**
 * How the decoder runs one layer: plainly, or gradient-checkpointed (--grad-checkpointing). A
 * checkpointed layer keeps only its inputs (hidden states and cached keys/values) for backward
 * and recomputes its activations there: same gradients, activation memory of one layer instead of
 * all of them. Kept out of qwen2.ts so the model file stays the equations.
 */
import { gradientCheckpoint, isTrainingForward, tidy, type Tensor } from "../engine/index.js";
import { appendKV, KVCache, type KVAppend } from "./kv-cache.js";
import type { AttendingCache, SharedPrefixCache } from "./shared-prefix-cache.js";

export interface Rope {
  cos: Tensor;
  sin: Tensor;
}

/** What the runner needs of a decoder layer. */
export interface RunnableLayer {
  forward(h: Tensor, rope: Rope, mask: Tensor, cache: KVAppend | AttendingCache | undefined, layer: number): Tensor;
}

export interface LayerStep {
  layer: RunnableLayer;
  index: number;
  /** The layer's parameters (those that train get gradients through the recomputation). */
  params: () => Tensor[];
}

/**
 * One layer: plain (its intermediates freed as soon as it is done; autograd keeps what backward
 * needs, as Python's refcounting does) or, when `checkpointing` is on and backward will run,
 * checkpointed.
 */
export function runLayer(
  step: LayerStep,
  h: Tensor,
  rope: Rope,
  mask: Tensor,
  cache: KVCache | SharedPrefixCache | undefined,
  checkpointing: boolean,
): Tensor {
  // A shared-prefix cache only decodes (no backward), so it never needs checkpointing.
  if (!checkpointing || !isTrainingForward() || (cache && !(cache instanceof KVCache))) {
    return tidy(() => step.layer.forward(h, rope, mask, cache, step.index));
  }
  return checkpointedLayer(step, h, rope, mask, cache);
}

function checkpointedLayer(step: LayerStep, h: Tensor, rope: Rope, mask: Tensor, cache: KVCache | undefined): Tensor {
  const { layer, index } = step;
  const past = cache?.past(index) ?? null;
  // The layer's cache writes become outputs of the checkpoint (so gradients reach the cached prompt
  // keys/values, as latent SFT needs) and the cached past becomes an input.
  const outs = gradientCheckpoint(
    ([x, pastK, pastV], [cos, sin, m]) => {
      let kv: { k: Tensor; v: Tensor } | undefined;
      const slot: KVAppend | undefined = cache && {
        append: (_layer, k, v) => (kv = appendKV(pastK && pastV ? { k: pastK, v: pastV } : null, k, v)),
      };
      const y = layer.forward(x!, { cos: cos!, sin: sin! }, m!, slot, index);
      return kv ? [y, kv.k, kv.v] : [y];
    },
    past ? [h, past.k, past.v] : [h],
    [rope.cos, rope.sin, mask],
    step.params().filter((p) => p.requiresGrad),
  );
  if (cache) cache.replace(index, outs[1]!, outs[2]!);
  return outs[0]!;
}
