/**
 * Cross-check with an independent implementation: files written here are read by
 * `scripts/reference/safetensors_io.py` (and our bf16/f16 casts compared with torch's), and files written
 * by Python are read here. Skips with a message when no Python with torch is available.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bf16BitsToF32, f16BitsToF32, f32ToBf16, f32ToF16 } from "../../src/engine/half.js";
import {
  openSafetensors,
  typedArrayOf,
  writeSafetensors,
  type SafetensorsDtype,
  type TensorData,
} from "../../src/engine/safetensors.js";
import { repoRoot, tempFolder } from "../support/helpers.js";
import { findPythonTorch, runPython } from "../support/python.js";

const crosscheck = join(repoRoot, "scripts", "reference", "safetensors_crosscheck.py");
const py = findPythonTorch();

type JsonValue = number | string;

function encode(value: number | bigint): JsonValue {
  if (typeof value === "bigint") return value.toString();
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0.0"; // JSON.stringify(-0) would lose the sign
  return value;
}

function decode(value: JsonValue): number {
  if (value === "nan") return NaN;
  if (value === "inf") return Infinity;
  if (value === "-inf") return -Infinity;
  return Number(value);
}

/** Awkward f32 inputs for the half casts: ties, subnormals, overflow, specials, and a spread of magnitudes. */
function castSources(): Float32Array {
  const edge = [
    0,
    -0,
    1,
    -1,
    1 / 3,
    65504,
    65519,
    65520,
    1e-8,
    2 ** -24,
    2 ** -25,
    1.5 * 2 ** -25,
    2 ** -14,
    6e-5,
    3.4e38,
    Infinity,
    -Infinity,
    NaN,
    1 + 2 ** -8,
    1 + 3 * 2 ** -8,
    1 + 2 ** -11,
    1 + 3 * 2 ** -11,
    1e-45,
  ];
  let s = 12345;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const spread = Array.from({ length: 600 }, (_, i) => rand() * 10 ** ((i % 16) - 10));
  return Float32Array.from([...edge, ...spread]);
}

test(
  "TypeScript writes, Python reads (every dtype, and bf16/f16 casts equal torch's)",
  { skip: py.python ? false : py.reason },
  () => {
    const { dir, cleanup } = tempFolder("st-py");
    try {
      const src = castSources();
      const tensors: TensorData[] = [
        { name: "f64", dtype: "F64", shape: [2, 2], data: new Float64Array([Math.PI, -1e-300, 1e300, -0]) },
        {
          name: "f32",
          dtype: "F32",
          shape: [2, 3],
          data: new Float32Array([1.5, -2.25, NaN, Infinity, -Infinity, 1e-40]),
        },
        { name: "i64", dtype: "I64", shape: [3], data: new BigInt64Array([-(2n ** 63n), 0n, 2n ** 63n - 1n]) },
        { name: "i32", dtype: "I32", shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
        { name: "i16", dtype: "I16", shape: [2], data: new Int16Array([-32768, 32767]) },
        { name: "i8", dtype: "I8", shape: [2], data: new Int8Array([-128, 127]) },
        { name: "u8", dtype: "U8", shape: [2], data: new Uint8Array([0, 255]) },
        { name: "bool", dtype: "BOOL", shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
        { name: "scalar", dtype: "F32", shape: [], data: new Float32Array([7]) },
        { name: "empty", dtype: "F16", shape: [3, 0], data: new Uint16Array(0) },
        { name: "cast_bf16", dtype: "BF16", shape: [src.length], data: f32ToBf16(src) },
        { name: "cast_f16", dtype: "F16", shape: [src.length], data: f32ToF16(src) },
      ];
      const expected: { metadata: Record<string, string>; tensors: Record<string, unknown> } = {
        metadata: { format: "pt", writer: "typescript" },
        tensors: {},
      };
      for (const t of tensors) {
        const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        let values: JsonValue[];
        if (t.dtype === "BF16") values = [...typedArrayOf("BF16", bytes)].map((b) => encode(bf16BitsToF32(b)));
        else if (t.dtype === "F16") values = [...typedArrayOf("F16", bytes)].map((b) => encode(f16BitsToF32(b)));
        else
          values = [...(typedArrayOf(t.dtype, bytes) as ArrayLike<number | bigint> & Iterable<number | bigint>)].map(
            encode,
          );
        const entry: Record<string, unknown> = { dtype: t.dtype, shape: t.shape, values };
        if (t.name.startsWith("cast_")) entry["f32_source"] = [...src].map(encode);
        expected.tensors[t.name] = entry;
      }
      const file = join(dir, "from-ts.safetensors");
      const json = join(dir, "expected.json");
      writeSafetensors(file, tensors, { writer: "typescript" });
      writeFileSync(json, JSON.stringify(expected));
      const out = runPython(py.python!, [crosscheck, "check", file, json]);
      assert.match(out, /ok: 12 tensors/);
    } finally {
      cleanup();
    }
  },
);

interface PyTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  values: JsonValue[];
  bits?: number[];
}

test(
  "Python writes, TypeScript reads (every dtype, and our casts equal torch's bf16/f16)",
  { skip: py.python ? false : py.reason },
  () => {
    const { dir, cleanup } = tempFolder("st-py");
    try {
      const file = join(dir, "from-py.safetensors");
      const json = join(dir, "expected.json");
      runPython(py.python!, [crosscheck, "write", file, json]);
      const expected = JSON.parse(readFileSync(json, "utf8")) as {
        metadata: Record<string, string>;
        tensors: Record<string, PyTensor>;
      };
      const f = openSafetensors(file);
      try {
        assert.deepEqual(f.metadata, expected.metadata);
        assert.deepEqual([...f.entries.keys()].sort(), Object.keys(expected.tensors).sort());
        const dtypesSeen = new Set<string>();
        for (const [name, exp] of Object.entries(expected.tensors)) {
          const e = f.entries.get(name)!;
          dtypesSeen.add(e.dtype);
          assert.equal(e.dtype, exp.dtype, name);
          assert.deepEqual(e.shape, exp.shape, name);
          const bytes = f.read(name);
          if (e.dtype === "I64") {
            assert.deepEqual([...typedArrayOf("I64", bytes)].map(String), exp.values, name);
          } else if (e.dtype === "F16" || e.dtype === "BF16") {
            const bits = [...typedArrayOf(e.dtype, bytes)];
            assert.deepEqual(bits, exp.bits, `${name} bits`);
            const toF32 = e.dtype === "F16" ? f16BitsToF32 : bf16BitsToF32;
            assert.deepEqual(bits.map(toF32), exp.values.map(decode), `${name} values`);
          } else {
            const got = [...(typedArrayOf(e.dtype, bytes) as ArrayLike<number> & Iterable<number>)];
            assert.deepEqual(got, exp.values.map(decode), name);
          }
        }
        assert.deepEqual([...dtypesSeen].sort(), [
          "BF16",
          "BOOL",
          "F16",
          "F32",
          "F64",
          "I16",
          "I32",
          "I64",
          "I8",
          "U8",
        ]);

        // torch's casts of the same f32 values must equal ours bit for bit (NaN: any NaN for bf16, see half.ts).
        const src = typedArrayOf("F32", f.read("conv_src"));
        const ours = { conv_bf16: f32ToBf16(src), conv_f16: f32ToF16(src) };
        for (const name of ["conv_bf16", "conv_f16"] as const) {
          const theirs = expected.tensors[name]!.bits!;
          const mismatches: string[] = [];
          for (let i = 0; i < src.length; i++) {
            if (Number.isNaN(src[i]!) && name === "conv_bf16") continue;
            if (ours[name][i] !== theirs[i])
              mismatches.push(`${src[i]}: ours 0x${ours[name][i]!.toString(16)}, torch 0x${theirs[i]!.toString(16)}`);
          }
          assert.deepEqual(mismatches, [], name);
        }
      } finally {
        f.close();
      }
    } finally {
      cleanup();
    }
  },
);
