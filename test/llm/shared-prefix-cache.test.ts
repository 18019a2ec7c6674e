/**
 * The shared-prefix cache of beam search against the plain KV cache (every beam holding its own copy
 * of the prompt, attention by SDPA over the concatenation): same logits at every step of a ragged
 * search (prompts with several beams, one beam, or none left), with left-padded prompts, grouped
 * query heads, a step feeding two tokens at once, and no tensor leaked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { int64, liveTensorCount, noGrad, tidy, type Tensor } from "../../src/engine/index.js";
import { extendMask } from "../../src/llm/attention-mask.js";
import { presetConfig } from "../../src/llm/config.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { SharedPrefixCache } from "../../src/llm/shared-prefix-cache.js";
import { maxAbsDiff } from "../support/helpers.js";

// Three left-padded prompts of lengths 5, 3 and 7.
const PROMPTS = [
  [0, 0, 5, 9, 13, 2, 7],
  [0, 0, 0, 0, 11, 3, 8],
  [4, 19, 22, 4, 30, 41, 6],
];
const MASK = PROMPTS.map((row, p) => row.map((_, i) => (i >= [2, 4, 0][p]! ? 1 : 0)));

/** Search steps: each new row's parent (rows of a prompt contiguous, in prompt order) and fed tokens. */
const STEPS: { parents: number[]; tokens: number[][] }[] = [
  { parents: [0, 0, 0, 1, 2, 2], tokens: [[3], [8], [12], [5], [6], [7]] },
  // Prompt 1 finished (no rows left); prompt 0 keeps two beams, reordered; prompt 2 forks one beam three ways.
  { parents: [2, 0, 5, 5, 5], tokens: [[9], [10], [11], [14], [15]] },
  // Two tokens at once (the mask is causal inside the step).
  {
    parents: [1, 0, 2, 4],
    tokens: [
      [16, 17],
      [18, 19],
      [20, 21],
      [22, 23],
    ],
  },
  { parents: [0, 3], tokens: [[24], [25]] },
];

test("beam steps over the shared-prefix cache give the plain cache's logits", () => {
  for (const kvHeads of [2, 4]) {
    const model = Qwen2Model.create(
      presetConfig("tiny", 50, {
        hidden_size: 32,
        intermediate_size: 48,
        num_attention_heads: 4,
        num_key_value_heads: kvHeads,
      }),
      { seed: 7 },
    );
    const live = liveTensorCount();
    noGrad(() =>
      tidy(() => {
        const ids = int64(PROMPTS.flat(), [3, 7]);
        let mask: Tensor = int64(MASK.flat(), [3, 7]);
        const plain = model.newCache();
        model.forward({ inputIds: ids, attentionMask: mask, cache: plain, logits: "last" });
        const primed = model.newCache();
        model.forward({ inputIds: ids, attentionMask: mask, cache: primed, logits: "last" });
        const shared = new SharedPrefixCache(primed);
        for (const [s, step] of STEPS.entries()) {
          const rows = int64(step.parents);
          const n = step.tokens[0]!.length;
          mask = extendMask(mask.indexSelect(0, rows), n);
          const tokens = int64(step.tokens.flat(), [step.parents.length, n]);
          plain.selectRows(rows);
          shared.selectRows(step.parents);
          const want = model.forward({ inputIds: tokens, attentionMask: mask, cache: plain }).logits!;
          const got = model.forward({ inputIds: tokens, attentionMask: mask, cache: shared }).logits!;
          assert.deepEqual(got.shape, want.shape);
          const diff = maxAbsDiff(got, want);
          assert.ok(diff < 1e-5, `kv heads ${kvHeads}, step ${s}: max |Δ logit| ${diff}`);
          assert.equal(shared.length, plain.length);
          assert.equal(shared.batchSize, step.parents.length);
        }
        plain.dispose();
        shared.dispose();
      }),
    );
    assert.equal(liveTensorCount(), live, "no tensor leaked");
    model.dispose();
  }
});
