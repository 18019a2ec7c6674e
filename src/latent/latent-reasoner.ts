/**
 * Latent thought generation on top of the LLM (paper eqs. 2–3): for i = 1..N,
 * H_{i−1} = LLM⁻¹(x, r_1..r_{i−1}) and r_i = LatentRATT(H_{i−1})[−1].
 *
 * The cached formulation (used everywhere): prefill the prompt once with a KV cache, read out r_1,
 * feed it as one extra input embedding reusing the cache, and so on; the answer then follows with
 * the cache. It costs one extra token per latent. `two-pass.ts` keeps the reference formulation
 * for a parity test.
 */
import { cat, type Tensor } from "../engine/index.js";
import type { KVCache } from "../llm/kv-cache.js";
import { extendMask } from "../llm/attention-mask.js";
import type { Qwen2Model } from "../llm/qwen2.js";
import { LATENT_RATT_PREFIX, LatentRATT } from "./latent-ratt.js";

/** How a latent is read out of the hidden states: LatentRATT, or the last hidden state ("w/o LatentRATT"). */
export type LatentReadout = "ratt" | "last-hidden";

export interface LatentOptions {
  /** Number of latent thoughts N (0 = plain BIGRec, no reasoning). */
  numLatents: number;
  readout: LatentReadout;
}

/** The state after thinking: a cache over prompt + the first N−1 latents, and the last latent not yet fed. */
export interface Thought {
  cache: KVCache;
  /** Attention mask over the cached positions [B, P + N − 1]. */
  mask: Tensor;
  /** Final hidden states of every cached position [B, P + N − 1, d] (LatentRATT's keys). */
  hidden: Tensor;
  /** Latents r_1..r_N, each [B, d]. */
  latents: Tensor[];
}

export class LatentReasoner {
  readonly ratt: LatentRATT | null;

  constructor(
    readonly model: Qwen2Model,
    readonly options: LatentOptions,
  ) {
    const c = model.config;
    this.ratt =
      options.readout === "ratt" && options.numLatents > 0
        ? new LatentRATT(model.store.root().sub(LATENT_RATT_PREFIX), c.hidden_size, c.initializer_range)
        : null;
  }

  get numLatents(): number {
    return this.options.numLatents;
  }

  /** LatentRATT's parameters (the only ones LR-GRPO trains). */
  rattParameters(): Tensor[] {
    return this.model.store.parameters(LATENT_RATT_PREFIX + ".");
  }

  /** One latent from hidden states [B, L, d] whose last column is the query position. */
  readout(hidden: Tensor, mask: Tensor): Tensor {
    if (this.ratt) return this.ratt.forward(hidden, mask);
    return hidden.select(1, hidden.dim(1) - 1);
  }

  /** Prefills left-padded prompts with a fresh cache: the state before the first latent. */
  prefill(promptIds: Tensor, promptMask: Tensor): Thought {
    const cache = this.model.newCache();
    const hidden = this.model.forward({ inputIds: promptIds, attentionMask: promptMask, cache, logits: "none" }).hidden;
    return { cache, mask: promptMask, hidden, latents: [] };
  }

  /**
   * Generates the N latents autoregressively after a prefill (whose cache this call extends); the last
   * latent is returned unfed so a caller can perturb it (LR-GRPO) or expand rows (beam search) first.
   */
  continueThinking(prefilled: Thought): Thought {
    if (this.numLatents < 1) throw new Error("latent reasoning needs at least one latent (numLatents ≥ 1)");
    const { cache } = prefilled;
    let { mask, hidden } = prefilled;
    const latents: Tensor[] = [];
    for (let i = 0; i < this.numLatents; i++) {
      const r = this.readout(hidden, mask);
      latents.push(r);
      if (i === this.numLatents - 1) break;
      mask = extendMask(mask);
      const step = this.model.forward({ inputsEmbeds: r.unsqueeze(1), attentionMask: mask, cache, logits: "none" });
      hidden = cat([hidden, step.hidden], 1);
    }
    return { cache, mask, hidden, latents };
  }

  /** Prefill + all latents. */
  think(promptIds: Tensor, promptMask: Tensor): Thought {
    return this.continueThinking(this.prefill(promptIds, promptMask));
  }

  /** Repeats every row `times` times (one prompt → K samples or B beams), cache included. */
  expandRows(thought: Thought, times: number): Thought {
    if (times === 1) return thought;
    thought.cache.repeatRows(times);
    return {
      cache: thought.cache,
      mask: thought.mask.repeatInterleave(times, 0),
      hidden: thought.hidden.repeatInterleave(times, 0),
      latents: thought.latents.map((r) => r.repeatInterleave(times, 0)),
    };
  }

  /**
   * Feeds the last latent followed by (right-padded) answer tokens, reusing the thought's cache.
   * Returns the hidden states [B, 1 + Ty, d]: position t predicts answer token t.
   */
  answer(thought: Thought, lastLatent: Tensor, answerIds: Tensor, answerMask: Tensor): Tensor {
    const embeds = cat([lastLatent.unsqueeze(1), this.model.embedTokens(answerIds)], 1);
    const mask = cat([extendMask(thought.mask), answerMask], 1);
    return this.model.forward({ inputsEmbeds: embeds, attentionMask: mask, cache: thought.cache, logits: "none" })
      .hidden;
  }

  dispose(): void {
    this.ratt?.dispose();
  }
}
