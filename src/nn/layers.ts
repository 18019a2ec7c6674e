/** The small building blocks of a decoder: Linear, Embedding, RMSNorm, LayerNorm. */
import { Tensor, embedding, layerNorm, linear, rmsNorm } from "../engine/index.js";
import type { LoraAdapter } from "./lora.js";
import { normalInit, onesInit, zerosInit, type ParamPath } from "./param-store.js";

export class Linear {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** A LoRA update added to the output, when one is attached (see lora.ts). */
  adapter: LoraAdapter | null = null;
  /** Weight layout [out, in] as in PyTorch / Hugging Face checkpoints. */
  constructor(
    readonly path: ParamPath,
    inFeatures: number,
    outFeatures: number,
    opts: { bias: boolean; std: number },
  ) {
    this.weight = path.param("weight", [outFeatures, inFeatures], normalInit(opts.std));
    this.bias = opts.bias ? path.param("bias", [outFeatures], zerosInit) : null;
  }
  get inFeatures(): number {
    return this.weight.dim(1);
  }
  get outFeatures(): number {
    return this.weight.dim(0);
  }
  forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias);
    return this.adapter ? y.add(this.adapter.forward(x)) : y;
  }
}

export class Embedding {
  readonly weight: Tensor;
  constructor(path: ParamPath, count: number, dim: number, std: number) {
    this.weight = path.param("weight", [count, dim], normalInit(std));
  }
  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }
}

export class RMSNorm {
  readonly weight: Tensor;
  constructor(
    path: ParamPath,
    dim: number,
    readonly eps: number,
  ) {
    this.weight = path.param("weight", [dim], onesInit);
  }
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}

/** PyTorch's LayerNorm over the last dim: weight 1 and bias 0 at start, names `weight` / `bias`. */
export class LayerNorm {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(
    path: ParamPath,
    readonly dim: number,
    readonly eps: number,
  ) {
    this.weight = path.param("weight", [dim], onesInit);
    this.bias = path.param("bias", [dim], zerosInit);
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, [this.dim], this.weight, this.bias, this.eps);
  }
}
