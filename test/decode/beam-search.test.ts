import { test } from "node:test";
import assert from "node:assert/strict";
import { int64, noGrad, tidy } from "../../src/engine/index.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { presetConfig } from "../../src/llm/config.js";
import { TitleTrie } from "../../src/decode/title-trie.js";
import { constrainedBeamSearch, type Hypothesis } from "../../src/decode/beam-search.js";
import { primeLatent, primePlain } from "../../src/decode/prime.js";
import { LatentReasoner } from "../../src/latent/latent-reasoner.js";
import { EOS, SEQUENCES, TITLES, VOCAB } from "../support/toy-catalogue.js";

const PROMPTS = [
  [3, 4, 22, 23, 24],
  [25, 26, 27],
  [30, 31, 32, 33, 34, 35],
];

function setup(seed = 21) {
  const config = presetConfig("tiny", VOCAB, { hidden_size: 32, intermediate_size: 64 });
  const model = Qwen2Model.create(config, { seed });
  // Sharpen the random model so scores are well separated (ties would make orders arbitrary).
  noGrad(() => model.store.params.get("model.embed_tokens.weight")!.mul_(40));
  const trie = TitleTrie.build({ sequences: SEQUENCES, titles: TITLES, eos: EOS });
  return { model, trie };
}

function leftPadded(prompts: number[][]) {
  const width = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.flatMap((p) => [...new Array<number>(width - p.length).fill(0), ...p]);
  const mask = prompts.flatMap((p) => [...new Array<number>(width - p.length).fill(0), ...p.map(() => 1)]);
  return { ids: int64(ids, [prompts.length, width]), mask: int64(mask, [prompts.length, width]) };
}

/** Σ full-vocabulary log-probs of `answer` after `prompt`, by one uncached forward pass. */
function sequenceLogProb(model: Qwen2Model, prompt: number[], answer: number[]): number {
  return tidy(() => {
    const ids = int64([...prompt, ...answer], [1, prompt.length + answer.length]);
    const logp = model.forward({ inputIds: ids }).logits!.logSoftmax(-1).reshape([-1, VOCAB]).toList();
    return answer.reduce((s, tok, i) => s + logp[(prompt.length - 1 + i) * VOCAB + tok]!, 0);
  });
}

/**
 * An independent, deliberately naive implementation of the same beam rules: no cache, no batching,
 * every beam re-scored by a full forward pass over prompt + prefix.
 */
function naiveBeamSearch(
  model: Qwen2Model,
  trie: TitleTrie,
  prompt: number[],
  width: number,
  lp: number,
): Hypothesis[] {
  let running = [{ node: trie.root, sum: 0, tokens: [] as number[] }];
  const finished: Hypothesis[] = [];
  for (let step = 0; step < 20 && running.length > 0; step++) {
    const cands: { node: number; sum: number; tokens: number[]; token: number }[] = [];
    for (const beam of running) {
      const logp = tidy(() =>
        model
          .forward({
            inputIds: int64([...prompt, ...beam.tokens], [1, prompt.length + beam.tokens.length]),
            logits: "last",
          })
          .logits!.logSoftmax(-1)
          .reshape([-1])
          .toList(),
      );
      for (const t of trie.allowedTokens(beam.node)) cands.push({ ...beam, token: t, sum: beam.sum + logp[t]! });
    }
    cands.sort((a, b) => b.sum - a.sum);
    const next: typeof running = [];
    cands.slice(0, 2 * width).forEach((c, rank) => {
      const tokens = [...c.tokens, c.token];
      const node = trie.next(c.node, c.token);
      if (c.token === EOS) {
        if (rank < width) {
          finished.push({ tokens, sumLogProb: c.sum, score: c.sum / Math.pow(tokens.length, lp), node });
          finished.sort((a, b) => b.score - a.score);
          finished.splice(width);
        }
      } else if (next.length < width) next.push({ node, sum: c.sum, tokens });
    });
    const best = Math.max(...next.map((x) => x.sum)) / Math.pow(step + 1, lp);
    if (finished.length >= width && finished[finished.length - 1]!.score >= best) break;
    running = next;
  }
  return finished;
}

for (const lp of [1, 0]) {
  test(`with beams ≥ catalogue size the search is exhaustive (length penalty ${lp})`, () => {
    const { model, trie } = setup();
    noGrad(() =>
      tidy(() => {
        const { ids, mask } = leftPadded(PROMPTS);
        const result = constrainedBeamSearch(model, trie, primePlain(model, ids, mask), {
          beams: 10,
          lengthPenalty: lp,
        });
        PROMPTS.forEach((prompt, p) => {
          const exhaustive = SEQUENCES.map((seq) => {
            const sum = sequenceLogProb(model, prompt, seq);
            return { tokens: seq, score: sum / Math.pow(seq.length, lp), sum };
          }).sort((a, b) => b.score - a.score);
          const got = result.hypotheses[p]!;
          assert.equal(got.length, SEQUENCES.length);
          got.forEach((h, i) => {
            assert.deepEqual(h.tokens, exhaustive[i]!.tokens, `prompt ${p} rank ${i}`);
            assert.ok(
              Math.abs(h.score - exhaustive[i]!.score) < 1e-3,
              `prompt ${p} rank ${i} score ${h.score} vs ${exhaustive[i]!.score}`,
            );
            assert.deepEqual(trie.titlesAt(h.node), [TITLES[SEQUENCES.indexOf(exhaustive[i]!.tokens)]]);
          });
        });
      }),
    );
    model.dispose();
  });
}

for (const width of [1, 2, 3]) {
  test(`narrow beams (B = ${width}) match a naive uncached implementation of the same rules, batched`, () => {
    const { model, trie } = setup(30 + width);
    noGrad(() =>
      tidy(() => {
        const { ids, mask } = leftPadded(PROMPTS);
        for (const lp of [1, 0]) {
          const result = constrainedBeamSearch(model, trie, primePlain(model, ids, mask), {
            beams: width,
            lengthPenalty: lp,
          });
          PROMPTS.forEach((prompt, p) => {
            const expected = naiveBeamSearch(model, trie, prompt, width, lp);
            assert.deepEqual(
              result.hypotheses[p]!.map((h) => h.tokens),
              expected.map((h) => h.tokens),
              `prompt ${p}, lp ${lp}`,
            );
          });
        }
      }),
    );
    model.dispose();
  });
}

test("every hypothesis is a catalogue title, also with latent thoughts (N = 2)", () => {
  const { model, trie } = setup(40);
  const reasoner = new LatentReasoner(model, { numLatents: 2, readout: "ratt" });
  noGrad(() =>
    tidy(() => {
      const { ids, mask } = leftPadded(PROMPTS);
      const result = constrainedBeamSearch(model, trie, primeLatent(reasoner, ids, mask), {
        beams: 4,
        lengthPenalty: 1,
      });
      for (const hyps of result.hypotheses) {
        assert.ok(hyps.length > 0);
        for (const h of hyps)
          assert.ok(
            SEQUENCES.some((s) => s.join() === h.tokens.join()),
            `not a title: ${h.tokens}`,
          );
        for (let i = 1; i < hyps.length; i++) assert.ok(hyps[i - 1]!.score >= hyps[i]!.score);
      }
    }),
  );
  reasoner.dispose();
  model.dispose();
});
