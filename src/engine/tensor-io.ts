/** Tensors ↔ safetensors files: the bridge between the byte-level format module and Tensor. */
import { readTensorFromFile } from "./create.js";
import type { DType, Device } from "./dtype.js";
import { noGrad } from "./scope.js";
import type { SafetensorsDtype, TensorData, TensorEntry } from "./safetensors.js";
import type { Tensor } from "./tensor.js";

export function toSafetensorsDtype(d: DType): SafetensorsDtype {
  return d.toUpperCase() as SafetensorsDtype;
}

export function fromSafetensorsDtype(d: SafetensorsDtype): DType {
  return d.toLowerCase() as DType;
}

/** Streams one checkpoint entry into a tensor on `device`, cast to `dtype` when given. */
export function loadEntry(entry: TensorEntry, opts: { device?: Device; dtype?: DType } = {}): Tensor {
  const raw = readTensorFromFile(entry.file, entry.byteOffset, fromSafetensorsDtype(entry.dtype), entry.shape);
  const dtype = opts.dtype ?? raw.dtype;
  const device = opts.device ?? "cpu";
  if (raw.dtype === dtype && device === "cpu") return raw;
  const out = noGrad(() => raw.to({ dtype, device }));
  raw.dispose();
  return out;
}

/** Snapshot of named tensors as safetensors records (copies the bytes to host memory). */
export function toTensorData(named: Iterable<[string, Tensor]>, dtype?: DType): TensorData[] {
  const out: TensorData[] = [];
  for (const [name, t] of named) {
    const cast = dtype && t.dtype !== dtype ? noGrad(() => t.to(dtype)) : t;
    out.push({ name, dtype: toSafetensorsDtype(cast.dtype), shape: [...cast.shape], data: cast.bytes() });
    if (cast !== t) cast.dispose();
  }
  return out;
}
