/**
 * Dynamic loss scaling for fp16 training (PyTorch's GradScaler): the loss is multiplied by a scale
 * before backward so small gradients survive fp16's range; the gradients are divided by it before
 * the step. A step whose gradients hold inf/NaN is skipped and the scale halved; after
 * `growthInterval` clean steps in a row it doubles.
 */
import { stack, tidy, type Tensor } from "../engine/index.js";

export interface LossScalerOptions {
  initScale: number;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
}

/** PyTorch's GradScaler defaults. */
export const DEFAULT_LOSS_SCALER: LossScalerOptions = {
  initScale: 2 ** 16,
  growthFactor: 2,
  backoffFactor: 0.5,
  growthInterval: 2000,
};

export class DynamicLossScaler {
  scale: number;
  /** Clean steps since the last change of scale. */
  goodSteps = 0;

  constructor(readonly options: LossScalerOptions = DEFAULT_LOSS_SCALER) {
    this.scale = options.initScale;
  }

  scaleLoss(loss: Tensor): Tensor {
    return loss.mul(this.scale);
  }

  /** Divides every gradient by the scale in place; true when all of them are finite. */
  unscale(params: readonly Tensor[]): boolean {
    return tidy(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return true;
      for (const g of grads) g.mul_(1 / this.scale);
      // One flag per gradient, read back once (one device sync per step, not one per parameter).
      return (
        stack(grads.map((g) => g.isfinite().all()))
          .all()
          .item() === 1
      );
    });
  }

  /** Adjusts the scale after a step attempt whose gradients were (not) finite. */
  update(finite: boolean): void {
    if (!finite) {
      this.scale *= this.options.backoffFactor;
      this.goodSteps = 0;
      return;
    }
    this.goodSteps++;
    if (this.goodSteps >= this.options.growthInterval) {
      this.scale *= this.options.growthFactor;
      this.goodSteps = 0;
    }
  }
}
