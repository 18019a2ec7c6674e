import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { cat, int64, liveTensorCount, noGrad, tidy, tensor, full } from "../../src/engine/index.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { presetConfig, type Qwen2Config } from "../../src/llm/config.js";
import { loadModel, saveModel } from "../../src/llm/checkpoint.js";
import { maxAbsDiff, withTempDir } from "../support/helpers.js";

function tinyConfig(overrides: Partial<Qwen2Config> = {}): Qwen2Config {
  return presetConfig("tiny", 50, {
    hidden_size: 32,
    intermediate_size: 48,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    ...overrides,
  });
}

const ids = [
  [5, 9, 13, 2, 7, 30, 41],
  [11, 3, 3, 8, 19, 22, 4],
];

test("KV-cached incremental decoding gives the same logits as a full forward pass", () => {
  const model = Qwen2Model.create(tinyConfig(), { seed: 1 });
  noGrad(() =>
    tidy(() => {
      const input = int64(ids.flat(), [2, 7]);
      const full = model.forward({ inputIds: input }).logits!;
      const cache = model.newCache();
      const prefix = model.forward({ inputIds: input.narrow(1, 0, 4), cache }).logits!;
      const steps = [prefix];
      for (let t = 4; t < 7; t++) steps.push(model.forward({ inputIds: input.narrow(1, t, 1), cache }).logits!);
      const incremental = cat(steps, 1);
      assert.ok(maxAbsDiff(full, incremental) < 1e-5, `max diff ${maxAbsDiff(full, incremental)}`);
      cache.dispose();
    }),
  );
  model.dispose();
});

test("a left-padded batch gives the same logits at real positions as unpadded single rows", () => {
  const model = Qwen2Model.create(tinyConfig(), { seed: 2 });
  noGrad(() =>
    tidy(() => {
      const short = [7, 30, 41];
      const long = ids[1]!;
      const padded = int64([0, 0, 0, 0, ...short, ...long], [2, 7]);
      const mask = int64([0, 0, 0, 0, 1, 1, 1, ...Array(7).fill(1)], [2, 7]);
      const batch = model.forward({ inputIds: padded, attentionMask: mask }).logits!;
      const alone = model.forward({ inputIds: int64(short, [1, 3]) }).logits!;
      const aloneLong = model.forward({ inputIds: int64(long, [1, 7]) }).logits!;
      assert.ok(maxAbsDiff(batch.narrow(0, 0, 1).narrow(1, 4, 3), alone) < 1e-5);
      assert.ok(maxAbsDiff(batch.narrow(0, 1, 1), aloneLong) < 1e-5);
      assert.ok(!batch.isnan().any().item(), "padding positions must not produce NaN");
    }),
  );
  model.dispose();
});

test("cached decoding with left padding matches the full padded forward", () => {
  const model = Qwen2Model.create(tinyConfig(), { seed: 3 });
  noGrad(() =>
    tidy(() => {
      const padded = int64([0, 0, 5, 9, 13, 2, ...ids[1]!.slice(0, 6)], [2, 6]);
      const mask = int64([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [2, 6]);
      const fullOut = model.forward({ inputIds: padded, attentionMask: mask }).logits!;
      const cache = model.newCache();
      const a = model.forward({ inputIds: padded.narrow(1, 0, 5), attentionMask: mask.narrow(1, 0, 5), cache }).logits!;
      const b = model.forward({ inputIds: padded.narrow(1, 5, 1), attentionMask: mask, cache }).logits!;
      assert.ok(maxAbsDiff(fullOut.narrow(1, 5, 1), b) < 1e-5);
      assert.ok(maxAbsDiff(fullOut.narrow(1, 2, 3), a.narrow(1, 2, 3)) < 1e-5);
      cache.dispose();
    }),
  );
  model.dispose();
});

test("inputsEmbeds equal to the token embeddings reproduce the token-id forward", () => {
  const model = Qwen2Model.create(tinyConfig({ tie_word_embeddings: false }), { seed: 4 });
  noGrad(() =>
    tidy(() => {
      const input = int64(ids[0]!, [1, 7]);
      const a = model.forward({ inputIds: input }).logits!;
      const b = model.forward({ inputsEmbeds: model.embedTokens(input) }).logits!;
      assert.equal(maxAbsDiff(a, b), 0);
    }),
  );
  model.dispose();
});

test("KV cache beam reordering and expansion select the right rows", () => {
  const model = Qwen2Model.create(tinyConfig(), { seed: 5 });
  noGrad(() =>
    tidy(() => {
      const input = int64(ids.flat(), [2, 7]);
      const cache = model.newCache();
      model.forward({ inputIds: input.narrow(1, 0, 6), cache, logits: "none" });
      cache.repeatRows(2); // rows: 0,0,1,1
      cache.selectRows([3, 0]); // rows: 1,0
      const next = int64([ids[1]![6]!, ids[0]![6]!], [2, 1]);
      const step = model.forward({ inputIds: next, cache }).logits!;
      const reference = model.forward({ inputIds: int64([...ids[1]!, ...ids[0]!], [2, 7]) }).logits!.narrow(1, 6, 1);
      assert.ok(maxAbsDiff(step, reference) < 1e-5);
      cache.dispose();
    }),
  );
  model.dispose();
});

test("save then load round-trips the weights exactly, single-file and sharded, tied and untied", async () => {
  for (const tied of [true, false]) {
    for (const maxShardBytes of [undefined, 20_000]) {
      await withTempDir((dir) => {
        const model = Qwen2Model.create(tinyConfig({ tie_word_embeddings: tied }), { seed: 6 });
        saveModel(model, dir, { maxShardBytes });
        const loaded = loadModel(dir);
        assert.equal(loaded.config.tie_word_embeddings, tied);
        noGrad(() =>
          tidy(() => {
            const input = int64(ids[0]!, [1, 7]);
            assert.equal(
              maxAbsDiff(model.forward({ inputIds: input }).logits!, loaded.forward({ inputIds: input }).logits!),
              0,
            );
          }),
        );
        model.dispose();
        loaded.dispose();
      });
    }
  }
});

test("bf16 parameters load and run", async () => {
  await withTempDir((dir) => {
    const model = Qwen2Model.create(tinyConfig(), { seed: 7 });
    saveModel(model, dir, { dtype: "bf16" });
    const loaded = loadModel(dir, { dtype: "bf16" });
    assert.equal(loaded.dtype, "bf16");
    noGrad(() =>
      tidy(() => {
        const input = int64(ids[0]!, [1, 7]);
        const diff = maxAbsDiff(
          model.forward({ inputIds: input }).logits!,
          loaded.forward({ inputIds: input }).logits!,
        );
        assert.ok(diff < 0.05, `bf16 logits drifted by ${diff}`);
      }),
    );
    model.dispose();
    loaded.dispose();
  });
});

test("loading reports missing folders, configs, model types, tensors and shape mismatches clearly", async () => {
  assert.throws(() => loadModel("/nonexistent/model"), /\/nonexistent\/model: no such folder/);
  await withTempDir((dir) => {
    assert.throws(() => loadModel(dir), /config.json is missing/);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "llama" }));
    assert.throws(() => loadModel(dir), /unsupported model_type "llama"/);
    const model = Qwen2Model.create(tinyConfig(), { seed: 8 });
    saveModel(model, dir);
    // Same weights, but a config with one more layer: the loader must list what is missing.
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...model.config, num_hidden_layers: 3 }));
    assert.throws(() => loadModel(dir), /lacks 12 parameter\(s\): model\.layers\.2\./);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...model.config, intermediate_size: 64 }));
    assert.throws(
      () => loadModel(dir),
      /mlp\.gate_proj\.weight has shape \[48,32\] in the checkpoint but the config implies \[64,32\]/,
    );
    model.dispose();
  });
  await withTempDir((dir) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.json"), JSON.stringify(tinyConfig()));
    assert.throws(() => loadModel(dir), /safetensors/);
  });
});

test("forward rejects a mask that does not cover cache + input", () => {
  const model = Qwen2Model.create(tinyConfig(), { seed: 9 });
  tidy(() => {
    assert.throws(
      () => model.forward({ inputIds: int64([1, 2, 3], [1, 3]), attentionMask: full([1, 2], 1, { dtype: "i64" }) }),
      /attentionMask covers 2 positions/,
    );
    assert.throws(() => model.forward({ inputIds: int64([1], [1, 1]), inputsEmbeds: tensor([[[0]]]) }), /exactly one/);
  });
  model.dispose();
});

test("forward frees each layer's intermediates at once, with and without autograd", () => {
  // Tensors still alive inside the caller's scope after one forward: a few per call plus one layer
  // output per layer, never a whole layer's worth of intermediates per layer.
  const liveAfterForward = (layers: number, grad: boolean): number => {
    const model = Qwen2Model.create(tinyConfig({ num_hidden_layers: layers }), { seed: 5 });
    const run = () =>
      tidy(() => {
        const before = liveTensorCount();
        const { logits } = model.forward({ inputIds: int64(ids.flat(), [2, 7]) });
        const live = liveTensorCount() - before;
        if (grad) {
          logits!.sum().backward();
          assert.ok(
            model.parameters().every((p) => p.grad !== null),
            "every parameter gets a gradient",
          );
        }
        return live;
      });
    const live = grad ? run() : noGrad(run);
    model.dispose();
    return live;
  };
  for (const grad of [false, true]) {
    const extra = liveAfterForward(6, grad) - liveAfterForward(2, grad);
    assert.ok(extra <= 4, `4 more layers left ${extra} more live tensors (grad ${grad})`);
  }
});
