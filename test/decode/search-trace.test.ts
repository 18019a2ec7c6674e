import { test } from "node:test";
import assert from "node:assert/strict";
import { int64, noGrad, tidy } from "../../src/engine/index.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { presetConfig } from "../../src/llm/config.js";
import { TitleTrie } from "../../src/decode/title-trie.js";
import { constrainedBeamSearch, type SearchStep } from "../../src/decode/beam-search.js";
import { primePlain } from "../../src/decode/prime.js";

const EOS = 1;
const SEQUENCES = [
  [5, 6, 7, EOS],
  [5, 6, 8, 9, EOS],
  [5, 10, EOS],
  [11, 12, 13, 14, 15, EOS],
  [17, EOS],
];

test("onStep traces every step: gathered log-probs, then the kept rows and fed tokens (none after the last)", () => {
  const model = Qwen2Model.create(presetConfig("tiny", 30, { hidden_size: 32, intermediate_size: 64 }), { seed: 3 });
  const trie = TitleTrie.build({ sequences: SEQUENCES, titles: SEQUENCES.map((_, i) => `t${i}`), eos: EOS });
  noGrad(() =>
    tidy(() => {
      const ids = int64([3, 4, 20, 21, 22, 23], [2, 3]);
      const mask = int64([1, 1, 1, 1, 1, 1], [2, 3]);
      const steps: SearchStep[] = [];
      const primed = primePlain(model, ids, mask);
      const result = constrainedBeamSearch(model, trie, primed, { beams: 3, onStep: (s) => steps.push(s) });
      assert.equal(steps.length, result.steps);
      // First step: one beam per prompt, each may take any first title token.
      assert.equal(steps[0]!.gathered, 2 * trie.allowedTokens(trie.root).length);
      steps.forEach((s, i) => {
        const last = i === steps.length - 1;
        assert.equal(s.parents === undefined, last, `step ${i}`);
        if (!last) {
          assert.equal(s.tokens!.length, s.parents!.length);
          assert.ok(s.parents!.length <= 2 * 3);
        }
      });
      // Without a hook the search is the same.
      const primedAgain = primePlain(model, ids, mask);
      const again = constrainedBeamSearch(model, trie, primedAgain, { beams: 3 });
      primed.cache.dispose();
      primedAgain.cache.dispose();
      assert.deepEqual(
        again.hypotheses.map((h) => h.map((x) => x.tokens)),
        result.hypotheses.map((h) => h.map((x) => x.tokens)),
      );
    }),
  );
  model.dispose();
});
