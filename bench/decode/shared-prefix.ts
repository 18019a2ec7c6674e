/**
 * Beam-search steps over the shared-prefix cache (the prompt's keys/values once per prompt, the
 * search's cache since this change) against the plain KV cache (every beam its own copy, appended
 * by cat and reordered by index_select each step), side by side in one run, alternating rounds, at
 * several prompt lengths: CDs prompts are ≈ 150 tokens, Industrial and Office ones several hundred.
 * Each step reorders every prompt's beams (reversed) and feeds one token per beam, as the search does.
 * Also prints the largest logit difference between the two, which must stay at float rounding.
 *
 *   npm run build:ts && node dist/bench/decode/shared-prefix.js [--prompts 128,512,1024] [--users 8]
 *     [--beams 10] [--steps 32] [--rounds 5] [--preset tiny] [--vocab 4000]
 */
import { full, int64, noGrad, tidy, type Tensor } from "../../src/engine/index.js";
import { extendMask } from "../../src/llm/attention-mask.js";
import { presetConfig } from "../../src/llm/config.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { SharedPrefixCache } from "../../src/llm/shared-prefix-cache.js";
import { argNumber, argValue } from "../common/args.js";
import { median } from "../common/stats.js";

const argv = process.argv.slice(2);
const promptLengths = (argValue(argv, "prompts") ?? "128,512,1024").split(",").map(Number);
const users = argNumber(argv, "users", 8);
const beams = argNumber(argv, "beams", 10);
const steps = argNumber(argv, "steps", 32);
const rounds = argNumber(argv, "rounds", 5);
const preset = argValue(argv, "preset") ?? "tiny";
const vocab = argNumber(argv, "vocab", 4000);

const model = Qwen2Model.create(presetConfig(preset, vocab), { seed: 1 });
// Step 0 forks each prompt's row into its beams; later steps reverse each prompt's beams.
const fork = Array.from({ length: users * beams }, (_, r) => Math.floor(r / beams));
const reverse = Array.from({ length: users * beams }, (_, r) => r - (r % beams) + (beams - 1 - (r % beams)));

/** Milliseconds for `steps` search steps after priming a fresh cache; the last logits kept. */
function run(promptLength: number, shared: boolean): { ms: number; logits: Tensor } {
  return noGrad(() =>
    tidy(() => {
      const ids = int64(
        Array.from({ length: users * promptLength }, (_, i) => 1 + ((i * 7919) % (vocab - 1))),
        [users, promptLength],
      );
      let mask = full([users, promptLength], 1, { dtype: "i64" });
      const primed = model.newCache();
      model.forward({ inputIds: ids, attentionMask: mask, cache: primed, logits: "last" });
      const start = performance.now();
      const cache = shared ? new SharedPrefixCache(primed) : primed;
      let logits: Tensor | undefined;
      for (let s = 0; s < steps; s++) {
        const parents = s === 0 ? fork : reverse;
        logits = tidy(() => {
          cache.selectRows(parents);
          const previous = mask;
          mask = extendMask(previous.indexSelect(0, int64(parents))).keep();
          if (s > 0) previous.dispose();
          const tokens = int64(
            parents.map((_, r) => 1 + ((r * 31 + s) % (vocab - 1))),
            [parents.length, 1],
          );
          return model.forward({ inputIds: tokens, attentionMask: mask, cache, logits: "last" }).logits!.keep();
        });
      }
      const ms = performance.now() - start;
      cache.dispose();
      primed.dispose();
      return { ms, logits: logits! };
    }),
  );
}

console.log(
  `${preset} preset, vocabulary ${vocab}, ${users} users × ${beams} beams, ${steps} steps, median of ${rounds} alternating rounds`,
);
console.log("prompt | plain cache ms/step | shared prefix ms/step | ratio shared/plain | max |Δ logit|");
for (const length of promptLengths) {
  const plain: number[] = [];
  const shared: number[] = [];
  let diff = 0;
  run(length, false).logits.dispose(); // warm-up
  for (let r = 0; r < rounds; r++) {
    const a = run(length, false);
    const b = run(length, true);
    plain.push(a.ms / steps);
    shared.push(b.ms / steps);
    diff = Math.max(
      diff,
      tidy(() => a.logits.sub(b.logits).abs().amax().item()),
    );
    a.logits.dispose();
    b.logits.dispose();
  }
  const [p, s] = [median(plain), median(shared)];
  console.log(
    `${String(length).padStart(6)} | ${p.toFixed(2).padStart(19)} | ${s.toFixed(2).padStart(21)} | ${(s / p).toFixed(2).padStart(18)} | ${diff.toExponential(1)}`,
  );
}
model.dispose();
