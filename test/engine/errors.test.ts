/** Bad calls throw a JS Error naming the op and its arguments' dtypes and shapes; the process survives. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  adamW,
  cat,
  crossEntropy,
  embedding,
  int64,
  ones,
  randn,
  scaledDotProductAttention,
  tensor,
  zeros,
  type Tensor,
} from "../../src/engine/index.js";

/** Asserts `fn` throws an Error (not a string, not an abort) whose message matches `pattern`. */
function throwsNamed(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test("shape mismatches name the op and both shapes", () => {
  const a = zeros([2, 3]);
  throwsNamed(() => a.matmul(a), /^matmul\(f32\[2,3\], f32\[2,3\]\): .*2x3 and 2x3/);
  throwsNamed(() => a.add(zeros([4])), /^add\(f32\[2,3\], f32\[4\]\): The size of tensor a \(3\) must match/);
  throwsNamed(() => a.reshape([5]), /^reshape\(f32\[2,3\], \[5\]\): shape '\[5\]' is invalid/);
  throwsNamed(() => cat([a, zeros([2, 2])]), /^cat\(\[f32\[2,3\],f32\[2,2\]\], 0\): /);
  throwsNamed(() => a.sum(5), /^sum\(f32\[2,3\], \[5\], false\): Dimension out of range/);
  throwsNamed(
    () => scaledDotProductAttention(zeros([1, 1, 2, 4]), zeros([1, 1, 3, 5]), zeros([1, 1, 3, 4])),
    /^sdpa\(f32\[1,1,2,4\], f32\[1,1,3,5\], f32\[1,1,3,4\], null, false, null\): /,
  );
});

test("wrong dtypes: float indices, float masks, int targets", () => {
  const x = zeros([2, 3]);
  throwsNamed(() => x.gather(1, zeros([2, 1])), /^gather\(f32\[2,3\], 1, f32\[2,1\]\): .*int64/);
  throwsNamed(() => x.indexSelect(0, tensor([0])), /^index_select\(f32\[2,3\], 0, f32\[1\]\): /);
  throwsNamed(() => embedding(x, tensor([1])), /^embedding\(f32\[2,3\], f32\[1\]\): .*Long, Int/);
  throwsNamed(() => crossEntropy(x, tensor([0, 1])), /^cross_entropy\(f32\[2,3\], f32\[2\], -100, "mean", 0\): /);
  throwsNamed(() => x.to({ dtype: "f17" as "f32" }), /^to\(f32\[2,3\], "f17", null, false\): unknown dtype "f17"/);
  // A string that is not a dtype is taken as a device.
  throwsNamed(() => x.to("f17"), /^to\(f32\[2,3\], null, "f17", false\): unknown device "f17"/);
  throwsNamed(() => int64([1]).setRequiresGrad(), /^set_requires_grad\(i64\[1\], true\): .*floating point/);
});

test("wrong device strings and unavailable devices", () => {
  const x = zeros([2]);
  throwsNamed(() => x.to({ device: "gpu" }), /^to\(f32\[2\], null, "gpu", false\): unknown device "gpu"/);
  throwsNamed(() => zeros([2], { device: "cuda:x" }), /^full\(\[2\], 0, "f32", "cuda:x"\): unknown device/);
  throwsNamed(() => ones([1], { device: "tpu" }), /unknown device "tpu"/);
  if (!x.device.startsWith("cuda")) {
    // A CPU-only libtorch names the missing backend instead of aborting.
    throwsNamed(() => randn([2], { device: "cuda" }), /^randn\(\[2\], "f32", "cuda", null\): /);
  }
});

test("non-tensor arguments and missing arguments", () => {
  const x = zeros([2, 3]);
  throwsNamed(() => x.add("1" as unknown as Tensor), /^add\(f32\[2,3\], null\): argument 1 is not a tensor/);
  throwsNamed(() => x.matmul({} as Tensor), /^matmul\(f32\[2,3\], null\): argument 1 is not a tensor/);
  throwsNamed(
    () => cat([x, 5 as unknown as Tensor]),
    /^cat\(\[f32\[2,3\],…\], 0\): element 1 of argument 0 is not a tensor/,
  );
  throwsNamed(() => x.narrow(0, 0.5, 1), /^narrow\(f32\[2,3\], 0, 0\.5, 1\): argument 2 must be an integer/);
  throwsNamed(
    () => x.reshape([2, "3"] as unknown as number[]),
    /^reshape\(f32\[2,3\], \[2,…\]\): argument 1 must be an array/,
  );
  throwsNamed(() => tensor([[1, 2], [3]]), /^tensor\(\): ragged nested array/);
  throwsNamed(
    () => tensor(new Float32Array(5), { shape: [2, 2] }),
    /^from_buffer\(.*\): got 20 bytes, but a f32\[2,2\] tensor needs 16/,
  );
  throwsNamed(() => adamW([]), /^adamw: no parameters to optimize/);
  throwsNamed(() => adamW([zeros([2])]), /^optimizer\("adamw", .*\): params\[0\] does not require grad/);
});

test("using a disposed tensor throws, naming the op", () => {
  const x = ones([2, 2]);
  const y = ones([2, 2]);
  x.dispose();
  assert.equal(x.isDisposed, true);
  assert.equal(x.toString(), "Tensor<disposed>");
  throwsNamed(() => x.add(1), /^add_scalar\(<disposed>, 1\): argument 0 is a disposed tensor/);
  throwsNamed(() => y.matmul(x), /^matmul\(f32\[2,2\], <disposed>\): argument 1 is a disposed tensor/);
  throwsNamed(() => x.toList(), /disposed tensor/);
  throwsNamed(() => x.item(), /^item\(<disposed>\): argument 0 is a disposed tensor/);
  throwsNamed(() => cat([y, x]), /^cat\(\[f32\[2,2\],<disposed>\], 0\): element 1 of argument 0 is disposed/);
  // Disposing twice is harmless; the other tensor is unaffected.
  x.dispose();
  assert.deepEqual(y.toList(), [1, 1, 1, 1]);
});

test("the process keeps working after many failed calls", () => {
  const a = zeros([2, 3]);
  for (let i = 0; i < 200; i++) assert.throws(() => a.matmul(a));
  assert.deepEqual(a.add(1).sum().toList(), [6]);
});

test("out-of-range indices throw instead of reading out of bounds", () => {
  const table = zeros([3, 2]);
  throwsNamed(() => embedding(table, int64([3])), /^embedding\(f32\[3,2\], i64\[1\]\): index out of range/);
  throwsNamed(() => table.gather(0, int64([5], [1, 1])), /^gather\(.*\): index 5 is out of bounds/);
  throwsNamed(
    () => crossEntropy(table, int64([0, 1, 2])),
    /^cross_entropy\(f32\[3,2\], i64\[3\].*\): Target 2 is out of bounds/,
  );
  throwsNamed(() => table.select(0, 3), /^select\(f32\[3,2\], 0, 3\): /);
});
