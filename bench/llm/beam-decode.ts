/**
 * KV-cached beam decoding as bench/python/llm_bench.py `bench_decoding` times it, through our model:
 * the prompt copied to every beam and prefilled (logits at every position, as the Python reference
 * computes them), then one-token steps of log-softmax + beam scores, top-(2·beams) over beams × vocab,
 * the best `beams` survive, the cache reordered with `KVCache.selectRows`, one forward of the chosen
 * tokens. No trie and no EOS: it times the model and cache work of an unconstrained beam step.
 * Source beam and token of each winner are computed in JS from the top-k indices, as our beam search does.
 */
import {
  Generator,
  full,
  int64,
  noGrad,
  randint,
  synchronize,
  tensor,
  tidy,
  type Tensor,
} from "../../src/engine/index.js";
import type { Qwen2Model } from "../../src/llm/qwen2.js";

export interface DecodeRun {
  prefillMs: number;
  /** One entry per generated position (all beams together). */
  stepMs: number[];
}

export function makeBeamDecode(model: Qwen2Model, beams: number, promptLength: number, newTokens: number) {
  const vocab = model.config.vocab_size;
  const device = model.device;
  const prompt = tidy(() =>
    randint(0, vocab, [1, promptLength], { generator: new Generator(3), device })
      .expand([beams, promptLength])
      .contiguous(),
  ).keep();

  const run = (): DecodeRun =>
    noGrad(() => {
      let t0 = performance.now();
      const cache = model.newCache();
      let logits: Tensor = tidy(() =>
        model.forward({ inputIds: prompt, cache, logits: "all" }).logits!.select(1, promptLength - 1),
      ).keep();
      synchronize(); // GPU work is queued: time it done
      const prefillMs = performance.now() - t0;
      // All beams start identical: only beam 0 may expand at the first step.
      let scores: Tensor = tensor(
        Float32Array.from({ length: beams }, (_, i) => (i === 0 ? 0 : -1e9)),
        { device },
      ).keep();
      const stepMs: number[] = [];
      for (let t = 0; t < newTokens; t++) {
        t0 = performance.now();
        const next = tidy(() => {
          const candidates = logits.logSoftmax(-1, "f32").add(scores.unsqueeze(1)).reshape([-1]);
          const top = candidates.topk(2 * beams);
          const winners = top.indices.narrow(0, 0, beams).toList();
          cache.selectRows(
            int64(
              winners.map((i) => Math.floor(i / vocab)),
              undefined,
              device,
            ),
          );
          const out = model.forward({
            inputIds: int64(
              winners.map((i) => i % vocab),
              [beams, 1],
              device,
            ),
            attentionMask: full([beams, promptLength + t + 1], 1, { dtype: "i64", device }),
            cache,
            logits: "all",
          });
          return { logits: out.logits!.select(1, 0), scores: top.values.narrow(0, 0, beams) };
        });
        logits.dispose();
        scores.dispose();
        logits = next.logits.keep();
        scores = next.scores.keep();
        synchronize();
        stepMs.push(performance.now() - t0);
      }
      logits.dispose();
      scores.dispose();
      cache.dispose();
      return { prefillMs, stepMs };
    });

  return { run, dispose: () => prompt.dispose() };
}
