import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bf16BitsToF32,
  bf16ToF32,
  f16BitsToF32,
  f16ToF32,
  f32ToBf16,
  f32ToBf16Bits,
  f32ToF16,
  f32ToF16Bits,
} from "../../src/engine/half.js";

function fromBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

const hex = (n: number): string => "0x" + n.toString(16).padStart(4, "0");

test("f32 → bf16 rounds to nearest, ties to even", () => {
  const cases: [number, number][] = [
    [1, 0x3f80],
    [-1, 0xbf80],
    [0, 0x0000],
    [-0, 0x8000],
    [fromBits(0x3f808000), 0x3f80], // exactly halfway, even stays
    [fromBits(0x3f818000), 0x3f82], // exactly halfway, odd rounds up
    [fromBits(0x3f808001), 0x3f81], // just above halfway
    [fromBits(0x3f807fff), 0x3f80], // just below halfway
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
    [fromBits(0x7f7fffff), 0x7f80], // largest f32 rounds up to inf
    [fromBits(0x00000001), 0x0000], // smallest f32 subnormal rounds to zero
    [NaN, 0x7fc0],
    [fromBits(0xffc12345), 0x7fc0], // any NaN
  ];
  for (const [x, bits] of cases) assert.equal(hex(f32ToBf16Bits(x)), hex(bits), `bf16(${x})`);
});

test("f32 → f16 handles normals, ties, subnormals, overflow and NaN", () => {
  const cases: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [-0, 0x8000],
    [65504, 0x7bff], // largest finite half
    [65519, 0x7bff], // below the halfway point to 65536
    [65520, 0x7c00], // halfway: ties to even = 65536 = inf
    [1e6, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway between 0 and the smallest subnormal: ties to even
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal units: to even
    [5 * 2 ** -25, 0x0002], // halfway between 2 and 3: to even
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up out of the subnormal range
    [1e-9, 0x0000],
    [-1e-9, 0x8000],
    [1 + 2 ** -11, 0x3c00], // tie, even
    [1 + 3 * 2 ** -11, 0x3c02], // tie, odd rounds up
    [NaN, 0x7e00],
    [fromBits(0xff812345), 0xfe00], // NaN keeps its sign
  ];
  for (const [x, bits] of cases) assert.equal(hex(f32ToF16Bits(x)), hex(bits), `f16(${x})`);
});

test("16-bit → f32 is exact", () => {
  assert.equal(f16BitsToF32(0x0001), 2 ** -24);
  assert.equal(f16BitsToF32(0x03ff), 1023 * 2 ** -24);
  assert.equal(f16BitsToF32(0x7bff), 65504);
  assert.equal(f16BitsToF32(0xfc00), -Infinity);
  assert.ok(Object.is(f16BitsToF32(0x8000), -0));
  assert.ok(Number.isNaN(f16BitsToF32(0x7e01)));
  assert.equal(bf16BitsToF32(0x3f81), 1 + 2 ** -7);
  assert.equal(bf16BitsToF32(0x0080), 2 ** -126);
});

test("every 16-bit pattern survives 16 → 32 → 16 (NaNs become the canonical NaN)", () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const viaF16 = f32ToF16(f16ToF32(all));
  const viaBf16 = f32ToBf16(bf16ToF32(all));
  for (let i = 0; i < 65536; i++) {
    const f16Nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    assert.equal(viaF16[i], f16Nan ? (i & 0x8000) | 0x7e00 : i, `f16 ${hex(i)}`);
    const bf16Nan = (i & 0x7f80) === 0x7f80 && (i & 0x7f) !== 0;
    assert.equal(viaBf16[i], bf16Nan ? 0x7fc0 : i, `bf16 ${hex(i)}`);
  }
});

test("array helpers check output length", () => {
  assert.throws(() => f32ToBf16(new Float32Array(3), new Uint16Array(2)), /output length 2 != input length 3/);
  const out = new Float32Array(2);
  assert.equal(f16ToF32(new Uint16Array([0x3c00, 0x4000]), out), out);
  assert.deepEqual([...out], [1, 2]);
});
