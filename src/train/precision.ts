/**
 * Training precision (--precision): parameters stay f32 (the master weights the optimizer updates)
 * and the forward runs under autocast in bf16 or f16; losses and rewards are computed in f32 (the
 * model's logits are f32). f16 adds dynamic loss scaling, since its range loses small gradients.
 */
import { autocast, type Device, type Tensor } from "../engine/index.js";
import { DynamicLossScaler } from "./loss-scaler.js";

export const PRECISIONS = ["fp32", "bf16", "fp16"] as const;
export type Precision = (typeof PRECISIONS)[number];

/** The `precision` setting: a precision, or `auto` (resolved per device by `resolvePrecision`). */
export const PRECISION_SETTINGS = [...PRECISIONS, "auto"] as const;
export type PrecisionSetting = (typeof PRECISION_SETTINGS)[number];

/**
 * The precision a setting means on `device`: `auto` is bf16 autocast on CUDA (what Qwen2.5 is
 * trained in) and f32 on CPU (bf16 matmuls there are slow). fp16 is refused off CUDA (its kernels
 * are CUDA's), naming the option.
 */
export function resolvePrecision(setting: PrecisionSetting, device: Device): Precision {
  if (!(PRECISION_SETTINGS as readonly string[]).includes(setting)) {
    throw new Error(`--precision "${setting}": expected one of ${PRECISION_SETTINGS.join(", ")}`);
  }
  if (setting === "auto") return device.startsWith("cuda") ? "bf16" : "fp32";
  if (setting === "fp16" && !device.startsWith("cuda")) {
    throw new Error(`--precision fp16 needs a CUDA device (the model is on ${device}); on CPU use bf16`);
  }
  return setting;
}

export class MixedPrecision {
  readonly scaler: DynamicLossScaler | null;

  constructor(
    readonly precision: Precision,
    readonly device: Device,
  ) {
    this.scaler = precision === "fp16" ? new DynamicLossScaler() : null;
  }

  /** The precision a setting means for training on `device` (see resolvePrecision). */
  static create(setting: PrecisionSetting, device: Device): MixedPrecision {
    return new MixedPrecision(resolvePrecision(setting, device), device);
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
}
