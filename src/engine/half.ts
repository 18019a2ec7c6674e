/**
 * 16-bit float conversions on typed arrays, bit-exact with PyTorch's `c10::BFloat16` and `c10::Half`.
 *
 * Half-precision values are carried as their raw bits in a `Uint16Array` (JavaScript has no 16-bit
 * float array in Node 20), which is also how they sit in a safetensors byte buffer.
 *
 * - f32 → bf16: round to nearest, ties to even; every NaN becomes 0x7FC0 (`c10::BFloat16`'s scalar
 *   rule; PyTorch 1.13's vectorised CPU cast writes 0xFFFF instead, so compare bf16 NaNs as "is NaN").
 * - f32 → f16: IEEE binary16 with round to nearest even, subnormals, overflow to ±inf; NaN → ±0x7E00
 *   (sign kept, payload dropped, as `c10::Half` does).
 * - bf16/f16 → f32: exact (every 16-bit value is representable in f32).
 */

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function f32Bits(x: number): number {
  f32Scratch[0] = x;
  return u32Scratch[0]!;
}

function f32FromBits(bits: number): number {
  u32Scratch[0] = bits >>> 0;
  return f32Scratch[0]!;
}

/** One f32 value (given as a JS number, rounded to f32 first) to bf16 bits. */
export function f32ToBf16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7fc0;
  const bits = f32Bits(x);
  const roundingBias = ((bits >>> 16) & 1) + 0x7fff;
  return ((bits + roundingBias) >>> 16) & 0xffff;
}

/** bf16 bits to the f32 value they denote. */
export function bf16BitsToF32(h: number): number {
  return f32FromBits((h & 0xffff) << 16);
}

/** One f32 value (given as a JS number, rounded to f32 first) to IEEE binary16 bits. */
export function f32ToF16Bits(x: number): number {
  const bits = f32Bits(x);
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Result is a subnormal (or zero): value = m × 2^(exp-150), half unit = 2^-24.
    if (e < -10) return sign; // below half the smallest subnormal: rounds to ±0
    const m = mant | 0x800000;
    const shift = 14 - e; // 14..24
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half += 1;
    return sign | half; // a carry into 0x400 is the smallest normal, which is correct
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half += 1; // carry may give ±inf: correct
  return sign | half;
}

/** IEEE binary16 bits to the f32 value they denote. */
export function f16BitsToF32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    const v = mant * 2 ** -24; // exact
    return sign !== 0 ? -v : v;
  }
  if (exp === 31) return f32FromBits(sign | 0x7f800000 | (mant << 13));
  return f32FromBits(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

function mapToU16(src: ArrayLike<number>, out: Uint16Array | undefined, f: (x: number) => number): Uint16Array {
  const dst = out ?? new Uint16Array(src.length);
  if (dst.length !== src.length)
    throw new RangeError(`half: output length ${dst.length} != input length ${src.length}`);
  for (let i = 0; i < src.length; i++) dst[i] = f(src[i]!);
  return dst;
}

function mapToF32(src: Uint16Array, out: Float32Array | undefined, f: (h: number) => number): Float32Array {
  const dst = out ?? new Float32Array(src.length);
  if (dst.length !== src.length)
    throw new RangeError(`half: output length ${dst.length} != input length ${src.length}`);
  for (let i = 0; i < src.length; i++) dst[i] = f(src[i]!);
  return dst;
}

/** f32 array → bf16 bits (round to nearest even). `out`, when given, must have the same length. */
export function f32ToBf16(src: Float32Array | ArrayLike<number>, out?: Uint16Array): Uint16Array {
  return mapToU16(src, out, f32ToBf16Bits);
}

/** bf16 bits → f32 array. */
export function bf16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
  return mapToF32(src, out, bf16BitsToF32);
}

/** f32 array → IEEE f16 bits (round to nearest even, subnormals, ±inf, NaN). */
export function f32ToF16(src: Float32Array | ArrayLike<number>, out?: Uint16Array): Uint16Array {
  return mapToU16(src, out, f32ToF16Bits);
}

/** IEEE f16 bits → f32 array. */
export function f16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
  return mapToF32(src, out, f16BitsToF32);
}
