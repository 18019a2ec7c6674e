/** Element types the engine supports, named as in safetensors (lower case). */
export type DType = "f32" | "f64" | "bf16" | "f16" | "i64" | "i32" | "i16" | "i8" | "u8" | "bool";

/** A device string: "cpu", "cuda" or "cuda:N". */
export type Device = string;

export const FLOAT_DTYPES: readonly DType[] = ["f32", "f64", "bf16", "f16"];

export function isFloat(d: DType): boolean {
  return FLOAT_DTYPES.includes(d);
}

export function bytesPerElement(d: DType): number {
  switch (d) {
    case "f64":
    case "i64":
      return 8;
    case "f32":
    case "i32":
      return 4;
    case "bf16":
    case "f16":
    case "i16":
      return 2;
    case "i8":
    case "u8":
    case "bool":
      return 1;
  }
}

export type TypedArrayFor<D extends DType> = D extends "f32"
  ? Float32Array
  : D extends "f64"
    ? Float64Array
    : D extends "i64"
      ? BigInt64Array
      : D extends "i32"
        ? Int32Array
        : D extends "i16"
          ? Int16Array
          : D extends "i8"
            ? Int8Array
            : D extends "bf16" | "f16"
              ? Uint16Array
              : Uint8Array;

export type AnyTypedArray =
  Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array;
