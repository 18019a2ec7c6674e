/** Ops that take several tensors or are not naturally a method of one tensor. */
import { N, type Handle } from "./native.js";
import { Tensor, type Generator, type TensorLike } from "./tensor.js";

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
/**
 * Inverted dropout: in training, each element is zeroed with probability `p` and the rest scaled by
 * 1/(1-p); otherwise `x` unchanged. With a generator the mask is drawn from it (reproducible runs).
 */
export function dropout(x: Tensor, p: number, training: boolean, generator?: Generator): Tensor {
  return new Tensor(N.dropout(x.handle, p, training, generator?.handle ?? null) as Handle);
}
/** Layer normalisation over the last `normalizedShape.length` dims, then `· weight + bias` when given. */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return new Tensor(
    N.layer_norm(x.handle, normalizedShape, weight?.handle ?? null, bias?.handle ?? null, eps) as Handle,
  );
}
/** 2-D convolution, PyTorch layout: x [B, C, H, W], weight [O, C/groups, kH, kW]. */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts: { stride?: [number, number]; padding?: [number, number]; dilation?: [number, number]; groups?: number } = {},
): Tensor {
  return new Tensor(
    N.conv2d(
      x.handle,
      weight.handle,
      bias?.handle ?? null,
      opts.stride ?? [1, 1],
      opts.padding ?? [0, 0],
      opts.dilation ?? [1, 1],
      opts.groups ?? 1,
    ) as Handle,
  );
}
/**
 * ATen's multi-layer GRU (PyTorch's gate equations and weight layout: per layer `w_ih` [3H, I],
 * `w_hh` [3H, H] and optionally `b_ih`, `b_hh` [3H], gates in r, z, n order). `h0` is [layers, B, H];
 * with `batchFirst` x is [B, T, I] and `output` [B, T, H]; `hidden` is the last step's state per layer.
 */
export function gru(
  x: Tensor,
  h0: Tensor,
  params: readonly Tensor[],
  opts: { layers?: number; dropout?: number; training?: boolean; batchFirst?: boolean } = {},
): { output: Tensor; hidden: Tensor } {
  const [output, hidden] = N.gru(
    x.handle,
    h0.handle,
    params.map((p) => p.handle),
    opts.layers ?? 1,
    opts.dropout ?? 0,
    opts.training ?? false,
    opts.batchFirst ?? true,
  ) as [Handle, Handle];
  return { output: new Tensor(output), hidden: new Tensor(hidden) };
}
/**
 * Binary cross-entropy on logits: `-[t·log σ(x) + (1-t)·log(1-σ(x))]`, computed stably; `weight`
 * scales each element, `posWeight` the positive term.
 */
export function bceWithLogits(
  logits: Tensor,
  target: Tensor,
  opts: { reduction?: Reduction; weight?: Tensor | null; posWeight?: Tensor | null } = {},
): Tensor {
  return new Tensor(
    N.bce_with_logits(
      logits.handle,
      target.handle,
      opts.reduction ?? "mean",
      opts.weight?.handle ?? null,
      opts.posWeight?.handle ?? null,
    ) as Handle,
  );
}
