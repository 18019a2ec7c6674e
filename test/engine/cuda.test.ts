/**
 * What only a GPU can check (scripts/gpu-check.sh runs this file on a CUDA build; on a CPU build every
 * test skips, saying why): device placement of tensors and models, the fused attention branch of
 * libtorch ≥ 2.1 against the composed formula, bf16 autocast on CUDA, and gradient checkpointing
 * whose backward runs on libtorch's CUDA engine thread (the recompute is handed to the JS thread).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  autocast,
  cudaAvailable,
  engineInfo,
  noGrad,
  randn,
  scaledDotProductAttention,
  tensor,
  tidy,
  type Tensor,
} from "../../src/engine/index.js";
import { openSafetensors } from "../../src/engine/safetensors.js";
import { loadEntry } from "../../src/engine/tensor-io.js";
import { loadModel } from "../../src/llm/checkpoint.js";
import { applyLora, loraParameters } from "../../src/llm/lora.js";
import type { Qwen2Model } from "../../src/llm/qwen2.js";
import { repoRoot } from "../support/helpers.js";

const skip = cudaAvailable()
  ? false
  : "no CUDA device in this libtorch build (scripts/gpu-check.sh runs these on a GPU)";
const FIXTURE = join(repoRoot, "test", "fixtures", "qwen2-tiny");

function io(device: string): Map<string, Tensor> {
  const file = openSafetensors(join(FIXTURE, "io.safetensors"));
  const out = new Map([...file.entries].map(([n, e]) => [n, loadEntry(e, { device }).keep()] as [string, Tensor]));
  file.close();
  return out;
}

const logitsOf = (model: Qwen2Model, inputs: Map<string, Tensor>) =>
  model.forward({ inputIds: inputs.get("input_ids")!, attentionMask: inputs.get("attention_mask")! }).logits!;

test("tensors and models live on the GPU and give the CPU's results", { skip }, () => {
  tidy(() => {
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device: "cuda" },
    );
    const b = a.matmul(a).add(1);
    assert.match(b.device, /^cuda/);
    assert.deepEqual(b.toList(), [8, 11, 16, 23]);
  });
  const cpu = loadModel(FIXTURE);
  const gpu = loadModel(FIXTURE, { device: "cuda", dtype: "f32" });
  assert.ok(gpu.parameters().every((p) => p.device.startsWith("cuda")));
  const d = noGrad(() =>
    tidy(() => {
      const onGpu = logitsOf(gpu, io("cuda"));
      assert.match(onGpu.device, /^cuda/);
      const mask = io("cpu").get("attention_mask")!.unsqueeze(-1).to("f32");
      return onGpu
        .to("cpu")
        .sub(logitsOf(cpu, io("cpu")))
        .abs()
        .mul(mask)
        .amax()
        .item();
    }),
  );
  // TF32 matmuls (on by default for cuDNN only) or reduction order may differ slightly from the CPU.
  assert.ok(d < 1e-2, `GPU logits differ from CPU logits by ${d}`);
  cpu.dispose();
  gpu.dispose();
});

test("the fused scaled-dot-product attention kernel matches the composed formula", { skip }, () => {
  assert.equal(
    engineInfo().fusedAttention,
    engineInfo().major > 2 || (engineInfo().major === 2 && engineInfo().minor >= 1),
  );
  tidy(() => {
    const [q, k, v] = [0, 1, 2].map(() => randn([2, 4, 16, 32], { device: "cuda" }));
    const keep = tensor(
      Array.from({ length: 16 }, (_, i) => Array.from({ length: 16 }, (_, j) => j <= i)),
      {
        device: "cuda",
      },
    );
    const fused = scaledDotProductAttention(q!, k!, v!, { mask: keep });
    const scores = q!.matmul(k!.transpose(-2, -1)).div(Math.sqrt(32)).maskedFill(keep.logicalNot(), -Infinity);
    const composed = scores.softmax(-1).matmul(v!);
    const causal = scaledDotProductAttention(q!, k!, v!, { causal: true });
    assert.ok(fused.sub(composed).abs().amax().item() < 1e-3);
    assert.ok(causal.sub(composed).abs().amax().item() < 1e-3);
  });
});

test("bf16 autocast on CUDA: f32 logits close to the f32 forward", { skip }, () => {
  const model = loadModel(FIXTURE, { device: "cuda", dtype: "f32" });
  const inputs = io("cuda");
  const d = noGrad(() =>
    tidy(() => {
      const f32 = logitsOf(model, inputs);
      const bf16 = autocast("cuda", "bf16", () => logitsOf(model, inputs));
      assert.equal(bf16.dtype, "f32");
      const mask = inputs.get("attention_mask")!.unsqueeze(-1).to("f32");
      return bf16.sub(f32).abs().mul(mask).amax().item();
    }),
  );
  assert.ok(d > 0 && d < 0.5, `bf16 logits differ by ${d} (largest logit about 11)`);
  model.dispose();
});

test("gradient checkpointing with backward on the CUDA engine thread: same gradients", { skip }, () => {
  const model = loadModel(FIXTURE, { device: "cuda", dtype: "f32" });
  applyLora(model, { rank: 4, alpha: 8, dropout: 0, targets: ["q_proj", "v_proj", "down_proj"] });
  for (const p of loraParameters(model)) tidy(() => p.normal_(0, 0.1));
  const inputs = io("cuda");
  const grads = (checkpointing: boolean) => {
    model.gradientCheckpointing = checkpointing;
    tidy(() => logitsOf(model, inputs).logSoftmax(-1).select(2, 3).mean().neg().backward());
    return model.parameters().map((p) => {
      const g = p.grad;
      const values = g ? tidy(() => g.to("cpu").toList()) : [];
      p.clearGrad();
      return values;
    });
  };
  const plain = grads(false);
  const checkpointed = grads(true);
  plain.forEach((g, i) => {
    const diff = Math.max(0, ...g.map((v, j) => Math.abs(v - checkpointed[i]![j]!)));
    assert.ok(diff < 1e-5, `parameter ${i}: gradients differ by ${diff}`);
  });
  model.dispose();
});
