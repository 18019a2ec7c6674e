import { test } from "node:test";
import assert from "node:assert/strict";
import { Generator, int64, noGrad, tidy } from "../../src/engine/index.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { presetConfig } from "../../src/llm/config.js";
import { TitleTrie } from "../../src/decode/title-trie.js";
import { constrainedBeamSearch } from "../../src/decode/beam-search.js";
import { primeChainOfThought, primePlain } from "../../src/decode/prime.js";
import { EOS, SEQUENCES, TITLES, VOCAB } from "../support/toy-catalogue.js";

// Different lengths, so left padding and mask-derived positions are exercised.
const PROMPTS = [
  [3, 4, 22, 23, 24],
  [25, 26, 27],
  [30, 31, 32, 33, 34, 35],
];

function setup() {
  const model = Qwen2Model.create(presetConfig("tiny", VOCAB, { hidden_size: 32, intermediate_size: 64 }), { seed: 5 });
  // Sharper logits: greedy choices are then far from ties, so cached and uncached runs agree.
  noGrad(() => model.store.params.get("model.embed_tokens.weight")!.mul_(40));
  return { model, trie: TitleTrie.build({ sequences: SEQUENCES, titles: TITLES, eos: EOS }) };
}

function leftPadded(prompts: number[][]) {
  const width = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.flatMap((p) => [...new Array<number>(width - p.length).fill(0), ...p]);
  const mask = prompts.flatMap((p) => [...new Array<number>(width - p.length).fill(0), ...p.map(() => 1)]);
  return { ids: int64(ids, [prompts.length, width]), mask: int64(mask, [prompts.length, width]) };
}

/** Greedy continuation by full uncached forward passes over one unpadded prompt: [tokens, next logits]. */
function naiveGreedy(model: Qwen2Model, prompt: number[], steps: number): { tokens: number[]; logits: number[] } {
  const seq = [...prompt];
  for (let i = 0; ; i++) {
    const logits = tidy(() =>
      model
        .forward({ inputIds: int64(seq, [1, seq.length]), logits: "last" })
        .logits!.reshape([-1])
        .toList(),
    );
    if (i === steps) return { tokens: seq.slice(prompt.length), logits };
    seq.push(logits.indexOf(Math.max(...logits)));
  }
}

const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

test("chain of thought with T = 0 is primePlain", () => {
  const { model } = setup();
  noGrad(() =>
    tidy(() => {
      const { ids, mask } = leftPadded(PROMPTS);
      const plain = primePlain(model, ids, mask);
      const cot = primeChainOfThought(model, ids, mask, 0);
      assert.equal(cot.cache.length, plain.cache.length);
      assert.deepEqual(cot.mask.toList(), plain.mask.toList());
      assert.equal(maxAbsDiff(cot.logits.toList(), plain.logits.toList()), 0);
      plain.cache.dispose();
      cot.cache.dispose();
    }),
  );
  model.dispose();
});

test("chain of thought with T > 0 extends the cache by T greedy tokens, batched like one prompt at a time", () => {
  const { model } = setup();
  const T = 6;
  noGrad(() =>
    tidy(() => {
      const { ids, mask } = leftPadded(PROMPTS);
      const cot = primeChainOfThought(model, ids, mask, T);
      const width = ids.dim(1);
      assert.equal(cot.cache.length, width + T);
      assert.deepEqual(cot.mask.shape, [PROMPTS.length, width + T]);
      const maskRows = cot.mask.toList();
      PROMPTS.forEach((prompt, p) => {
        const row = maskRows.slice(p * (width + T), (p + 1) * (width + T));
        assert.equal(
          row.reduce((s, x) => s + x, 0),
          prompt.length + T,
          `prompt ${p}: real positions`,
        );
        // The batched, cached, left-padded run reaches the same next-token logits as the naive one.
        const naive = naiveGreedy(model, prompt, T);
        const got = cot.logits.narrow(0, p, 1).reshape([-1]).toList();
        assert.ok(
          maxAbsDiff(got, naive.logits) < 1e-3,
          `prompt ${p}: logits differ by ${maxAbsDiff(got, naive.logits)}`,
        );
      });
      cot.cache.dispose();
    }),
  );
  model.dispose();
});

test("after a chain of thought the constrained beam search still returns only catalogue titles", () => {
  const { model, trie } = setup();
  noGrad(() =>
    tidy(() => {
      const { ids, mask } = leftPadded(PROMPTS);
      const primed = primeChainOfThought(model, ids, mask, 8);
      const result = constrainedBeamSearch(model, trie, primed, { beams: 4, lengthPenalty: 1 });
      for (const hyps of result.hypotheses) {
        assert.ok(hyps.length > 0);
        for (const h of hyps) {
          assert.ok(
            SEQUENCES.some((s) => s.join() === h.tokens.join()),
            `not a title: ${h.tokens}`,
          );
          assert.equal(trie.titlesAt(h.node).length, 1);
        }
        for (let i = 1; i < hyps.length; i++) assert.ok(hyps[i - 1]!.score >= hyps[i]!.score);
      }
      primed.cache.dispose();
    }),
  );
  model.dispose();
});

test("chain of thought rejects a negative or fractional budget", () => {
  const { model } = setup();
  const { ids, mask } = leftPadded(PROMPTS);
  assert.throws(() => primeChainOfThought(model, ids, mask, -1), RangeError);
  assert.throws(() => primeChainOfThought(model, ids, mask, 1.5), RangeError);
  ids.dispose();
  mask.dispose();
  model.dispose();
});

/** Full uncached forward over one unpadded sequence: the last position's logits. */
function naiveLogits(model: Qwen2Model, seq: number[]): number[] {
  return tidy(() =>
    model
      .forward({ inputIds: int64(seq, [1, seq.length]), logits: "last" })
      .logits!.reshape([-1])
      .toList(),
  );
}

test("reasoning that stops early (EOS dropped, stop token kept) is followed by each row's answer prefix, as if decoded alone", () => {
  const { model } = setup();
  const T = 6;
  const greedy = PROMPTS.map((p) => naiveGreedy(model, p, T).tokens);
  // EOS = the third prompt's 4th greedy token; the first two rows stop after 2 and 4 tokens by rule.
  const eosId = greedy[2]![3]!;
  const stopAfter = [2, 4, Infinity];
  const prefixes = [[36], [37, 38], [39, 36, 37]];
  const expected = greedy.map((tokens, r) => {
    const kept: number[] = [];
    for (const t of tokens) {
      if (t === eosId) break;
      kept.push(t);
      if (kept.length === stopAfter[r]) break;
    }
    return kept;
  });
  noGrad(() =>
    tidy(() => {
      const { ids, mask } = leftPadded(PROMPTS);
      const cot = primeChainOfThought(model, ids, mask, T, {
        eosId,
        stop: (row, reasoning) => reasoning.length === stopAfter[row],
        answerPrefix: (row) => prefixes[row]!,
      });
      assert.deepEqual(cot.reasoning, expected);
      assert.ok(expected[2]!.length < T, "the EOS row stopped early");
      PROMPTS.forEach((prompt, p) => {
        const naive = naiveLogits(model, [...prompt, ...expected[p]!, ...prefixes[p]!]);
        const got = cot.logits.narrow(0, p, 1).reshape([-1]).toList();
        assert.ok(maxAbsDiff(got, naive) < 1e-3, `prompt ${p}: logits differ by ${maxAbsDiff(got, naive)}`);
      });
      cot.cache.dispose();
    }),
  );
  model.dispose();
});

test("sampled reasoning is reproducible by seed, differs across seeds, and is greedy when top-p keeps one token", () => {
  const { model } = setup();
  const run = (seed: number, temperature: number, topP: number) =>
    noGrad(() =>
      tidy(() => {
        const { ids, mask } = leftPadded(PROMPTS);
        const cot = primeChainOfThought(model, ids, mask, 8, {
          sampling: { temperature, topP, generator: new Generator(seed) },
        });
        cot.cache.dispose();
        return cot.reasoning;
      }),
    );
  // A high temperature flattens the sharpened logits, so two seeds almost surely differ.
  assert.deepEqual(run(3, 50, 1), run(3, 50, 1));
  assert.notDeepEqual(run(3, 50, 1), run(4, 50, 1));
  const greedy = PROMPTS.map((p) => naiveGreedy(model, p, 8).tokens);
  assert.deepEqual(run(3, 50, 1e-9), greedy);
  model.dispose();
});

test("early stopping without an answer prefix is refused", () => {
  const { model } = setup();
  const { ids, mask } = leftPadded(PROMPTS);
  assert.throws(() => primeChainOfThought(model, ids, mask, 2, { eosId: 1 }), /answerPrefix/);
  ids.dispose();
  mask.dispose();
  model.dispose();
});
