/**
 * The Hugging Face safetensors file format, in plain TypeScript (no tensor library).
 *
 * Layout: an 8-byte little-endian u64 `N`, then `N` bytes of JSON header
 * `{"__metadata__": {string: string}, NAME: {"dtype": D, "shape": [..], "data_offsets": [begin, end]}, ..}`,
 * then the byte buffer; offsets are relative to the start of the buffer, tensors are row-major and
 * little-endian, and together they tile the buffer exactly (no gaps, no overlap, nothing left over).
 *
 * Reading is streamed: `openSafetensors` parses only the header and `read(name)` fetches one tensor's
 * bytes with `readSync` on a file descriptor, so multi-GB checkpoints are never loaded whole.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { writeAtomic, writeFully } from "../util/atomic-file.js";

export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** Bytes per element of each supported dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

/** Where one tensor's bytes are. */
export interface TensorEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's data in `file`. */
  readonly byteOffset: number;
  readonly byteLength: number;
  /** The file that holds the bytes (matters for sharded checkpoints). */
  readonly file: string;
}

/** A read-only set of named tensors: one safetensors file, or a (sharded) checkpoint folder. */
export interface TensorReader {
  /** The `__metadata__` map (`{}` when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly entries: ReadonlyMap<string, TensorEntry>;
  /** The tensor's raw little-endian bytes, freshly read from disk (8-byte aligned, safe to view). */
  read(name: string): Buffer;
  close(): void;
}

export interface SafetensorsFile extends TensorReader {
  readonly path: string;
}

/** A tensor to write. `data` is any typed array or byte view whose bytes are the row-major values. */
export interface TensorData {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: ArrayBufferView;
}

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

/** Largest header accepted (the Rust reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Opens a safetensors file and validates its header; tensor bytes are read lazily by `read`. */
export function openSafetensors(path: string): SafetensorsFile {
  const fd = openSync(path, "r");
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8)
      throw new SafetensorsError(`${path}: file is ${fileSize} bytes, too short for a safetensors header`);
    const lenBuf = Buffer.alloc(8);
    readFully(fd, lenBuf, 0, path);
    const headerLen = lenBuf.readBigUInt64LE(0);
    if (headerLen === 0n || headerLen > BigInt(Math.min(MAX_HEADER_BYTES, fileSize - 8))) {
      throw new SafetensorsError(
        `${path}: header length ${headerLen} is not in 1..${Math.min(MAX_HEADER_BYTES, fileSize - 8)} ` +
          `(file is ${fileSize} bytes); not a safetensors file or truncated`,
      );
    }
    const headerBuf = Buffer.alloc(Number(headerLen));
    readFully(fd, headerBuf, 8, path);
    const dataStart = 8 + headerBuf.length;
    const { metadata, entries } = parseHeader(headerBuf, dataStart, fileSize - dataStart, path);
    return makeReader(path, fd, metadata, entries);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function makeReader(
  path: string,
  fd: number,
  metadata: Record<string, string>,
  entries: Map<string, TensorEntry>,
): SafetensorsFile {
  let open = true;
  return {
    path,
    metadata,
    entries,
    read(name: string): Buffer {
      if (!open) throw new SafetensorsError(`${path}: read("${name}") after close()`);
      const e = entries.get(name);
      if (e === undefined) throw new SafetensorsError(`${path}: no tensor "${name}" ${listNames(entries)}`);
      const buf = Buffer.allocUnsafeSlow(e.byteLength);
      readFully(fd, buf, e.byteOffset, path, name);
      return buf;
    },
    close(): void {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

export function listNames(entries: ReadonlyMap<string, unknown>): string {
  const names = [...entries.keys()];
  const shown = names
    .slice(0, 8)
    .map((n) => `"${n}"`)
    .join(", ");
  return `(has ${names.length} tensor${names.length === 1 ? "" : "s"}${names.length ? ": " + shown : ""}${names.length > 8 ? ", ..." : ""})`;
}

function readFully(fd: number, buf: Buffer, position: number, path: string, tensor?: string): void {
  const chunk = 1 << 30;
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, Math.min(chunk, buf.length - done), position + done);
    if (n === 0) {
      const what = tensor === undefined ? "header" : `tensor "${tensor}"`;
      throw new SafetensorsError(`${path}: unexpected end of file reading ${what} at byte ${position + done}`);
    }
    done += n;
  }
}

/**
 * Parses and validates a header. `dataStart` is the absolute offset of the byte buffer and
 * `dataLength` its length. Exported for tests and for tools that read headers from elsewhere.
 */
export function parseHeader(
  header: Uint8Array,
  dataStart: number,
  dataLength: number,
  path: string,
): { metadata: Record<string, string>; entries: Map<string, TensorEntry> } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(header));
  } catch (err) {
    throw new SafetensorsError(`${path}: header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new SafetensorsError(`${path}: header must be a JSON object`);
  }
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  const entries = new Map<string, TensorEntry>();
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        throw new SafetensorsError(`${path}: "__metadata__" must be an object of strings`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string")
          throw new SafetensorsError(`${path}: "__metadata__"."${k}" must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `${path}: tensor "${name}"`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
      throw new SafetensorsError(`${where}: entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isSafetensorsDtype(dtype)) {
      throw new SafetensorsError(
        `${where}: unsupported dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(" ")})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(
        `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new SafetensorsError(
        `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const expected = numelOf(shape as number[]) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw new SafetensorsError(
        `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} ${JSON.stringify(shape)} needs ${expected}`,
      );
    }
    if (end > dataLength) {
      throw new SafetensorsError(
        `${where}: data_offsets end ${end} is past the end of the data buffer (${dataLength} bytes); file truncated?`,
      );
    }
    spans.push({ name, begin, end });
    entries.set(name, {
      dtype,
      shape: [...(shape as number[])],
      byteOffset: dataStart + begin,
      byteLength: end - begin,
      file: path,
    });
  }
  // The tensors must tile the buffer: sorted by begin, each starts where the previous ended.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = "start of the data buffer";
  for (const s of spans) {
    if (s.begin !== cursor) {
      const kind = s.begin < cursor ? "overlaps" : "leaves a gap after";
      throw new SafetensorsError(
        `${path}: tensor "${s.name}" at data_offsets [${s.begin}, ${s.end}] ${kind} ${previous} (expected begin ${cursor})`,
      );
    }
    cursor = s.end;
    previous = `tensor "${s.name}"`;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(
      `${path}: tensors cover ${cursor} bytes but the data buffer has ${dataLength}; trailing bytes or wrong header`,
    );
  }
  return { metadata, entries };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Serialises the header for `tensors` (in the given order), padded with spaces to a multiple of 8. */
export function encodeHeader(tensors: readonly TensorData[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const t of tensors) {
    const len = t.data.byteLength;
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + len] };
    offset += len;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  return padded;
}

/** Checks names, dtypes, shapes and byte lengths before anything is written. */
export function validateTensors(tensors: readonly TensorData[], path: string): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    const where = `${path}: tensor "${t.name}"`;
    if (t.name === "" || t.name === METADATA_KEY)
      throw new SafetensorsError(`${path}: invalid tensor name ${JSON.stringify(t.name)}`);
    if (seen.has(t.name)) throw new SafetensorsError(`${where}: duplicate name`);
    seen.add(t.name);
    if (!isSafetensorsDtype(t.dtype))
      throw new SafetensorsError(`${where}: unsupported dtype ${JSON.stringify(t.dtype)}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${where}: shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const expected = numelOf(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new SafetensorsError(
        `${where}: data has ${t.data.byteLength} bytes, but ${t.dtype} ${JSON.stringify(t.shape)} needs ${expected}`,
      );
    }
  }
}

/**
 * Orders tensors as the reference writer does: larger element size first, then by name. With an
 * 8-byte-aligned header this keeps every tensor aligned to its element size inside the file.
 */
export function canonicalOrder(tensors: readonly TensorData[]): TensorData[] {
  return [...tensors].sort(
    (a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/**
 * Writes a safetensors file atomically (temporary file, fsync, rename). `metadata` is merged over
 * `{format: "pt"}`, which Hugging Face loaders require.
 */
export function writeSafetensors(
  path: string,
  tensors: readonly TensorData[],
  metadata: Record<string, string> = {},
): void {
  validateTensors(tensors, path);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") throw new SafetensorsError(`${path}: metadata "${k}" must be a string`);
  }
  const ordered = canonicalOrder(tensors);
  const header = encodeHeader(ordered, { format: "pt", ...metadata });
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeAtomic(path, (fd) => {
    writeFully(fd, len);
    writeFully(fd, header);
    for (const t of ordered) writeFully(fd, bytesOf(t.data));
  });
}

export type TypedArrayOf<D extends SafetensorsDtype> = D extends "F64"
  ? Float64Array
  : D extends "F32"
    ? Float32Array
    : D extends "F16" | "BF16"
      ? Uint16Array
      : D extends "I64"
        ? BigInt64Array
        : D extends "I32"
          ? Int32Array
          : D extends "I16"
            ? Int16Array
            : D extends "I8"
              ? Int8Array
              : Uint8Array;

const littleEndian = endianness() === "LE";

/**
 * Views raw tensor bytes as the matching typed array (F16/BF16 as their raw bits in a `Uint16Array`;
 * convert with `half.ts`). Copies only when `bytes` is not aligned to the element size.
 */
export function typedArrayOf<D extends SafetensorsDtype>(dtype: D, bytes: Uint8Array): TypedArrayOf<D> {
  if (!littleEndian) throw new SafetensorsError("typedArrayOf: big-endian hosts are not supported");
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0)
    throw new SafetensorsError(`typedArrayOf: ${bytes.byteLength} bytes is not a whole number of ${dtype}`);
  const src = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = src;
  const n = src.byteLength / size;
  switch (dtype as SafetensorsDtype) {
    case "F64":
      return new Float64Array(buffer, byteOffset, n) as TypedArrayOf<D>;
    case "F32":
      return new Float32Array(buffer, byteOffset, n) as TypedArrayOf<D>;
    case "F16":
    case "BF16":
      return new Uint16Array(buffer, byteOffset, n) as TypedArrayOf<D>;
    case "I64":
      return new BigInt64Array(buffer, byteOffset, n) as TypedArrayOf<D>;
    case "I32":
      return new Int32Array(buffer, byteOffset, n) as TypedArrayOf<D>;
    case "I16":
      return new Int16Array(buffer, byteOffset, n) as TypedArrayOf<D>;
    case "I8":
      return new Int8Array(buffer, byteOffset, n) as TypedArrayOf<D>;
    case "U8":
    case "BOOL":
      return new Uint8Array(buffer, byteOffset, n) as TypedArrayOf<D>;
  }
}
