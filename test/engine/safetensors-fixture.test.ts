/**
 * The committed Qwen2 fixtures, read through the TypeScript safetensors module: the checkpoint has
 * exactly HF's tensor names and shapes for its config, and a naive float64 TypeScript forward pass
 * reproduces the expected logits (Python reference) at every real position.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openCheckpoint } from "../../src/engine/checkpoint-folder.js";
import { openSafetensors, typedArrayOf, type TensorReader } from "../../src/engine/safetensors.js";
import { repoRoot } from "../support/helpers.js";
import { naiveQwen2Logits, readFloat, type Qwen2TinyConfig } from "../support/qwen2-naive.js";

function expectedShapes(c: Qwen2TinyConfig): Map<string, number[]> {
  const hd = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  const [d, f, q, kv] = [c.hidden_size, c.intermediate_size, c.num_attention_heads * hd, c.num_key_value_heads * hd];
  const m = new Map<string, number[]>([
    ["model.embed_tokens.weight", [c.vocab_size, d]],
    ["model.norm.weight", [d]],
  ]);
  if (!c.tie_word_embeddings) m.set("lm_head.weight", [c.vocab_size, d]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    m.set(p + "input_layernorm.weight", [d]).set(p + "post_attention_layernorm.weight", [d]);
    m.set(p + "self_attn.q_proj.weight", [q, d]).set(p + "self_attn.q_proj.bias", [q]);
    m.set(p + "self_attn.k_proj.weight", [kv, d]).set(p + "self_attn.k_proj.bias", [kv]);
    m.set(p + "self_attn.v_proj.weight", [kv, d]).set(p + "self_attn.v_proj.bias", [kv]);
    m.set(p + "self_attn.o_proj.weight", [d, q]);
    m.set(p + "mlp.gate_proj.weight", [f, d])
      .set(p + "mlp.up_proj.weight", [f, d])
      .set(p + "mlp.down_proj.weight", [d, f]);
  }
  return m;
}

function ints(io: TensorReader, name: string): number[][] {
  const [b, t] = io.entries.get(name)!.shape as [number, number];
  const flat = [...typedArrayOf("I64", io.read(name))].map(Number);
  return Array.from({ length: b }, (_, i) => flat.slice(i * t, (i + 1) * t));
}

function rows(flat: Float64Array, b: number, t: number, d: number): Float64Array[][] {
  return Array.from({ length: b }, (_, i) =>
    Array.from({ length: t }, (_, j) => flat.subarray((i * t + j) * d, (i * t + j + 1) * d)),
  );
}

for (const name of ["qwen2-tiny", "qwen2-tiny-untied"]) {
  test(`${name}: HF names and shapes; naive TS forward matches the expected logits`, () => {
    const dir = join(repoRoot, "test", "fixtures", name);
    const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Qwen2TinyConfig & { model_type: string };
    assert.equal(cfg.model_type, "qwen2");
    const ckpt = openCheckpoint(dir);
    const io = openSafetensors(join(dir, "io.safetensors"));
    try {
      const shapes = expectedShapes(cfg);
      assert.deepEqual([...ckpt.entries.keys()].sort(), [...shapes.keys()].sort());
      for (const [n, s] of shapes) assert.deepEqual(ckpt.entries.get(n)!.shape, s, n);

      const cache = new Map<string, Float64Array>();
      const w = (n: string): Float64Array => cache.get(n) ?? cache.set(n, readFloat(ckpt, n)).get(n)!;
      const [V, D] = [cfg.vocab_size, cfg.hidden_size];
      const ids = ints(io, "input_ids");
      const mask = ints(io, "attention_mask");
      const pos = ints(io, "position_ids");
      const [B, T] = [ids.length, ids[0]!.length];
      const embed = w("model.embed_tokens.weight");
      const embeds = ids.map((row) => row.map((id) => embed.subarray(id * D, (id + 1) * D)));
      const got = naiveQwen2Logits(cfg, w, embeds, mask, pos);
      const want = rows(readFloat(io, "logits"), B, T, V);
      let worst = 0;
      let compared = 0;
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          if (mask[b]![t] !== 1) continue;
          compared++;
          for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[b]![t]![v]! - want[b]![t]![v]!));
        }
      }
      assert.equal(compared, B * T - mask.flat().filter((m) => m === 0).length);
      assert.ok(worst < 1e-4, `max |logit diff| ${worst}`);

      // inputs_embeds case: no mask, positions 0..T-1.
      const es = io.entries.get("inputs_embeds")!.shape as [number, number, number];
      const e = rows(readFloat(io, "inputs_embeds"), es[0], es[1], D);
      const ones = e.map((r) => r.map(() => 1));
      const steps = e.map((r) => r.map((_, t) => t));
      const gotE = naiveQwen2Logits(cfg, w, e, ones, steps)
        .flat()
        .flatMap((x) => [...x]);
      const wantE = readFloat(io, "inputs_embeds_logits");
      const worstE = gotE.reduce((m, x, i) => Math.max(m, Math.abs(x - wantE[i]!)), 0);
      assert.ok(worstE < 1e-4, `inputs_embeds: max |logit diff| ${worstE}`);
    } finally {
      ckpt.close();
      io.close();
    }
  });
}
