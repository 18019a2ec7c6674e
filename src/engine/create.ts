/** Tensor constructors: from JS data, constants, ranges and random samples. */
import { N, type Handle } from "./native.js";
import { Tensor, Generator } from "./tensor.js";
import type { AnyTypedArray, DType, Device } from "./dtype.js";

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
}

type Nested = number | boolean | Nested[];

function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as Nested;
    if (cur === undefined) break;
  }
  return shape;
}

function flatten(data: Nested, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new Error("tensor(): ragged nested array");
    out.push(typeof data === "boolean" ? Number(data) : data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new Error(`tensor(): ragged nested array at depth ${depth} (expected length ${shape[depth]})`);
  }
  for (const d of data) flatten(d, shape, depth + 1, out);
}

function packed(values: ArrayLike<number>, dtype: DType): { buf: AnyTypedArray; as: DType } {
  switch (dtype) {
    case "f64":
      return { buf: Float64Array.from(values), as: "f64" };
    case "i64":
      return { buf: BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))), as: "i64" };
    case "i32":
      return { buf: Int32Array.from(values), as: "i32" };
    case "i16":
      return { buf: Int16Array.from(values), as: "i16" };
    case "i8":
      return { buf: Int8Array.from(values), as: "i8" };
    case "u8":
      return { buf: Uint8Array.from(values), as: "u8" };
    case "bool":
      return { buf: Uint8Array.from(values, (v) => (v ? 1 : 0)), as: "bool" };
    // bf16/f16 are built in f32 and converted natively (correct rounding).
    default:
      return { buf: Float32Array.from(values), as: "f32" };
  }
}

/**
 * Creates a tensor from nested arrays or a flat typed array (`shape` required for typed arrays).
 * Default dtype: f32 for numbers, bool for booleans, i64 for BigInt64Array.
 */
export function tensor(data: Nested | AnyTypedArray, opts: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  const device = opts.device ?? "cpu";
  if (ArrayBuffer.isView(data)) {
    const shape = opts.shape ?? [data.length];
    const natural = typedArrayDtype(data);
    const dtype = opts.dtype ?? natural;
    if (dtype === natural || ((dtype === "bf16" || dtype === "f16") && data instanceof Uint16Array)) {
      return new Tensor(N.from_buffer(data, dtype, shape, device) as Handle);
    }
    const base = new Tensor(N.from_buffer(data, natural, shape, "cpu") as Handle);
    const out = base.to({ dtype, device });
    base.dispose();
    return out;
  }
  const shape = opts.shape ? [...opts.shape] : inferShape(data);
  const flat: number[] = [];
  flatten(data, inferShape(data), 0, flat);
  const isBool = typeof (Array.isArray(data) ? flat.length && firstLeaf(data) : data) === "boolean";
  const dtype = opts.dtype ?? (isBool ? "bool" : "f32");
  const { buf, as } = packed(flat, dtype);
  const base = new Tensor(N.from_buffer(buf, as, shape, as === dtype ? device : "cpu") as Handle);
  if (as === dtype) return base;
  const out = base.to({ dtype, device });
  base.dispose();
  return out;
}

function firstLeaf(data: Nested): Nested {
  let cur = data;
  while (Array.isArray(cur)) cur = cur[0] as Nested;
  return cur;
}

function typedArrayDtype(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return "f32";
  if (a instanceof Float64Array) return "f64";
  if (a instanceof BigInt64Array) return "i64";
  if (a instanceof Int32Array) return "i32";
  if (a instanceof Int16Array) return "i16";
  if (a instanceof Int8Array) return "i8";
  if (a instanceof Uint16Array) return "bf16";
  return "u8";
}

/** Token-id style integer tensor from JS numbers. */
export function int64(values: ArrayLike<number>, shape?: readonly number[], device?: Device): Tensor {
  const buf = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return new Tensor(N.from_buffer(buf, "i64", shape ?? [values.length], device ?? "cpu") as Handle);
}

export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  return new Tensor(N.full(shape, value, opts.dtype ?? "f32", opts.device ?? "cpu") as Handle);
}
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}
/** Like `x` (shape, dtype, device) filled with `value`. */
export function fullLike(x: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  return full(x.shape, value, { dtype: opts.dtype ?? x.dtype, device: opts.device ?? x.device });
}
export function zerosLike(x: Tensor): Tensor {
  return fullLike(x, 0);
}
/** [start, end) with step; default dtype i64. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  return new Tensor(N.arange(s, e, step, opts.dtype ?? "i64", opts.device ?? "cpu") as Handle);
}
export function eye(n: number, opts: CreateOptions = {}): Tensor {
  return new Tensor(N.eye(n, opts.dtype ?? "f32", opts.device ?? "cpu") as Handle);
}
export function randn(shape: readonly number[], opts: CreateOptions & { generator?: Generator } = {}): Tensor {
  return new Tensor(
    N.randn(shape, opts.dtype ?? "f32", opts.device ?? "cpu", opts.generator?.handle ?? null) as Handle,
  );
}
export function rand(shape: readonly number[], opts: CreateOptions & { generator?: Generator } = {}): Tensor {
  return new Tensor(N.rand(shape, opts.dtype ?? "f32", opts.device ?? "cpu", opts.generator?.handle ?? null) as Handle);
}
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  opts: { device?: Device; generator?: Generator } = {},
): Tensor {
  return new Tensor(N.randint(low, high, shape, opts.device ?? "cpu", opts.generator?.handle ?? null) as Handle);
}
/** Samples `n` indices per row of `probs` (non-negative weights). */
export function multinomial(probs: Tensor, n: number, replacement = false, generator?: Generator): Tensor {
  return new Tensor(N.multinomial(probs.handle, n, replacement, generator?.handle ?? null) as Handle);
}
/** Seeds libtorch's global generator (used when no Generator is passed). */
export function manualSeed(seed: number): void {
  N.manual_seed(seed);
}
/** Streams `shape` elements of `dtype` from a file offset straight into a tensor (safetensors loading). */
export function readTensorFromFile(
  path: string,
  byteOffset: number,
  dtype: DType,
  shape: readonly number[],
  device: Device = "cpu",
): Tensor {
  return new Tensor(N.read_file(path, byteOffset, dtype, shape, device) as Handle);
}
