/**
 * LoRA (Hu et al. 2021, as in Hugging Face PEFT): a frozen Linear W gets a trainable low-rank update,
 * y = W·x + b + (α/r)·B·A·dropout(x), with A [r, in] drawn like PyTorch's default Linear init
 * (Kaiming-uniform, a = √5, i.e. U(±1/√in)) and B [out, r] zero, so training starts from the base model.
 * The factors are parameters named `<linear>.lora_A.weight` / `<linear>.lora_B.weight`: PEFT's names
 * without its `base_model.model.` prefix.
 */
import { Tensor, dropout, isTrainingForward, linear } from "../engine/index.js";
import { uniformInit, zerosInit, type ParamPath } from "./param-store.js";

/** Whether a parameter name is a LoRA factor's. */
export function isLoraParameter(name: string): boolean {
  return /\.lora_[AB]\.weight$/.test(name);
}

export interface LoraSettings {
  rank: number;
  alpha: number;
  /** Dropout on the adapter's input while it trains (PEFT's lora_dropout). */
  dropout: number;
}

export class LoraAdapter {
  readonly a: Tensor;
  readonly b: Tensor;
  /** α / r, PEFT's `scaling`. */
  readonly scaling: number;
  readonly names: { a: string; b: string };

  constructor(
    path: ParamPath,
    inFeatures: number,
    outFeatures: number,
    readonly settings: LoraSettings,
  ) {
    const { rank, alpha } = settings;
    if (!Number.isInteger(rank) || rank < 1) throw new Error(`LoRA rank must be a positive integer, got ${rank}`);
    if (!(settings.dropout >= 0 && settings.dropout < 1)) {
      throw new Error(`LoRA dropout must be in [0, 1), got ${settings.dropout}`);
    }
    this.names = { a: path.sub("lora_A").name("weight"), b: path.sub("lora_B").name("weight") };
    this.a = path.sub("lora_A").param("weight", [rank, inFeatures], uniformInit(1 / Math.sqrt(inFeatures)));
    this.b = path.sub("lora_B").param("weight", [outFeatures, rank], zerosInit);
    this.scaling = alpha / rank;
  }

  /** The update's contribution to the output for input x [..., in] → [..., out]. */
  forward(x: Tensor): Tensor {
    // Dropout regularises the adapter while it trains, and only then (not when it is frozen, as
    // under LR-GRPO, nor in evaluation).
    const p = this.settings.dropout;
    const input = p > 0 && this.a.requiresGrad && isTrainingForward() ? dropout(x, p, true) : x;
    return linear(linear(input, this.a), this.b).mul(this.scaling);
  }

  /** ΔW = (α/r)·B·A [out, in], what merging adds to the frozen weight. */
  delta(): Tensor {
    return this.b.matmul(this.a).mul(this.scaling);
  }
}
