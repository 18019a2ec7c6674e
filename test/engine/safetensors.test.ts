import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DTYPE_BYTES,
  SafetensorsError,
  openSafetensors,
  typedArrayOf,
  writeSafetensors,
  type SafetensorsDtype,
  type TensorData,
} from "../../src/engine/safetensors.js";
import { tempFolder } from "../support/helpers.js";

/** One tensor of every dtype, plus a scalar and an empty tensor, with recognisable contents. */
function everyDtype(): TensorData[] {
  return [
    { name: "f64", dtype: "F64", shape: [2, 3], data: new Float64Array([1.5, -2, Math.PI, 1e300, -0, Infinity]) },
    { name: "f32", dtype: "F32", shape: [3, 2], data: new Float32Array([0.1, -0.2, 3e38, NaN, 1e-40, -7]) },
    { name: "f16", dtype: "F16", shape: [4], data: new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001]) },
    { name: "bf16", dtype: "BF16", shape: [2, 2], data: new Uint16Array([0x3f80, 0xbf80, 0x7fc0, 0x0080]) },
    { name: "i64", dtype: "I64", shape: [3], data: new BigInt64Array([0n, -(2n ** 63n), 2n ** 63n - 1n]) },
    { name: "i32", dtype: "I32", shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
    { name: "i16", dtype: "I16", shape: [3], data: new Int16Array([-32768, 0, 32767]) },
    { name: "i8", dtype: "I8", shape: [3], data: new Int8Array([-128, 5, 127]) },
    { name: "u8", dtype: "U8", shape: [1, 3], data: new Uint8Array([0, 128, 255]) },
    { name: "bool", dtype: "BOOL", shape: [5], data: new Uint8Array([1, 0, 0, 1, 1]) },
    { name: "scalar", dtype: "F32", shape: [], data: new Float32Array([42]) },
    { name: "empty", dtype: "I64", shape: [0, 4], data: new BigInt64Array(0) },
  ];
}

function bytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

test("round trip of every dtype keeps dtype, shape, bytes and metadata", () => {
  const { dir, cleanup } = tempFolder("st");
  try {
    const path = join(dir, "all.safetensors");
    const tensors = everyDtype();
    writeSafetensors(path, tensors, { note: "hello" });
    const f = openSafetensors(path);
    try {
      assert.deepEqual(f.metadata, { format: "pt", note: "hello" });
      assert.deepEqual([...f.entries.keys()].sort(), tensors.map((t) => t.name).sort());
      for (const t of tensors) {
        const e = f.entries.get(t.name)!;
        assert.equal(e.dtype, t.dtype, t.name);
        assert.deepEqual(e.shape, t.shape, t.name);
        assert.equal(e.byteLength, t.data.byteLength, t.name);
        assert.equal(e.byteOffset % DTYPE_BYTES[e.dtype], 0, `${t.name} is aligned to its element size`);
        assert.deepEqual(f.read(t.name), bytes(t.data), t.name);
      }
      assert.deepEqual([...typedArrayOf("I64", f.read("i64"))], [0n, -(2n ** 63n), 2n ** 63n - 1n]);
      assert.ok(Number.isNaN(typedArrayOf("F32", f.read("f32"))[3]));
    } finally {
      f.close();
    }
    assert.deepEqual(readdirSync(dir), ["all.safetensors"], "no temporary file is left behind");
  } finally {
    cleanup();
  }
});

test("the header is padded with spaces to 8 bytes and larger dtypes come first", () => {
  const { dir, cleanup } = tempFolder("st");
  try {
    const path = join(dir, "pad.safetensors");
    writeSafetensors(path, [
      { name: "b", dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) },
      { name: "a", dtype: "F64", shape: [1], data: new Float64Array([1]) },
      { name: "c", dtype: "F64", shape: [1], data: new Float64Array([2]) },
    ]);
    const raw = readFileSync(path);
    const n = Number(raw.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const header = raw.subarray(8, 8 + n).toString("utf8");
    assert.match(header, /^\{.*\} *$/);
    const parsed = JSON.parse(header) as Record<string, { data_offsets: number[] }>;
    assert.deepEqual(parsed["a"]!.data_offsets, [0, 8]);
    assert.deepEqual(parsed["c"]!.data_offsets, [8, 16]);
    assert.deepEqual(parsed["b"]!.data_offsets, [16, 19]);
    assert.equal(raw.length, 8 + n + 19);
  } finally {
    cleanup();
  }
});

test("read errors name the file and the tensor", () => {
  const { dir, cleanup } = tempFolder("st");
  try {
    const path = join(dir, "x.safetensors");
    writeSafetensors(path, [{ name: "w", dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]);
    const f = openSafetensors(path);
    assert.throws(
      () => f.read("missing"),
      (e: Error) =>
        e instanceof SafetensorsError &&
        e.message.includes(path) &&
        e.message.includes('"missing"') &&
        e.message.includes('"w"'),
    );
    f.close();
    assert.throws(() => f.read("w"), /after close/);
  } finally {
    cleanup();
  }
});

test("writing refuses bad tensors and leaves an existing file untouched", () => {
  const { dir, cleanup } = tempFolder("st");
  try {
    const path = join(dir, "x.safetensors");
    writeSafetensors(path, [{ name: "w", dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]);
    const before = readFileSync(path);
    const w = (t: TensorData[]): void => writeSafetensors(path, t);
    assert.throws(
      () => w([{ name: "w", dtype: "F32", shape: [3], data: new Float32Array(2) }]),
      /"w": data has 8 bytes, but F32 \[3\] needs 12/,
    );
    assert.throws(
      () =>
        w([
          { name: "a", dtype: "F32", shape: [], data: new Float32Array(1) },
          { name: "a", dtype: "F32", shape: [], data: new Float32Array(1) },
        ]),
      /duplicate/,
    );
    assert.throws(
      () => w([{ name: "a", dtype: "F8" as SafetensorsDtype, shape: [1], data: new Uint8Array(1) }]),
      /unsupported dtype/,
    );
    assert.throws(
      () => w([{ name: "__metadata__", dtype: "U8", shape: [1], data: new Uint8Array(1) }]),
      /invalid tensor name/,
    );
    assert.throws(() => w([{ name: "a", dtype: "U8", shape: [-1], data: new Uint8Array(0) }]), /non-negative/);
    // A failure in the middle of writing the bytes: the old file survives and no temporary file remains.
    const exploding = new Float32Array([1]);
    Object.defineProperty(exploding, "buffer", {
      get(): never {
        throw new Error("disk on fire");
      },
    });
    const flaky: TensorData = { name: "late", dtype: "F32", shape: [1], data: exploding };
    assert.throws(() => w([flaky]), /disk on fire/);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir), ["x.safetensors"]);
  } finally {
    cleanup();
  }
});

/** Builds a file from a header object and a data buffer, bypassing the writer's checks. */
function craft(path: string, header: unknown, data: Uint8Array, rawHeader?: string): void {
  const json = Buffer.from(rawHeader ?? JSON.stringify(header), "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, data]));
}

test("corrupt headers are rejected with errors naming file and tensor", () => {
  const { dir, cleanup } = tempFolder("st");
  try {
    const path = join(dir, "bad.safetensors");
    const t = (dtype: string, shape: number[], begin: number, end: number): unknown => ({
      dtype,
      shape,
      data_offsets: [begin, end],
    });
    const cases: [string, () => void, RegExp][] = [
      ["short file", () => writeFileSync(path, Buffer.alloc(4)), /too short/],
      [
        "header length past end",
        () => {
          const b = Buffer.alloc(16);
          b.writeBigUInt64LE(1000n);
          writeFileSync(path, b);
        },
        /header length 1000 is not in 1\.\.8/,
      ],
      ["zero header length", () => writeFileSync(path, Buffer.alloc(16)), /header length 0/],
      [
        "huge header length",
        () => {
          const b = Buffer.alloc(16);
          b.writeBigUInt64LE(2n ** 63n);
          writeFileSync(path, b);
        },
        /header length/,
      ],
      ["not JSON", () => craft(path, null, new Uint8Array(0), "{not json"), /not valid UTF-8 JSON/],
      ["JSON array", () => craft(path, [1, 2], new Uint8Array(0)), /must be a JSON object/],
      [
        "bad metadata",
        () => craft(path, { __metadata__: { a: 1 } }, new Uint8Array(0)),
        /"__metadata__"\."a" must be a string/,
      ],
      [
        "unknown dtype",
        () => craft(path, { w: t("F8_E4M3", [1], 0, 1) }, new Uint8Array(1)),
        /tensor "w": unsupported dtype "F8_E4M3"/,
      ],
      ["bad shape", () => craft(path, { w: t("F32", [1.5], 0, 4) }, new Uint8Array(4)), /tensor "w": shape/],
      [
        "reversed offsets",
        () => craft(path, { w: t("U8", [0], 4, 0) }, new Uint8Array(4)),
        /tensor "w": data_offsets must be/,
      ],
      [
        "size mismatch",
        () => craft(path, { w: t("F32", [2, 2], 0, 12) }, new Uint8Array(12)),
        /tensor "w": data_offsets \[0, 12\] span 12 bytes, but F32 \[2,2\] needs 16/,
      ],
      [
        "out of bounds",
        () => craft(path, { w: t("F32", [4], 0, 16) }, new Uint8Array(8)),
        /tensor "w": data_offsets end 16 is past the end of the data buffer \(8 bytes\)/,
      ],
      [
        "overlap",
        () => craft(path, { a: t("F32", [2], 0, 8), b: t("F32", [2], 4, 12) }, new Uint8Array(12)),
        /tensor "b" at data_offsets \[4, 12\] overlaps tensor "a"/,
      ],
      [
        "gap",
        () => craft(path, { a: t("F32", [1], 0, 4), b: t("F32", [1], 8, 12) }, new Uint8Array(12)),
        /tensor "b" .* leaves a gap after tensor "a"/,
      ],
      [
        "gap at start",
        () => craft(path, { a: t("F32", [1], 4, 8) }, new Uint8Array(8)),
        /leaves a gap after start of the data buffer/,
      ],
      [
        "trailing bytes",
        () => craft(path, { a: t("F32", [1], 0, 4) }, new Uint8Array(6)),
        /cover 4 bytes but the data buffer has 6/,
      ],
    ];
    for (const [what, make, expected] of cases) {
      make();
      assert.throws(
        () => openSafetensors(path),
        (e: Error) => {
          assert.ok(e instanceof SafetensorsError, `${what}: ${e}`);
          assert.ok(e.message.includes(path), `${what}: message names the file: ${e.message}`);
          assert.match(e.message, expected, what);
          return true;
        },
        what,
      );
    }
    // A valid crafted file (empty header object, zero tensors) opens, proving the cases above fail for their reason.
    craft(path, { __metadata__: { format: "pt" } }, new Uint8Array(0));
    const f = openSafetensors(path);
    assert.equal(f.entries.size, 0);
    f.close();
  } finally {
    cleanup();
  }
});

test("a file truncated after opening reports the tensor it could not read", () => {
  const { dir, cleanup } = tempFolder("st");
  try {
    const path = join(dir, "t.safetensors");
    writeSafetensors(path, [{ name: "big", dtype: "F32", shape: [64], data: new Float32Array(64) }]);
    const f = openSafetensors(path);
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    assert.throws(() => f.read("big"), /unexpected end of file reading tensor "big"/);
    f.close();
  } finally {
    cleanup();
  }
});

test("typedArrayOf copies misaligned bytes instead of failing", () => {
  const backing = new Uint8Array(9);
  const misaligned = new Uint8Array(backing.buffer, 1, 8);
  misaligned.set(new Uint8Array(new Float32Array([3.5, -1]).buffer));
  assert.deepEqual([...typedArrayOf("F32", misaligned)], [3.5, -1]);
  assert.throws(() => typedArrayOf("F32", new Uint8Array(3)), /not a whole number of F32/);
});
