/** Creation (tensor(), ranges, constants, random with seeds), dtype conversion and data out. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Generator,
  arange,
  eye,
  full,
  fullLike,
  int64,
  manualSeed,
  multinomial,
  ones,
  rand,
  randint,
  randn,
  readTensorFromFile,
  tensor,
  zeros,
  zerosLike,
  type Tensor,
} from "../../src/engine/index.js";
import { assertClose, assertTensor } from "../support/assert-close.js";
import { tempDir } from "../support/helpers.js";

test("tensor() from nested arrays infers shape and dtype", () => {
  const t = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual([...t.shape], [2, 3]);
  assert.equal(t.dtype, "f32");
  assert.equal(t.rank, 2);
  assert.equal(t.size, 6);
  assert.equal(t.dim(-1), 3);
  assert.deepEqual(t.toList(), [1, 2, 3, 4, 5, 6]);
  const b = tensor([
    [true, false],
    [false, true],
  ]);
  assert.equal(b.dtype, "bool");
  assert.deepEqual(b.toList(), [1, 0, 0, 1]);
  const s = tensor(3.5);
  assert.deepEqual([...s.shape], []);
  assert.equal(s.item(), 3.5);
  assert.deepEqual([...tensor([]).shape], [0]);
  assert.deepEqual([...tensor([[[1]], [[2]]]).shape], [2, 1, 1]);
  // Explicit dtypes and shapes.
  const i = tensor([1, 2, 3, 4], { dtype: "i64", shape: [2, 2] });
  assert.equal(i.dtype, "i64");
  assert.deepEqual([...i.shape], [2, 2]);
  assert.equal(tensor([1.5, 2], { dtype: "f64" }).dtype, "f64");
  assert.deepEqual(tensor([0, 2, -1], { dtype: "bool" }).toList(), [0, 1, 1]);
  assert.deepEqual(tensor([-1, 300], { dtype: "i16" }).toList(), [-1, 300]);
  assert.deepEqual(tensor([-1, 100], { dtype: "i8" }).toList(), [-1, 100]);
  assert.deepEqual(tensor([1, 255], { dtype: "u8" }).toList(), [1, 255]);
});

test("tensor() from typed arrays: natural dtype, explicit shape, conversion", () => {
  const f = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
  assertTensor(f, [3, 2], [1, 2, 3, 4, 5, 6]);
  assert.equal(tensor(new Float64Array([1])).dtype, "f64");
  assert.equal(tensor(new Int32Array([1])).dtype, "i32");
  assert.equal(tensor(new Int16Array([1])).dtype, "i16");
  assert.equal(tensor(new Int8Array([1])).dtype, "i8");
  assert.equal(tensor(new Uint8Array([1])).dtype, "u8");
  const big = tensor(new BigInt64Array([2n ** 40n, -3n]));
  assert.equal(big.dtype, "i64");
  assert.deepEqual(big.toList(), [2 ** 40, -3]);
  // Uint16Array holds raw bf16 (default) or f16 bits: 0x3f80 is bf16 1.0, 0x3c00 is f16 1.0.
  assert.deepEqual(tensor(new Uint16Array([0x3f80, 0xc000])).toList(), [1, -2]);
  assert.deepEqual(tensor(new Uint16Array([0x3c00]), { dtype: "f16" }).toList(), [1]);
  // A typed array converted on the way in.
  const conv = tensor(new Int32Array([1, 2]), { dtype: "f32" });
  assert.equal(conv.dtype, "f32");
  // A view into a larger buffer copies only its own bytes.
  const backing = new Float32Array([9, 9, 1, 2, 9]);
  assert.deepEqual(tensor(backing.subarray(2, 4)).toList(), [1, 2]);
  // The tensor owns a copy: later writes to the array do not show.
  const src = new Float32Array([1, 2]);
  const t = tensor(src);
  src[0] = 100;
  assert.deepEqual(t.toList(), [1, 2]);
  assert.deepEqual(int64([5, 6, 7], [3, 1]).toList(), [5, 6, 7]);
});

test("data(), toList(), item() and bytes()", () => {
  const f = tensor([1.5, -2]);
  const d = f.data();
  assert.ok(d instanceof Float32Array);
  assert.deepEqual(Array.from(d as Float32Array), [1.5, -2]);
  assert.ok(int64([1]).data() instanceof BigInt64Array);
  assert.ok(tensor([1], { dtype: "i32" }).data() instanceof Int32Array);
  assert.ok(tensor([true]).data() instanceof Uint8Array);
  assert.ok(tensor([1], { dtype: "bf16" }).data() instanceof Uint16Array);
  assert.deepEqual(Array.from(tensor([1, -2], { dtype: "bf16" }).data() as Uint16Array), [0x3f80, 0xc000]);
  // data() of a non-contiguous view is laid out in logical (row-major) order.
  const t = tensor([
    [1, 2],
    [3, 4],
  ]).transpose(0, 1);
  assert.deepEqual(Array.from(t.data() as Float32Array), [1, 3, 2, 4]);
  assert.deepEqual(tensor([1, 2], { dtype: "bf16" }).toList(), [1, 2]);
  assert.equal(tensor([[7]]).item(), 7);
  assert.equal(tensor(true).item(), 1);
  assert.equal(int64([2 ** 40]).item(), 2 ** 40);
  assert.throws(() => tensor([1, 2]).item(), /item\(f32\[2\]\): item\(\) needs a one-element tensor/);
  // bytes(): little-endian raw storage, as safetensors stores it.
  const bytes = tensor([1, -2]).bytes();
  assert.deepEqual(Array.from(bytes), Array.from(new Uint8Array(new Float32Array([1, -2]).buffer)));
  assert.deepEqual(Array.from(tensor([1], { dtype: "bf16" }).bytes()), [0x80, 0x3f]);
  assert.deepEqual(Array.from(int64([258]).bytes()), [2, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(t.bytes()), Array.from(new Uint8Array(new Float32Array([1, 3, 2, 4]).buffer)));
});

test("dtype conversion: f32 → bf16/f16 round to nearest even, overflow, → i64 truncates, → bool", () => {
  // bf16 keeps 8 significant bits: 1 + 2^-8 is a tie (→ 1, even), 1 + 3·2^-9 rounds up to 1 + 2^-7.
  assert.deepEqual(
    tensor([1 + 2 ** -8, 1 + 3 * 2 ** -9, 1 + 3 * 2 ** -8])
      .to("bf16")
      .toList(),
    [1, 1 + 2 ** -7, 1 + 2 ** -6],
  );
  // 1 + 3·2^-8 is a tie between 1 + 2^-7 (odd) and 1 + 2^-6 (even) → even.
  // f16 keeps 11 significant bits: 1 + 2^-11 ties to 1; 65520 overflows to +inf; 2^-25 underflows to 0.
  assert.deepEqual(
    tensor([1 + 2 ** -11, 1 + 3 * 2 ** -12, 65504, 65520, 2 ** -25])
      .to("f16")
      .toList(),
    [1, 1 + 2 ** -10, 65504, Infinity, 0],
  );
  // bf16 has f32's range: 1e38 survives (rounded), where f16 would overflow.
  assertClose(tensor([1e38]).to("bf16").toList(), [1e38], { rtol: 1e-2 });
  // bf16 → f16 → f32 round trip of exactly representable values is exact.
  assert.deepEqual(tensor([0.5, -3, 96]).to("bf16").to("f16").float().toList(), [0.5, -3, 96]);
  // Float → integer truncates toward zero.
  const i = tensor([-1.7, -0.2, 0.9, 2.5]).to("i64");
  assert.equal(i.dtype, "i64");
  assert.deepEqual(i.toList(), [-1, 0, 0, 2]);
  assert.deepEqual(int64([3, 0]).float().toList(), [3, 0]);
  assert.deepEqual(tensor([0, -0.5, 2]).to("bool").toList(), [0, 1, 1]);
  assert.deepEqual(tensor([true, false]).to("f32").toList(), [1, 0]);
  // f64 keeps what f32 cannot: 1 + 2^-30.
  assert.deepEqual(tensor([1 + 2 ** -30], { dtype: "f64" }).toList(), [1 + 2 ** -30]);
  assert.deepEqual(tensor([1 + 2 ** -30]).toList(), [1]);
  // to() with both dtype and device, and a no-op conversion.
  assert.equal(tensor([1]).to({ dtype: "f16", device: "cpu" }).dtype, "f16");
  assert.equal(tensor([1]).to("cpu").device, "cpu");
});

test("arange, full, zeros, ones, *Like, eye", () => {
  assertTensor(arange(5), [5], [0, 1, 2, 3, 4]);
  assert.equal(arange(5).dtype, "i64");
  assertTensor(arange(2, 8, 3), [2], [2, 5]);
  assertTensor(arange(3, 0, -1), [3], [3, 2, 1]);
  assertTensor(arange(0, 1, 0.25, { dtype: "f32" }), [4], [0, 0.25, 0.5, 0.75]);
  assertTensor(full([2, 2], 7), [2, 2], [7, 7, 7, 7]);
  assert.equal(full([1], 7, { dtype: "i32" }).dtype, "i32");
  assertTensor(full([], -1), [], [-1]);
  assertTensor(zeros([2, 1]), [2, 1], [0, 0]);
  assertTensor(ones([3]), [3], [1, 1, 1]);
  const like = fullLike(int64([1, 2]), 9);
  assert.equal(like.dtype, "i64");
  assertTensor(like, [2], [9, 9]);
  assertTensor(zerosLike(tensor([[1, 2]])), [1, 2], [0, 0]);
  assertTensor(eye(3), [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  assert.equal(eye(2, { dtype: "f64" }).dtype, "f64");
});

function stats(t: Tensor): { mean: number; std: number } {
  const xs = t.toList();
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1));
  return { mean, std };
}

test("random: same seed gives the same values, Generators are independent of the global seed", () => {
  manualSeed(123);
  const a = randn([100]).toList();
  manualSeed(123);
  const b = randn([100]).toList();
  assert.deepEqual(a, b);
  assert.notDeepEqual(randn([100]).toList(), a);

  const g1 = new Generator(7);
  const g2 = new Generator(7);
  const x = randn([50], { generator: g1 }).toList();
  manualSeed(999); // must not affect Generator-driven sampling
  assert.deepEqual(randn([50], { generator: g2 }).toList(), x);
  // A generator advances: its next draw differs from its first.
  assert.notDeepEqual(randn([50], { generator: g1 }).toList(), x);
  assert.notDeepEqual(randn([50], { generator: new Generator(8) }).toList(), x);
  assert.deepEqual(
    rand([20], { generator: new Generator(3) }).toList(),
    rand([20], { generator: new Generator(3) }).toList(),
  );
  assert.deepEqual(
    randint(0, 10, [20], { generator: new Generator(3) }).toList(),
    randint(0, 10, [20], { generator: new Generator(3) }).toList(),
  );
  // In-place fills with generators are reproducible too.
  const p = zeros([30]).normal_(0, 1, new Generator(5)).toList();
  assert.deepEqual(zeros([30]).normal_(0, 1, new Generator(5)).toList(), p);
  assert.deepEqual(
    zeros([30]).uniform_(-1, 1, new Generator(5)).toList(),
    zeros([30]).uniform_(-1, 1, new Generator(5)).toList(),
  );
});

test("random: moments and ranges are roughly right", () => {
  const g = new Generator(42);
  // For n = 20000 the standard error of the mean is 1/√n ≈ 0.007; bounds are ~5 standard errors.
  const n = randn([20000], { generator: g });
  const sn = stats(n);
  assert.ok(Math.abs(sn.mean) < 0.04, `randn mean ${sn.mean}`);
  assert.ok(Math.abs(sn.std - 1) < 0.04, `randn std ${sn.std}`);
  assert.equal(randn([2], { dtype: "f64", generator: g }).dtype, "f64");
  const u = rand([20000], { generator: g });
  const su = stats(u);
  assert.ok(Math.abs(su.mean - 0.5) < 0.02, `rand mean ${su.mean}`);
  assert.ok(Math.abs(su.std - 1 / Math.sqrt(12)) < 0.02, `rand std ${su.std}`);
  assert.ok(u.ge(0).all().item() === 1 && u.lt(1).all().item() === 1);
  const nm = stats(zeros([20000]).normal_(3, 2, g));
  assert.ok(Math.abs(nm.mean - 3) < 0.08 && Math.abs(nm.std - 2) < 0.08, `normal_ ${nm.mean} ${nm.std}`);
  const un = zeros([20000]).uniform_(-2, 4, g);
  assert.ok(un.ge(-2).all().item() === 1 && un.lt(4).all().item() === 1);
  assert.ok(Math.abs(stats(un).mean - 1) < 0.1);
  const ri = randint(3, 6, [2000], { generator: g });
  assert.equal(ri.dtype, "i64");
  assert.deepEqual(new Set(ri.toList()), new Set([3, 4, 5]));
  // multinomial never picks a zero-weight class; without replacement picks distinct classes.
  const picks = multinomial(tensor([0, 1, 3, 0]), 2, false, g).toList();
  assert.deepEqual([...picks].sort(), [1, 2]);
  const many = multinomial(tensor([0, 1, 3, 0]), 4000, true, g).toList();
  const threes = many.filter((v) => v === 2).length / many.length;
  assert.ok(Math.abs(threes - 0.75) < 0.04, `class 2 frequency ${threes}`);
  assert.ok(many.every((v) => v === 1 || v === 2));
});

test("readTensorFromFile streams raw little-endian elements from a byte offset (safetensors layout)", () => {
  const dir = tempDir("read");
  try {
    const path = join(dir, "blob.bin");
    const header = Buffer.from("8-byte-h");
    const body = Buffer.from(new Float32Array([1.5, -2, 3, 4, 5, 6]).buffer);
    const ids = Buffer.from(new BigInt64Array([7n, -1n]).buffer);
    writeFileSync(path, Buffer.concat([header, body, ids]));
    assertTensor(readTensorFromFile(path, 8, "f32", [2, 3]), [2, 3], [1.5, -2, 3, 4, 5, 6]);
    const i = readTensorFromFile(path, 8 + 24, "i64", [2]);
    assert.equal(i.dtype, "i64");
    assert.deepEqual(i.toList(), [7, -1]);
    assert.throws(() => readTensorFromFile(path, 8, "f32", [100]), /^TypeError: read_file\(.*\): short read/);
    assert.throws(() => readTensorFromFile(path, -1, "f32", [1]), /byte offset must be >= 0/);
    assert.throws(() => readTensorFromFile(join(dir, "nope"), 0, "f32", [1]), /cannot open .*nope/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
