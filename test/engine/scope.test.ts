/** Deterministic lifetimes: tidy, keep, nested scopes, exceptions, dispose, liveTensorCount. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dispose, liveTensorCount, ones, tensor, tidy, type Tensor } from "../../src/engine/index.js";

test("tidy disposes intermediates and keeps the returned tensor", () => {
  const x = ones([4]);
  const before = liveTensorCount();
  let a: Tensor | undefined;
  const out = tidy(() => {
    a = x.add(1);
    const b = a.mul(2);
    return b.sum();
  });
  assert.equal(a!.isDisposed, true);
  assert.equal(out.isDisposed, false);
  assert.equal(out.item(), 16);
  assert.equal(x.isDisposed, false, "tensors created outside the scope are not touched");
  assert.equal(liveTensorCount(), before + 1);
  out.dispose();
  assert.equal(liveTensorCount(), before);
});

test("tensors reachable from an array, object or Map result survive; kept tensors survive", () => {
  const before = liveTensorCount();
  let dropped: Tensor | undefined;
  const { list, obj, map, kept } = tidy(() => {
    dropped = ones([2]);
    const kept = ones([3]).keep();
    // The kept tensor is not returned: keep() alone exempts it.
    void kept;
    return {
      list: [ones([1]), ones([1])],
      obj: { nested: { t: ones([1]) } },
      map: new Map([["k", ones([1])]]),
      kept,
    };
  });
  assert.equal(dropped!.isDisposed, true);
  for (const t of [...list, obj.nested.t, map.get("k")!, kept]) assert.equal(t.isDisposed, false);
  assert.equal(liveTensorCount(), before + 5);
  dispose([list, obj, map, kept]);
  assert.equal(liveTensorCount(), before);
});

test("nested tidy moves its result to the parent scope, which disposes it unless returned", () => {
  const before = liveTensorCount();
  let inner: Tensor | undefined;
  let innerTemp: Tensor | undefined;
  const out = tidy(() => {
    inner = tidy(() => {
      innerTemp = ones([2]);
      return innerTemp.add(1);
    });
    assert.equal(innerTemp!.isDisposed, true, "the inner scope disposed its temporary");
    assert.equal(inner.isDisposed, false, "the inner result is alive inside the outer scope");
    return inner.mul(3);
  });
  assert.equal(inner!.isDisposed, true, "the outer scope disposed the inner result it did not return");
  assert.deepEqual(out.toList(), [6, 6]);
  assert.equal(liveTensorCount(), before + 1);
  out.dispose();
  // A result returned through both levels survives both.
  const twice = tidy(() => tidy(() => ones([1])));
  assert.equal(twice.isDisposed, false);
  twice.dispose();
  assert.equal(liveTensorCount(), before);
});

test("an exception inside tidy still disposes everything it created, then propagates", () => {
  const before = liveTensorCount();
  let made: Tensor | undefined;
  assert.throws(
    () =>
      tidy(() => {
        made = ones([8]).add(1);
        ones([2]).matmul(ones([3])); // throws
        return made;
      }),
    /^Error: matmul\(f32\[2\], f32\[3\]\)/,
  );
  assert.equal(made!.isDisposed, true);
  assert.equal(liveTensorCount(), before);
  // The scope stack is intact afterwards: a later tidy works normally.
  const t = tidy(() => ones([1]).add(1));
  assert.equal(t.item(), 2);
  t.dispose();
});

test("tidy refuses async functions", () => {
  assert.throws(() => tidy(async () => ones([1])), /tidy only supports synchronous functions/);
});

test("dispose() frees storage immediately and is idempotent; views do not free their base", () => {
  const before = liveTensorCount();
  const base = tensor([1, 2, 3, 4]);
  const view = base.view([2, 2]);
  assert.equal(liveTensorCount(), before + 2);
  view.dispose();
  view.dispose();
  assert.equal(liveTensorCount(), before + 1);
  assert.deepEqual(base.toList(), [1, 2, 3, 4]);
  base.dispose();
  assert.equal(liveTensorCount(), before);
});
