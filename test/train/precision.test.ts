/**
 * Mixed precision: bf16 autocast keeps f32 master weights and gives logits within bf16's error of
 * the f32 forward; fp16 loss scaling in the Trainer skips a step whose gradients overflow, backs
 * the scale off (kept across a resume), and grows it again after clean steps (PyTorch GradScaler's rule).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { autocast, noGrad, tensor, tidy, type Tensor } from "../../src/engine/index.js";
import { openSafetensors } from "../../src/engine/safetensors.js";
import { loadEntry } from "../../src/engine/tensor-io.js";
import { loadModel } from "../../src/llm/checkpoint.js";
import { DynamicLossScaler } from "../../src/train/loss-scaler.js";
import { ParamStore, zerosInit } from "../../src/nn/index.js";
import { MixedPrecision, resolvePrecision } from "../../src/train/precision.js";
import { RunFolder } from "../../src/train/run-folder.js";
import { Trainer } from "../../src/train/trainer.js";
import { repoRoot, tempDir } from "../support/helpers.js";

test("bf16 autocast: f32 logits within bf16 tolerance of the f32 forward, f32 master weights", () => {
  // The parity fixture: O(1) activations and peaked attention, logits up to ~12.
  const dir = join(repoRoot, "test", "fixtures", "qwen2-tiny");
  const model = loadModel(dir);
  const file = openSafetensors(join(dir, "io.safetensors"));
  const io = new Map([...file.entries].map(([n, e]) => [n, loadEntry(e).keep()] as [string, Tensor]));
  file.close();
  const run = () =>
    model.forward({ inputIds: io.get("input_ids")!, attentionMask: io.get("attention_mask")! }).logits!.keep();
  const f32 = noGrad(() => tidy(run));
  const bf16 = noGrad(() => tidy(() => autocast("cpu", "bf16", run)));
  assert.equal(bf16.dtype, "f32", "logits come back in f32 for the loss");
  assert.ok(model.parameters().every((p) => p.dtype === "f32"));
  const { diff, scale } = tidy(() => {
    const mask = io.get("attention_mask")!.unsqueeze(-1).to("f32");
    return {
      diff: bf16.sub(f32).abs().mul(mask).amax().item(),
      scale: f32.abs().mul(mask).amax().item(),
    };
  });
  // bf16 keeps 8 significant bits (relative step 2^-8 ≈ 0.4%); through 2 layers the logits drift a
  // few such steps of the largest logit. Measured on this fixture: ours 0.19, and Hugging Face
  // transformers under torch.autocast("cpu", torch.bfloat16) (torch 2.13) 0.23, of a largest logit 11.3.
  assert.ok(diff > 1e-4, `autocast had no effect (difference ${diff})`);
  assert.ok(diff < 0.03 * scale, `bf16 logits differ by ${diff} (largest logit ${scale})`);
  for (const t of [f32, bf16, ...io.values()]) t.dispose();
  model.dispose();
});

test("fp16 loss scaling in the Trainer: an overflowing step is skipped, the scale backs off and resumes", async () => {
  const dir = tempDir("fp16-trainer");
  const start = (resume: boolean) => {
    const store = new ParamStore("cpu", "f32", 0);
    const w = store.create("w", [3], zerosInit);
    tidy(() => w.add_(tensor([1, 2, 3])));
    const trainer = Trainer.start({
      label: "fp16",
      run: new RunFolder(dir),
      store,
      trainable: [w],
      lr: 0.1,
      weightDecay: 0,
      maxGradNorm: 1e9,
      schedule: "constant",
      warmupSteps: 0,
      totalSteps: 10,
      checkpointEvery: 1,
      precision: "fp16",
      resume,
      initialState: { step: 0 },
    });
    return { store, w, trainer };
  };
  const { store, w, trainer } = start(false);
  const scaler = trainer.precision.scaler!;
  const scale0 = scaler.scale;
  // A finite step: the loss is scaled for backward and the gradient unscaled before the update.
  tidy(() => trainer.backward(w.mul(tensor([1, 1, 1])).sum()));
  assert.deepEqual(
    tidy(() => w.grad!.toList()),
    [scale0, scale0, scale0],
  );
  const ok = trainer.optimizerStep(6);
  assert.equal(ok.skipped, false);
  assert.ok(Math.abs(ok.gradNorm - Math.sqrt(3)) < 1e-6, `unscaled grad norm ${ok.gradNorm}`);
  await trainer.endStep({ loss: 6 });
  const after = w.toList();
  assert.notDeepEqual(after, [1, 2, 3]);
  // An overflowing step (here even its loss is not finite): skipped, parameters untouched, scale
  // halved, training goes on.
  tidy(() => trainer.backward(w.mul(tensor([1, Infinity, 1])).sum()));
  const bad = trainer.optimizerStep(NaN);
  assert.equal(bad.skipped, true);
  assert.deepEqual(w.toList(), after);
  assert.equal(scaler.scale, scale0 / 2);
  await trainer.endStep({ loss: NaN });
  assert.equal(trainer.stopped, false);
  const metrics = readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    metrics.map((m) => [m.skipped, m.loss_scale]),
    [
      [0, scale0],
      [1, scale0 / 2],
    ],
  );
  trainer.finish();
  store.dispose();
  // A resumed run continues with the backed-off scale, not a fresh 2^16.
  const resumed = start(true);
  assert.equal(resumed.trainer.state.step, 2);
  assert.equal(resumed.trainer.precision.scaler!.scale, scale0 / 2);
  resumed.trainer.finish();
  resumed.store.dispose();
});

test("the loss scale grows after growthInterval clean steps and resets its count on overflow", () => {
  const s = new DynamicLossScaler({ initScale: 8, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3 });
  s.update(true);
  s.update(true);
  assert.equal(s.scale, 8);
  s.update(false);
  assert.equal(s.scale, 4);
  s.update(true);
  s.update(true);
  assert.equal(s.scale, 4, "the count restarted after the overflow");
  s.update(true);
  assert.equal(s.scale, 8);
  const g = tensor([NaN]).setRequiresGrad().keep();
  tidy(() => g.mul(1).sum().backward());
  assert.equal(s.unscale([g]), true, "the gradient of a NaN-valued parameter can still be finite");
  tidy(() => g.mul(NaN).sum().backward());
  assert.equal(s.unscale([g]), false);
  g.dispose();
});

test("precision settings: auto is bf16 on CUDA and fp32 on CPU; fp16 is refused on CPU with a hint to use bf16", () => {
  assert.equal(resolvePrecision("auto", "cpu"), "fp32");
  assert.equal(resolvePrecision("auto", "cuda:0"), "bf16");
  assert.equal(resolvePrecision("bf16", "cpu"), "bf16");
  assert.throws(() => MixedPrecision.create("fp16", "cpu"), /fp16 needs a CUDA device .* use bf16/);
  assert.throws(() => MixedPrecision.create("fp8" as "fp16", "cpu"), /expected one of fp32, bf16, fp16, auto/);
});
