/**
 * Automatic mixed precision (libtorch's autocast): inside `autocast`, matrix products and
 * convolutions run in bf16 or f16 while parameters stay f32 (the master weights), and ops that need
 * range (softmax, losses, reductions) stay f32 as libtorch's per-op lists decide. The state is
 * per thread and per device type, as in PyTorch.
 */
import { N } from "./native.js";
import type { DType, Device } from "./dtype.js";

export type AutocastDtype = "bf16" | "f16";

/** Runs `fn` with autocast on for `device`'s type; the previous state is restored afterwards. */
export function autocast<T>(device: Device, dtype: AutocastDtype, fn: () => T): T {
  const type = device.startsWith("cuda") ? "cuda" : "cpu";
  const previous = N.autocast(type, true, dtype, true) as { enabled: boolean; dtype: DType };
  try {
    return fn();
  } finally {
    N.autocast(type, previous.enabled, previous.dtype, false);
  }
}
