/**
 * LoRA against Hugging Face PEFT itself: `test/fixtures/qwen2-tiny-lora/` is an adapter PEFT saved on
 * `qwen2-tiny` with the logits PEFT computed (scripts/reference/make_lora_fixture.py). Also: merging
 * keeps the function, our saved adapters have PEFT's names and shapes and load back exactly, and an
 * adapter's update has rank at most r.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { adamW, noGrad, tidy, type Tensor } from "../../src/engine/index.js";
import { openSafetensors } from "../../src/engine/safetensors.js";
import { loadEntry } from "../../src/engine/tensor-io.js";
import { loadModel, saveModel } from "../../src/llm/checkpoint.js";
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  LORA_TARGETS,
  applyLora,
  loadAdapter,
  loraAdapters,
  loraParameters,
  mergeLora,
  readAdapterConfig,
  saveAdapter,
} from "../../src/llm/lora.js";
import type { Qwen2Model } from "../../src/llm/qwen2.js";
import { repoRoot, withTempDir } from "../support/helpers.js";

const fixtures = join(repoRoot, "test", "fixtures");
const BASE = join(fixtures, "qwen2-tiny");
const ADAPTER = join(fixtures, "qwen2-tiny-lora");

function readTensors(path: string): Map<string, Tensor> {
  const file = openSafetensors(path);
  const out = new Map<string, Tensor>();
  for (const [name, entry] of file.entries) out.set(name, loadEntry(entry).keep());
  file.close();
  return out;
}

function shapesOf(path: string): Map<string, string> {
  const file = openSafetensors(path);
  const out = new Map([...file.entries].map(([n, e]) => [n, e.shape.join(",")]));
  file.close();
  return out;
}

/** Logits of the base fixture's inputs, and their max difference to `expected` at real positions. */
function logitsDiff(model: Qwen2Model, expected: Tensor): number {
  const io = readTensors(join(BASE, "io.safetensors"));
  const d = noGrad(() =>
    tidy(() => {
      const mask = io.get("attention_mask")!;
      const logits = model.forward({
        inputIds: io.get("input_ids")!,
        attentionMask: mask,
        positionIds: io.get("position_ids")!,
      }).logits!;
      return logits.sub(expected).abs().mul(mask.unsqueeze(-1).to("f32")).amax().item();
    }),
  );
  for (const t of io.values()) t.dispose();
  return d;
}

const peftLogits = () => readTensors(join(ADAPTER, "io.safetensors")).get("logits")!;

test("a PEFT adapter loads onto its base and gives PEFT's logits (1e-4), and changes them", () => {
  const model = loadModel(BASE);
  const expected = peftLogits();
  const base = logitsDiff(model, expected);
  assert.ok(base > 0.1, `the fixture adapter should change the logits (base differs by only ${base})`);
  const config = loadAdapter(model, ADAPTER);
  assert.deepEqual({ r: config.rank, alpha: config.alpha }, { r: 4, alpha: 8 });
  assert.equal(loraAdapters(model).length, 2 * 7);
  const d = logitsDiff(model, expected);
  assert.ok(d < 1e-4, `logits differ from PEFT's by ${d}`);
  model.dispose();
});

test("merged logits equal unmerged logits, and the merged model saves as a plain folder", async () => {
  const model = loadModel(BASE);
  loadAdapter(model, ADAPTER);
  const expected = peftLogits();
  mergeLora(model);
  assert.equal(loraParameters(model).length, 0);
  assert.equal([...model.store.params.keys()].filter((n) => n.includes("lora_")).length, 0);
  const d = logitsDiff(model, expected);
  assert.ok(d < 1e-4, `merged logits differ from PEFT's (unmerged) by ${d}`);
  await withTempDir((dir) => {
    saveModel(model, dir);
    const again = loadModel(dir);
    assert.ok(logitsDiff(again, expected) < 1e-4);
    again.dispose();
  });
  model.dispose();
});

test("a model with adapters refuses to save as a plain folder", () => {
  const model = loadModel(BASE);
  applyLora(model, { rank: 2, alpha: 4, dropout: 0, targets: ["q_proj"] });
  assert.throws(() => saveModel(model, "/nonexistent"), /LoRA tensors .*saveAdapter or merge/);
  model.dispose();
});

test("saved adapters have PEFT's tensor names, shapes and config fields, and load back exactly", async () => {
  const model = loadModel(BASE);
  loadAdapter(model, ADAPTER);
  await withTempDir((dir) => {
    saveAdapter(model, dir, { baseModel: BASE });
    assert.deepEqual(shapesOf(join(dir, ADAPTER_WEIGHTS_FILE)), shapesOf(join(ADAPTER, ADAPTER_WEIGHTS_FILE)));
    const ours = JSON.parse(readFileSync(join(dir, ADAPTER_CONFIG_FILE), "utf8")) as Record<string, unknown>;
    const peft = JSON.parse(readFileSync(join(ADAPTER, ADAPTER_CONFIG_FILE), "utf8")) as Record<string, unknown>;
    for (const key of ["peft_type", "task_type", "r", "lora_alpha", "lora_dropout", "bias", "use_rslora", "use_dora"]) {
      assert.deepEqual(ours[key], peft[key], key);
    }
    assert.deepEqual([...(ours.target_modules as string[])].sort(), [...(peft.target_modules as string[])].sort());
    assert.equal(ours.base_model_name_or_path, BASE);
    const back = loadModel(BASE);
    loadAdapter(back, dir);
    const a = readTensors(join(ADAPTER, ADAPTER_WEIGHTS_FILE));
    for (const [name, t] of a) {
      const param = back.store.params.get(name.replace(/^base_model\.model\./, ""))!;
      assert.ok(Buffer.from(param.bytes()).equals(Buffer.from(t.bytes())), `${name} did not round-trip`);
    }
    back.dispose();
  });
  model.dispose();
});

test("adapter configs with PEFT features we do not implement are refused by name", async () => {
  await withTempDir(async (dir) => {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      join(dir, ADAPTER_CONFIG_FILE),
      JSON.stringify({ peft_type: "LORA", r: 4, target_modules: ["q_proj"], use_dora: true }),
    );
    assert.throws(() => readAdapterConfig(dir), /use_dora set: only plain LoRA/);
    writeFileSync(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify({ peft_type: "IA3", target_modules: ["q_proj"] }));
    assert.throws(() => readAdapterConfig(dir), /peft_type "IA3" is not supported/);
    assert.ok(!existsSync(join(dir, ADAPTER_WEIGHTS_FILE)));
  });
  const model = loadModel(BASE);
  assert.throws(
    () => applyLora(model, { rank: 2, alpha: 2, dropout: 0, targets: ["qkv"] }),
    /expected a non-empty list of q_proj/,
  );
  model.dispose();
});

test("only the adapters change in a training step, and each update ΔW = (α/r)·B·A has rank ≤ r", () => {
  const model = loadModel(BASE);
  const rank = 3;
  applyLora(model, { rank, alpha: 6, dropout: 0.1, targets: [...LORA_TARGETS] });
  const adapters = new Set(loraParameters(model));
  for (const p of model.parameters()) p.setRequiresGrad(adapters.has(p));
  const before = new Map([...model.store.params].map(([n, t]) => [n, Buffer.from(t.bytes())]));
  const io = readTensors(join(BASE, "io.safetensors"));
  const opt = adamW([...adapters], { lr: 1e-2 });
  for (let step = 0; step < 3; step++) {
    tidy(() => {
      const logits = model.forward({
        inputIds: io.get("input_ids")!,
        attentionMask: io.get("attention_mask")!,
      }).logits!;
      logits.logSoftmax(-1).select(2, 5).mean().neg().backward();
    });
    opt.step();
    opt.zeroGrad();
  }
  for (const [name, t] of model.store.params) {
    const same = Buffer.from(t.bytes()).equals(before.get(name)!);
    if (adapters.has(t) && name.includes("lora_B")) assert.ok(!same, `${name} (an adapter) did not change`);
    if (!adapters.has(t)) assert.ok(same, `${name} (frozen) changed`);
  }
  for (const { adapter } of loraAdapters(model)) {
    const s = noGrad(() => tidy(() => adapter.delta().svdvals().toList()));
    assert.ok(s[0]! > 1e-4, "the update should be non-zero after training");
    for (const tail of s.slice(rank)) assert.ok(tail < 1e-5 * s[0]!, `singular value ${tail} beyond rank ${rank}`);
  }
  for (const t of io.values()) t.dispose();
  model.dispose();
});
