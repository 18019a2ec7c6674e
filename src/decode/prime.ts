/**
 * Priming the decoder: feed the prompts (and, for LatentR3, the latent thoughts) once per prompt and
 * return the cache plus the first answer token's logits, before beams fork. Computing the latent
 * once per example (not once per beam) is what makes LatentR3 cost about one extra token.
 */
import { cat, int64, multinomial, noGrad, tidy, type Generator, type Tensor } from "../engine/index.js";
import { extendMask } from "../llm/attention-mask.js";
import type { KVCache } from "../llm/kv-cache.js";
import type { Qwen2Model } from "../llm/qwen2.js";
import type { LatentReasoner } from "../latent/latent-reasoner.js";
import type { PrimedDecoder } from "./search-decoder.js";

/** BIGRec / D3: the prompt's last position predicts the first answer token. */
export function primePlain(model: Qwen2Model, promptIds: Tensor, promptMask: Tensor): PrimedDecoder {
  return noGrad(() => {
    const cache = model.newCache();
    const logits = tidy(() =>
      model.forward({ inputIds: promptIds, attentionMask: promptMask, cache, logits: "last" }).logits!.squeeze(1),
    );
    return { cache, mask: promptMask, logits };
  });
}

/**
 * Feeds one latent per row [B, d] after the cached positions (`mask` covers the cache): its position's
 * logits predict the first answer token. The cache grows by one position.
 */
export function feedLatent(model: Qwen2Model, cache: KVCache, mask: Tensor, latent: Tensor): PrimedDecoder {
  const fed = extendMask(mask);
  const out = model.forward({ inputsEmbeds: latent.unsqueeze(1), attentionMask: fed, cache, logits: "last" });
  return { cache, mask: fed, logits: out.logits!.squeeze(1) };
}

/** LatentR3: prefill, N latents, then the last latent's position predicts the first answer token. */
export function primeLatent(reasoner: LatentReasoner, promptIds: Tensor, promptMask: Tensor): PrimedDecoder {
  return noGrad(() =>
    tidy(() => {
      const thought = reasoner.think(promptIds, promptMask);
      return feedLatent(reasoner.model, thought.cache, thought.mask, thought.latents[thought.latents.length - 1]!);
    }),
  );
}

/** Sampling of free reasoning tokens (greedy when absent). */
export interface ReasoningSampling {
  temperature: number;
  /** Nucleus sampling: the smallest set of tokens whose probability reaches topP (1 = all). */
  topP: number;
  generator: Generator;
}

/** How a chain of thought ends early and how the answer is introduced (COT evaluation). */
export interface ReasoningOptions {
  sampling?: ReasoningSampling;
  /** A row that picks this token has finished reasoning; the token is neither fed nor kept. */
  eosId?: number;
  /** True when a row's reasoning so far (ending with the token just picked, which is fed) is complete. */
  stop?: (row: number, reasoning: readonly number[]) => boolean;
  /**
   * Tokens fed after a row's reasoning, before the answer (e.g. the answer cue). Required with
   * `eosId` or `stop`: rows finish at different steps, and the answer's first logits must come from
   * each row's own last token.
   */
  answerPrefix?: (row: number, reasoning: readonly number[]) => number[];
}

/** A primed decoder after a chain of thought, with each row's reasoning tokens (what precedes the answer). */
export interface ChainOfThought extends PrimedDecoder {
  reasoning: number[][];
}

/** The next reasoning token per row [B, 1]: argmax, or a draw from the tempered top-p distribution. */
function pickToken(logits: Tensor, sampling: ReasoningSampling | undefined): Tensor {
  if (!sampling) return logits.argmax(-1, true);
  const probs = logits.div(sampling.temperature).softmax(-1, "f32");
  const { values, indices } = probs.sort(-1, true);
  // Keep a token when the mass before it is below topP (so the most likely token always stays).
  const before = values.cumsum(-1).sub(values);
  const kept = values.maskedFill(before.ge(sampling.topP), 0);
  return indices.gather(-1, multinomial(kept, 1, false, sampling.generator));
}

/**
 * Explicit chain of thought: after the prompt, up to T free reasoning tokens are generated over the
 * full vocabulary (no trie) with the KV cache, all prompts of the batch together, then the same
 * constrained beam search decodes the answer from the returned logits. Without options the budget
 * is fixed and greedy (the latency benchmark times every method over the same number of thought
 * tokens, paper App. G); T = 0 is `primePlain`. With `eosId`/`stop` a finished row is fed masked
 * padding while the others go on, and its `answerPrefix` is right-aligned so that every row's last
 * position is its own.
 */
export function primeChainOfThought(
  model: Qwen2Model,
  promptIds: Tensor,
  promptMask: Tensor,
  thoughtTokens: number,
  opts: ReasoningOptions = {},
): ChainOfThought {
  if (!Number.isInteger(thoughtTokens) || thoughtTokens < 0) {
    throw new RangeError(`primeChainOfThought: thoughtTokens must be a non-negative integer, got ${thoughtTokens}`);
  }
  if ((opts.eosId !== undefined || opts.stop) && !opts.answerPrefix) {
    throw new Error("primeChainOfThought: eosId or stop needs answerPrefix (the answer's logits come from it)");
  }
  const rows = promptIds.dim(0);
  const device = promptIds.device;
  const primed = primePlain(model, promptIds, promptMask);
  const { cache } = primed;
  let { mask, logits } = primed;
  const reasoning: number[][] = Array.from({ length: rows }, () => []);
  const thinking = new Array<boolean>(rows).fill(true);
  // One forward of `ids` [B, n] with mask columns `fed` [B, n]: the cache and mask grow by n.
  const feed = (ids: number[], fed: number[], n: number) => {
    const next = tidy(() => {
      const m = cat([mask, int64(fed, [rows, n], device)], 1);
      const out = model.forward({ inputIds: int64(ids, [rows, n], device), attentionMask: m, cache, logits: "last" });
      return { mask: m, logits: out.logits!.squeeze(1) };
    });
    // Free the previous step now (a long thought would otherwise hold T logit rows); the
    // caller's prompt mask is theirs to free.
    logits.dispose();
    if (mask !== promptMask) mask.dispose();
    ({ mask, logits } = next);
  };
  noGrad(() => {
    for (let i = 0; i < thoughtTokens && thinking.some(Boolean); i++) {
      const picked = tidy(() => pickToken(logits, opts.sampling).reshape([-1]).toList());
      const fed = thinking.map((t, r) => {
        if (!t) return 0;
        if (picked[r] === opts.eosId) {
          thinking[r] = false;
          return 0;
        }
        reasoning[r]!.push(picked[r]!);
        if (opts.stop?.(r, reasoning[r]!)) thinking[r] = false;
        return 1;
      });
      if (!fed.some(Boolean)) break;
      feed(
        picked.map((t, r) => (fed[r] ? t : 0)),
        fed,
        1,
      );
    }
    if (!opts.answerPrefix) return;
    const prefixes = reasoning.map((_, r) => opts.answerPrefix!(r, reasoning[r]!));
    const width = Math.max(...prefixes.map((p) => p.length));
    const empty = prefixes.findIndex((p) => p.length === 0);
    if (empty >= 0) throw new Error(`primeChainOfThought: answerPrefix gave row ${empty} no tokens`);
    const pad = (p: number[], value: (t: number) => number) => [
      ...new Array<number>(width - p.length).fill(0),
      ...p.map(value),
    ];
    feed(
      prefixes.flatMap((p) => pad(p, (t) => t)),
      prefixes.flatMap((p) => pad(p, () => 1)),
      width,
    );
  });
  return { cache, mask, logits, reasoning };
}
