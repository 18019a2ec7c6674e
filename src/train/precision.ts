/**
 * Training precision (--precision): parameters stay f32 (the master weights the optimizer updates)
 * and the forward runs under autocast in bf16 or f16; losses and rewards are computed in f32 (the
 * model's logits are f32). f16 adds dynamic loss scaling, since its range loses small gradients.
 */
import { autocast, type Device, type Tensor } from "../engine/index.js";
import { DynamicLossScaler } from "./loss-scaler.js";

export const PRECISIONS = ["fp32", "bf16", "fp16"] as const;
export type Precision = (typeof PRECISIONS)[number];

export class MixedPrecision {
  readonly scaler: DynamicLossScaler | null;

  constructor(
    readonly precision: Precision,
    readonly device: Device,
  ) {
    if (!(PRECISIONS as readonly string[]).includes(precision)) {
      throw new Error(`precision "${precision}": expected one of ${PRECISIONS.join(", ")}`);
    }
    if (precision === "fp16" && !device.startsWith("cuda")) {
      throw new Error(`--precision fp16 needs a CUDA device (the model is on ${device}); on CPU use bf16`);
    }
    this.scaler = precision === "fp16" ? new DynamicLossScaler() : null;
  }

  /** Runs a forward (and its loss) in the compute precision. */
  forward<T>(fn: () => T): T {
    if (this.precision === "fp32") return fn();
    return autocast(this.device, this.precision === "bf16" ? "bf16" : "f16", fn);
  }

  /** Backward of `loss` (scaled under fp16). */
  backward(loss: Tensor): void {
    if (this.scaler) this.scaler.scaleLoss(loss).backward();
    else loss.backward();
  }

  /**
   * Readies the gradients for the optimizer: under fp16, unscales them and updates the scale.
   * False means this step must be skipped (inf/NaN gradients).
   */
  prepareStep(params: readonly Tensor[]): boolean {
    if (!this.scaler) return true;
    const finite = this.scaler.unscale(params);
    this.scaler.update(finite);
    return finite;
  }
}
