/** Ops that take several tensors or are not naturally a method of one tensor. */
import { N, type Handle } from "./native.js";
import { Tensor, type TensorLike } from "./tensor.js";

export function cat(ts: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(
    N.cat(
      ts.map((t) => t.handle),
      dim,
    ) as Handle,
  );
}
export function stack(ts: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(
    N.stack(
      ts.map((t) => t.handle),
      dim,
    ) as Handle,
  );
}
/** Elementwise `cond ? a : b`. */
export function where(cond: Tensor, a: Tensor, b: TensorLike): Tensor {
  return typeof b === "number"
    ? new Tensor(N.where_scalar(cond.handle, a.handle, b) as Handle)
    : new Tensor(N.where(cond.handle, a.handle, b.handle) as Handle);
}
/** `x @ weightᵀ + bias` with weight [out, in] (PyTorch/HF layout). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(N.linear(x.handle, weight.handle, bias?.handle ?? null) as Handle);
}
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  return new Tensor(N.embedding(weight.handle, ids.handle) as Handle);
}
export function einsum(equation: string, ...ts: Tensor[]): Tensor {
  return new Tensor(
    N.einsum(
      equation,
      ts.map((t) => t.handle),
    ) as Handle,
  );
}
export type Reduction = "mean" | "sum" | "none";
/** Cross-entropy over logits [N, C] and class targets [N]; targets equal to `ignoreIndex` add nothing. */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  opts: { ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {},
): Tensor {
  return new Tensor(
    N.cross_entropy(
      logits.handle,
      target.handle,
      opts.ignoreIndex ?? -100,
      opts.reduction ?? "mean",
      opts.labelSmoothing ?? 0,
    ) as Handle,
  );
}
export function nllLoss(
  logProbs: Tensor,
  target: Tensor,
  opts: { ignoreIndex?: number; reduction?: Reduction } = {},
): Tensor {
  return new Tensor(
    N.nll_loss(logProbs.handle, target.handle, opts.ignoreIndex ?? -100, opts.reduction ?? "mean") as Handle,
  );
}
export function mseLoss(a: Tensor, b: Tensor, reduction: Reduction = "mean"): Tensor {
  return new Tensor(N.mse_loss(a.handle, b.handle, reduction) as Handle);
}
/**
 * Scaled dot-product attention. q [B,H,Tq,D], k/v [B,H,Tk,D]; `mask` is boolean (true = may attend)
 * or additive, broadcastable to [B,H,Tq,Tk]. Uses ATen's fused kernel when libtorch ≥ 2.1 has one.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  opts: { mask?: Tensor | null; causal?: boolean; scale?: number } = {},
): Tensor {
  return new Tensor(
    N.sdpa(q.handle, k.handle, v.handle, opts.mask?.handle ?? null, opts.causal ?? false, opts.scale ?? null) as Handle,
  );
}
/** Qwen2/Llama RMSNorm: `w * (x / sqrt(mean(x²) + eps))`, normalised in fp32. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  return new Tensor(N.rms_norm(x.handle, weight.handle, eps) as Handle);
}
/** Rotary embedding, rotate-half convention: `x·cos + rotateHalf(x)·sin` (cos/sin broadcast to x). */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return new Tensor(N.rope(x.handle, cos.handle, sin.handle) as Handle);
}
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return new Tensor(N.dropout(x.handle, p, training) as Handle);
}
