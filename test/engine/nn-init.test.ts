/** PyTorch's initialisers as Init values (fans, Xavier, default uniform) and the LayerNorm module. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { layerNorm, tensor } from "../../src/engine/index.js";
import {
  LayerNorm,
  ParamStore,
  fans,
  torchDefault,
  uniformInit,
  xavierNormal,
  xavierUniform,
} from "../../src/nn/index.js";
import { assertClose } from "../support/assert-close.js";

test("fans follow PyTorch: [out, in, ...kernel] → in·kernel, out·kernel", () => {
  assert.deepEqual(fans([6, 4]), { fanIn: 4, fanOut: 6 });
  assert.deepEqual(fans([16, 1, 3, 50]), { fanIn: 150, fanOut: 2400 });
  assert.deepEqual(fans([64, 64, 1]), { fanIn: 64, fanOut: 64 });
  assert.throws(() => fans([5]), /rank >= 2, got shape \[5\]/);
});

test("xavier normal / uniform and the default uniform draw from the stated distributions", () => {
  const store = new ParamStore("cpu", "f32", 3);
  const root = store.root();
  const n = root.param("n", [300, 500], xavierNormal([300, 500]));
  const u = root.param("u", [300, 500], xavierUniform([300, 500]));
  const d = root.param("d", [400, 100], torchDefault(100));
  const std = (t: typeof n) => Math.sqrt(t.var().item());
  assert.ok(Math.abs(std(n) - Math.sqrt(2 / 800)) < 0.002, `xavier normal std ${std(n)}`);
  const bound = Math.sqrt(6 / 800);
  assert.ok(u.abs().amax().item() <= bound && u.abs().amax().item() > 0.99 * bound);
  assert.ok(Math.abs(std(u) - bound / Math.sqrt(3)) < 0.002, `xavier uniform std ${std(u)}`);
  assert.ok(d.abs().amax().item() <= 0.1 && d.abs().amax().item() > 0.099);
  assert.ok(Math.abs(d.mean().item()) < 0.002);
  assert.deepEqual(uniformInit(0.5), { kind: "uniform", bound: 0.5 });
});

test("LayerNorm module: ones / zeros at start, path names weight and bias, same as layerNorm", () => {
  const store = new ParamStore();
  const ln = new LayerNorm(store.root().sub("last_layernorm"), 3, 1e-8);
  assert.deepEqual([...store.params.keys()], ["last_layernorm.weight", "last_layernorm.bias"]);
  const x = tensor([1, 2, 4, -1, 0, 5], { shape: [2, 3] });
  assertClose(ln.forward(x).toList(), layerNorm(x, [3], null, null, 1e-8).toList(), { atol: 1e-6 });
});
