/**
 * The typed Tensor façade: every op is a method that calls one native function and wraps the
 * result. Tensors created inside `tidy` are disposed when it ends (see scope.ts).
 */
import { N, type Handle, type GeneratorHandle } from "./native.js";
import { track } from "./scope.js";
import type { AnyTypedArray, DType, Device } from "./dtype.js";

export type TensorLike = Tensor | number;

function dims(d: number | readonly number[] | undefined): number[] {
  if (d === undefined) return [];
  return typeof d === "number" ? [d] : [...d];
}

/** A seeded random number generator (CPU; samples are moved to the target device). */
export class Generator {
  readonly handle: GeneratorHandle;
  constructor(seed: number) {
    this.handle = N.generator(seed) as GeneratorHandle;
  }
}

export class Tensor {
  #handle: Handle;
  #disposed = false;
  #shape: readonly number[] | undefined;
  #dtype: DType | undefined;
  #kept = false;

  constructor(handle: Handle) {
    this.#handle = handle;
    track(this);
  }

  /**
   * The native handle. After `dispose()` it is an empty box: every native op rejects it with an error
   * that names the op and its arguments (`add(<disposed>, f32[2]): argument 0 is a disposed tensor`),
   * which says more than a failure here could.
   */
  get handle(): Handle {
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  get isKept(): boolean {
    return this.#kept;
  }

  /** Exempts this tensor from every enclosing `tidy` scope (parameters, caches, results kept for later). */
  keep(): this {
    this.#kept = true;
    return this;
  }

  /** Frees the native storage now (views keep shared storage alive until they are disposed too). */
  dispose(): void {
    if (!this.#disposed) {
      N.dispose(this.#handle);
      this.#disposed = true;
    }
  }

  get shape(): readonly number[] {
    return (this.#shape ??= Object.freeze(N.shape(this.handle) as number[]));
  }
  get dtype(): DType {
    return (this.#dtype ??= N.dtype(this.handle) as DType);
  }
  get device(): Device {
    return N.device(this.handle) as string;
  }
  get rank(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  /** Size of one dimension; negative indices count from the end. */
  dim(i: number): number {
    const s = this.shape;
    const d = s[i < 0 ? s.length + i : i];
    if (d === undefined) throw new Error(`dim(${i}) out of range for shape [${s.join(",")}]`);
    return d;
  }
  toString(): string {
    return this.#disposed ? "Tensor<disposed>" : `Tensor<${N.describe(this.#handle) as string}>`;
  }

  // ---- data out ----
  /** Copies the data to a typed array (bf16/f16 come back as raw Uint16 bits; use `.float()` first). */
  data(): AnyTypedArray {
    return N.to_typed_array(this.handle) as AnyTypedArray;
  }
  /** Flat copy as JS numbers (any dtype). */
  toList(): number[] {
    const t = this.dtype === "bf16" || this.dtype === "f16" ? this.to("f32") : this;
    const d = t.data();
    const out = d instanceof BigInt64Array ? Array.from(d, (x) => Number(x)) : Array.from(d as ArrayLike<number>);
    if (t !== this) t.dispose();
    return out;
  }
  /** Raw bytes in the tensor's dtype, C-contiguous (for safetensors). */
  bytes(): Uint8Array {
    return N.to_bytes(this.handle) as Uint8Array;
  }
  item(): number {
    const v = N.item(this.handle) as number | boolean;
    return typeof v === "boolean" ? Number(v) : v;
  }

  // ---- conversion ----
  to(target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
    const spec = typeof target === "string" ? (isDtype(target) ? { dtype: target } : { device: target }) : target;
    return new Tensor(N.to(this.handle, spec.dtype ?? null, spec.device ?? null, false));
  }
  float(): Tensor {
    return this.to("f32");
  }
  contiguous(): Tensor {
    return this.#u("contiguous");
  }
  clone(): Tensor {
    return this.#u("clone");
  }
  detach(): Tensor {
    return this.#u("detach");
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return N.requires_grad(this.handle) as boolean;
  }
  setRequiresGrad(on = true): this {
    N.set_requires_grad(this.handle, on);
    return this;
  }
  backward(grad?: Tensor, retainGraph = false): void {
    N.backward(this.handle, grad?.handle ?? null, retainGraph);
  }
  /** The accumulated gradient, or null. A new wrapper each call (disposing it leaves the grad intact). */
  get grad(): Tensor | null {
    const h = N.grad(this.handle) as Handle | null;
    return h === null ? null : new Tensor(h);
  }
  clearGrad(): void {
    N.clear_grad(this.handle);
  }

  // ---- in place (no autograd recording) ----
  copy_(src: Tensor): this {
    N.copy_(this.handle, src.handle);
    return this;
  }
  fill_(value: number): this {
    N.fill_(this.handle, value);
    return this;
  }
  normal_(mean = 0, std = 1, gen?: Generator): this {
    N.normal_(this.handle, mean, std, gen?.handle ?? null);
    return this;
  }
  uniform_(low = 0, high = 1, gen?: Generator): this {
    N.uniform_(this.handle, low, high, gen?.handle ?? null);
    return this;
  }
  add_(other: Tensor, alpha = 1): this {
    N.add_(this.handle, other.handle, alpha);
    return this;
  }
  mul_(value: number): this {
    N.mul_scalar_(this.handle, value);
    return this;
  }

  // ---- elementwise ----
  #u(op: string): Tensor {
    return new Tensor(N[op]!(this.handle) as Handle);
  }
  #b(op: string, other: TensorLike): Tensor {
    return typeof other === "number"
      ? new Tensor(N[`${op}_scalar`]!(this.handle, other) as Handle)
      : new Tensor(N[op]!(this.handle, other.handle) as Handle);
  }
  add(o: TensorLike): Tensor {
    return this.#b("add", o);
  }
  sub(o: TensorLike): Tensor {
    return this.#b("sub", o);
  }
  /** `o - this`. */
  rsub(o: number): Tensor {
    return new Tensor(N.rsub_scalar(this.handle, o) as Handle);
  }
  mul(o: TensorLike): Tensor {
    return this.#b("mul", o);
  }
  div(o: TensorLike): Tensor {
    return this.#b("div", o);
  }
  pow(o: TensorLike): Tensor {
    return this.#b("pow", o);
  }
  remainder(o: TensorLike): Tensor {
    return this.#b("remainder", o);
  }
  eq(o: TensorLike): Tensor {
    return this.#b("eq", o);
  }
  ne(o: TensorLike): Tensor {
    return this.#b("ne", o);
  }
  lt(o: TensorLike): Tensor {
    return this.#b("lt", o);
  }
  le(o: TensorLike): Tensor {
    return this.#b("le", o);
  }
  gt(o: TensorLike): Tensor {
    return this.#b("gt", o);
  }
  ge(o: TensorLike): Tensor {
    return this.#b("ge", o);
  }
  maximum(o: Tensor): Tensor {
    return this.#b("maximum", o);
  }
  minimum(o: Tensor): Tensor {
    return this.#b("minimum", o);
  }
  logicalAnd(o: Tensor): Tensor {
    return this.#b("logical_and", o);
  }
  logicalOr(o: Tensor): Tensor {
    return this.#b("logical_or", o);
  }
  logicalXor(o: Tensor): Tensor {
    return this.#b("logical_xor", o);
  }
  logicalNot(): Tensor {
    return this.#u("logical_not");
  }
  atan2(o: Tensor): Tensor {
    return this.#b("atan2", o);
  }
  neg(): Tensor {
    return this.#u("neg");
  }
  exp(): Tensor {
    return this.#u("exp");
  }
  log(): Tensor {
    return this.#u("log");
  }
  log1p(): Tensor {
    return this.#u("log1p");
  }
  expm1(): Tensor {
    return this.#u("expm1");
  }
  sqrt(): Tensor {
    return this.#u("sqrt");
  }
  rsqrt(): Tensor {
    return this.#u("rsqrt");
  }
  abs(): Tensor {
    return this.#u("abs");
  }
  square(): Tensor {
    return this.#u("square");
  }
  reciprocal(): Tensor {
    return this.#u("reciprocal");
  }
  sign(): Tensor {
    return this.#u("sign");
  }
  floor(): Tensor {
    return this.#u("floor");
  }
  ceil(): Tensor {
    return this.#u("ceil");
  }
  round(): Tensor {
    return this.#u("round");
  }
  sin(): Tensor {
    return this.#u("sin");
  }
  cos(): Tensor {
    return this.#u("cos");
  }
  tanh(): Tensor {
    return this.#u("tanh");
  }
  erf(): Tensor {
    return this.#u("erf");
  }
  sigmoid(): Tensor {
    return this.#u("sigmoid");
  }
  relu(): Tensor {
    return this.#u("relu");
  }
  silu(): Tensor {
    return this.#u("silu");
  }
  gelu(approximateTanh = false): Tensor {
    return new Tensor(N.gelu(this.handle, approximateTanh) as Handle);
  }
  isnan(): Tensor {
    return this.#u("isnan");
  }
  isfinite(): Tensor {
    return this.#u("isfinite");
  }
  clamp(min?: number, max?: number): Tensor {
    return new Tensor(N.clamp(this.handle, min ?? null, max ?? null) as Handle);
  }
  /** Elements where `mask` is true are replaced by `value`. */
  maskedFill(mask: Tensor, value: TensorLike): Tensor {
    return typeof value === "number"
      ? new Tensor(N.masked_fill(this.handle, mask.handle, value) as Handle)
      : new Tensor(N.masked_fill_tensor(this.handle, mask.handle, value.handle) as Handle);
  }
  lerp(end: Tensor, weight: number): Tensor {
    return new Tensor(N.lerp(this.handle, end.handle, weight) as Handle);
  }

  // ---- linear algebra ----
  matmul(o: Tensor): Tensor {
    return this.#b("matmul", o);
  }
  /**
   * Matrix product of two 2-D tensors. With `out` ([n, p], same dtype and device) the product is written
   * into it, no new storage is allocated, and `out` is returned.
   */
  mm(o: Tensor, out?: Tensor): Tensor {
    if (!out) return this.#b("mm", o);
    N.mm_out(out.handle, this.handle, o.handle);
    return out;
  }
  bmm(o: Tensor): Tensor {
    return this.#b("bmm", o);
  }
  outer(o: Tensor): Tensor {
    return this.#b("outer", o);
  }

  // ---- reductions (dims omitted = all) ----
  sum(d?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.sum(this.handle, dims(d), keepdim) as Handle);
  }
  mean(d?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.mean(this.handle, dims(d), keepdim) as Handle);
  }
  amax(d?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.amax(this.handle, dims(d), keepdim) as Handle);
  }
  amin(d?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.amin(this.handle, dims(d), keepdim) as Handle);
  }
  logsumexp(d?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.logsumexp(this.handle, dims(d), keepdim) as Handle);
  }
  var(d?: number | readonly number[], keepdim = false, unbiased = true): Tensor {
    return new Tensor(N.var(this.handle, dims(d), keepdim, unbiased) as Handle);
  }
  norm(p = 2, d?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(N.norm(this.handle, p, dims(d), keepdim) as Handle);
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmax(this.handle, dim ?? null, keepdim) as Handle);
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argmin(this.handle, dim ?? null, keepdim) as Handle);
  }
  max(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = N.max_dim(this.handle, dim, keepdim) as [Handle, Handle];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = N.min_dim(this.handle, dim, keepdim) as [Handle, Handle];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  all(): Tensor {
    return this.#u("all");
  }
  any(): Tensor {
    return this.#u("any");
  }
  cumsum(dim: number): Tensor {
    return new Tensor(N.cumsum(this.handle, dim) as Handle);
  }
  softmax(dim: number, dtype?: DType): Tensor {
    return new Tensor(N.softmax(this.handle, dim, dtype ?? null) as Handle);
  }
  logSoftmax(dim: number, dtype?: DType): Tensor {
    return new Tensor(N.log_softmax(this.handle, dim, dtype ?? null) as Handle);
  }

  // ---- indexing ----
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(N.gather(this.handle, dim, index.handle) as Handle);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(N.index_select(this.handle, dim, index.handle) as Handle);
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.scatter(this.handle, dim, index.handle, src.handle) as Handle);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.scatter_add(this.handle, dim, index.handle, src.handle) as Handle);
  }
  indexAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.index_add(this.handle, dim, index.handle, src.handle) as Handle);
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(N.masked_select(this.handle, mask.handle) as Handle);
  }
  nonzero(): Tensor {
    return this.#u("nonzero");
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(N.narrow(this.handle, dim, start, length) as Handle);
  }
  /** Python-style slice along one dimension; negative bounds count from the end. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return new Tensor(N.slice(this.handle, dim, start ?? null, end ?? null, step) as Handle);
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(N.select(this.handle, dim, index) as Handle);
  }

  // ---- shape ----
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(N.reshape(this.handle, shape) as Handle);
  }
  view(shape: readonly number[]): Tensor {
    return new Tensor(N.view(this.handle, shape) as Handle);
  }
  permute(...order: number[]): Tensor {
    return new Tensor(N.permute(this.handle, order) as Handle);
  }
  transpose(d0: number, d1: number): Tensor {
    return new Tensor(N.transpose(this.handle, d0, d1) as Handle);
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(N.unsqueeze(this.handle, dim) as Handle);
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(N.squeeze(this.handle, dim ?? null) as Handle);
  }
  expand(shape: readonly number[]): Tensor {
    return new Tensor(N.expand(this.handle, shape) as Handle);
  }
  repeat(reps: readonly number[]): Tensor {
    return new Tensor(N.repeat(this.handle, reps) as Handle);
  }
  repeatInterleave(repeats: number, dim: number): Tensor {
    return new Tensor(N.repeat_interleave(this.handle, repeats, dim) as Handle);
  }
  flatten(start = 0, end = -1): Tensor {
    return new Tensor(N.flatten(this.handle, start, end) as Handle);
  }
  flip(d: number | readonly number[]): Tensor {
    return new Tensor(N.flip(this.handle, dims(d)) as Handle);
  }
  roll(shifts: readonly number[], d: readonly number[]): Tensor {
    return new Tensor(N.roll(this.handle, shifts, d) as Handle);
  }
  tril(k = 0): Tensor {
    return new Tensor(N.tril(this.handle, k) as Handle);
  }
  triu(k = 0): Tensor {
    return new Tensor(N.triu(this.handle, k) as Handle);
  }
  /** Constant padding, PyTorch order: [lastDimLeft, lastDimRight, prevDimLeft, ...]. */
  pad(pads: readonly number[], value = 0): Tensor {
    return new Tensor(N.pad(this.handle, pads, value) as Handle);
  }
  split(size: number, dim = 0): Tensor[] {
    return (N.split(this.handle, size, dim) as Handle[]).map((h) => new Tensor(h));
  }
  chunk(n: number, dim = 0): Tensor[] {
    return (N.chunk(this.handle, n, dim) as Handle[]).map((h) => new Tensor(h));
  }

  // ---- sorting ----
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [v, i] = N.topk(this.handle, k, dim, largest, sorted) as [Handle, Handle];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  sort(dim = -1, descending = false, stable = true): { values: Tensor; indices: Tensor } {
    const [v, i] = N.sort(this.handle, dim, descending, stable) as [Handle, Handle];
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
}

const DTYPES = new Set<string>(["f32", "f64", "bf16", "f16", "i64", "i32", "i16", "i8", "u8", "bool"]);
export function isDtype(s: string): s is DType {
  return DTYPES.has(s);
}
