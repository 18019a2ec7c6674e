/**
 * Logits parity with a reference Qwen2 implementation on tiny random configs (tied and untied).
 *
 * Limitation, stated plainly: this session had no GPU machine and no Hugging Face `transformers`, so
 * the fixtures come from `scripts/reference/qwen2_reference.py`, a plain-PyTorch implementation written
 * from the published Qwen2 equations (Debian python3-torch), self-checked in float64 against a loop
 * rewrite, KV-cached decoding and padding invariance. `test/fixtures/README.md` has the short script
 * that checks the fixtures against `transformers` on a machine that has it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { noGrad, tidy, type Tensor } from "../../src/engine/index.js";
import { openSafetensors } from "../../src/engine/safetensors.js";
import { loadEntry } from "../../src/engine/tensor-io.js";
import { loadModel } from "../../src/llm/checkpoint.js";
import { repoRoot } from "../support/helpers.js";

function readIo(dir: string): Map<string, Tensor> {
  const file = openSafetensors(join(dir, "io.safetensors"));
  const out = new Map<string, Tensor>();
  for (const [name, entry] of file.entries) out.set(name, loadEntry(entry).keep());
  file.close();
  return out;
}

/** Max |a − b| over positions where mask = 1 (padding outputs are implementation-defined). */
function maskedMaxDiff(a: Tensor, b: Tensor, mask: Tensor): number {
  return tidy(() => a.sub(b).abs().mul(mask.unsqueeze(-1).to("f32")).amax().item());
}

for (const name of ["qwen2-tiny", "qwen2-tiny-untied"]) {
  test(`${name}: logits and final hidden states match the reference within 1e-4 (f32)`, () => {
    const dir = join(repoRoot, "test", "fixtures", name);
    const model = loadModel(dir);
    const io = readIo(dir);
    noGrad(() =>
      tidy(() => {
        const mask = io.get("attention_mask")!;
        const out = model.forward({
          inputIds: io.get("input_ids")!,
          attentionMask: mask,
          positionIds: io.get("position_ids")!,
        });
        const dLogits = maskedMaxDiff(out.logits!, io.get("logits")!, mask);
        const dHidden = maskedMaxDiff(out.hidden, io.get("last_hidden_state")!, mask);
        assert.ok(dLogits < 1e-4, `logits differ by ${dLogits}`);
        assert.ok(dHidden < 1e-4, `hidden states differ by ${dHidden}`);
        // Positions derived from the mask (no explicit position ids) must give the same result.
        const derived = model.forward({ inputIds: io.get("input_ids")!, attentionMask: mask }).logits!;
        assert.ok(maskedMaxDiff(derived, io.get("logits")!, mask) < 1e-4);
        const embeds = model.forward({ inputsEmbeds: io.get("inputs_embeds")! }).logits!;
        const dEmbeds = tidy(() => embeds.sub(io.get("inputs_embeds_logits")!).abs().amax().item());
        assert.ok(dEmbeds < 1e-4, `inputs_embeds logits differ by ${dEmbeds}`);
      }),
    );
    for (const t of io.values()) t.dispose();
    model.dispose();
  });
}
