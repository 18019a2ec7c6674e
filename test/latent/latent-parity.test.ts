import { test } from "node:test";
import assert from "node:assert/strict";
import { int64, noGrad, tidy, type Tensor } from "../../src/engine/index.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { presetConfig } from "../../src/llm/config.js";
import { LatentReasoner, type LatentReadout } from "../../src/latent/latent-reasoner.js";
import { twoPassLatentForward } from "../../src/latent/two-pass.js";
import { maxAbsDiff } from "../support/helpers.js";

const PLACEHOLDER = 47;

function setup(numLatents: number, readout: LatentReadout = "ratt", seed = 11) {
  const config = presetConfig("tiny", 48, {
    hidden_size: 32,
    intermediate_size: 64,
    num_attention_heads: 4,
    num_key_value_heads: 2,
  });
  const model = Qwen2Model.create(config, { seed });
  const reasoner = new LatentReasoner(model, { numLatents, readout });
  // Left-padded prompts (row 0 shorter) and right-padded answers (row 1 shorter).
  const promptIds = int64([0, 0, 5, 9, 13, 2, 11, 3, 3, 8, 19, 22], [2, 6]);
  const promptMask = int64([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [2, 6]);
  const answerIds = int64([7, 30, 41, 4, 16, 44, 0, 0], [2, 4]);
  const answerMask = int64([1, 1, 1, 1, 1, 1, 0, 0], [2, 4]);
  return { model, reasoner, promptIds, promptMask, answerIds, answerMask };
}

function cachedPredicting(s: ReturnType<typeof setup>): { latents: Tensor[]; predicting: Tensor } {
  const thought = s.reasoner.think(s.promptIds, s.promptMask);
  const last = thought.latents[thought.latents.length - 1]!;
  const hidden = s.reasoner.answer(thought, last, s.answerIds, s.answerMask);
  thought.cache.dispose();
  return { latents: thought.latents, predicting: hidden.narrow(1, 0, s.answerIds.dim(1)) };
}

for (const n of [1, 2, 3]) {
  test(`cached and two-pass latent formulations agree (N = ${n}): latents and answer states`, () => {
    const s = setup(n);
    noGrad(() =>
      tidy(() => {
        const cached = cachedPredicting(s);
        const reference = twoPassLatentForward(
          s.reasoner,
          PLACEHOLDER,
          s.promptIds,
          s.promptMask,
          s.answerIds,
          s.answerMask,
        );
        for (let i = 0; i < n; i++) {
          const d = maxAbsDiff(cached.latents[i]!, reference.latents[i]!);
          assert.ok(d < 1e-5, `latent ${i + 1} differs by ${d}`);
        }
        // Compare only real answer positions (row 1's padded tail predicts nothing).
        const d0 = maxAbsDiff(cached.predicting.narrow(0, 0, 1), reference.predicting.narrow(0, 0, 1));
        const d1 = maxAbsDiff(
          cached.predicting.narrow(0, 1, 1).narrow(1, 0, 3),
          reference.predicting.narrow(0, 1, 1).narrow(1, 0, 3),
        );
        assert.ok(d0 < 1e-5 && d1 < 1e-5, `answer states differ by ${Math.max(d0, d1)}`);
        // The latent is not trivially zero: the comparison would be vacuous otherwise.
        assert.ok(cached.latents[0]!.abs().amax().item() > 1e-4);
      }),
    );
    s.reasoner.dispose();
    s.model.dispose();
  });
}

test("cached and two-pass formulations give the same gradients (LLM and LatentRATT)", () => {
  const grads = (useCache: boolean): number[][] => {
    const s = setup(2, "ratt", 12);
    tidy(() => {
      const predicting = useCache
        ? cachedPredicting(s).predicting
        : twoPassLatentForward(s.reasoner, PLACEHOLDER, s.promptIds, s.promptMask, s.answerIds, s.answerMask)
            .predicting;
      predicting.square().sum().backward();
    });
    const names = [
      "latent_ratt.q_proj.weight",
      "latent_ratt.v_proj.bias",
      "model.layers.0.self_attn.k_proj.weight",
      "model.embed_tokens.weight",
    ];
    const out = names.map((n) => tidy(() => s.model.store.params.get(n)!.grad!.toList()));
    s.reasoner.dispose();
    s.model.dispose();
    return out;
  };
  // The loss includes row 1's padded answer tail; both formulations compute those positions the
  // same way (a padding query attends to itself), so the gradients must agree there too.
  const a = grads(true);
  const b = grads(false);
  for (let i = 0; i < a.length; i++) {
    const diff = Math.max(...a[i]!.map((x, j) => Math.abs(x - b[i]![j]!)));
    const scale = Math.max(...a[i]!.map(Math.abs));
    assert.ok(scale > 0, `gradient ${i} is zero`);
    assert.ok(diff <= 1e-4 * Math.max(1, scale), `gradient ${i} differs by ${diff} (scale ${scale})`);
  }
});

test("the placeholder token's embedding has no effect on the latent", () => {
  const s = setup(1);
  noGrad(() =>
    tidy(() => {
      const a = twoPassLatentForward(s.reasoner, PLACEHOLDER, s.promptIds, s.promptMask, s.answerIds, s.answerMask);
      // Scramble the placeholder's embedding row and use a different placeholder id altogether.
      const embed = s.model.store.params.get("model.embed_tokens.weight")!;
      embed.narrow(0, PLACEHOLDER, 1).normal_(0, 5);
      const b = twoPassLatentForward(s.reasoner, PLACEHOLDER, s.promptIds, s.promptMask, s.answerIds, s.answerMask);
      const c = twoPassLatentForward(s.reasoner, 1, s.promptIds, s.promptMask, s.answerIds, s.answerMask);
      assert.equal(maxAbsDiff(a.latents[0]!, b.latents[0]!), 0);
      assert.equal(maxAbsDiff(a.latents[0]!, c.latents[0]!), 0);
      assert.equal(maxAbsDiff(a.predicting, b.predicting), 0);
    }),
  );
  s.reasoner.dispose();
  s.model.dispose();
});

test("w/o LatentRATT reads the last prompt position's final hidden state", () => {
  const s = setup(1, "last-hidden");
  noGrad(() =>
    tidy(() => {
      const thought = s.reasoner.think(s.promptIds, s.promptMask);
      const hidden = s.model.forward({ inputIds: s.promptIds, attentionMask: s.promptMask, logits: "none" }).hidden;
      assert.ok(maxAbsDiff(thought.latents[0]!, hidden.select(1, 5)) < 1e-6);
      assert.equal(s.reasoner.rattParameters().length, 0);
      thought.cache.dispose();
    }),
  );
  s.model.dispose();
});
