/**
 * LR-GRPO's latent sampling (paper §3.2.2): read the latent r out once per micro-batch, repeat it for
 * K samples and add Gaussian noise ε ~ N(0, σ²I) (sample 1 of each group unnoised; with N > 1 latents
 * only the last is noised, as in Appendix J). In the update pass the read-out carries LatentRATT's
 * graph, so every policy strategy differentiates through the same single read-out.
 */
import { Generator, int64, randn, tensor, tidy, type Tensor } from "../../engine/index.js";
import type { LatentReasoner, Thought } from "../../latent/latent-reasoner.js";
import type { PromptTargetBatch } from "../../data/collate.js";
import { tokenLogProbs } from "./reward.js";

/** The answer each expanded row is scored on [m·K, Ty]: the true target, or a generated title. */
export interface Answers {
  ids: Tensor;
  mask: Tensor;
  labels: Tensor;
}

/** One read-out of a micro-batch's latents, expanded to K rows per prompt. */
export interface LatentDraw {
  /** The thought after the read-out, K rows per prompt (cache included); the last latent is unfed. */
  thought: Thought;
  /** The read-out latent r_θ, repeated K times [m·K, d] (the Gaussian policy's mean). */
  mean: Tensor;
  /** The sampled latents r_θ + ε [m·K, d]. */
  sample: Tensor;
}

export function forkThought(t: Thought): Thought {
  return { cache: t.cache.fork(), mask: t.mask, hidden: t.hidden, latents: [...t.latents] };
}

/** Reads the latents out of a prefilled prompt batch once and forms the K samples of each prompt. */
export function drawLatents(reasoner: LatentReasoner, prefilled: Thought, noise: Tensor, k: number): LatentDraw {
  const thought = reasoner.expandRows(reasoner.continueThinking(forkThought(prefilled)), k);
  const mean = thought.latents[thought.latents.length - 1]!;
  return { thought, mean, sample: mean.add(noise) };
}

/** Per-token log-probs [m·K, Ty] of `answers` after `latent` (one row per sample), on a fork of the draw's cache. */
export function answerLogProbs(reasoner: LatentReasoner, draw: LatentDraw, answers: Answers, latent: Tensor): Tensor {
  const thought = forkThought(draw.thought);
  const hidden = reasoner.answer(thought, latent, answers.ids, answers.mask);
  thought.cache.dispose();
  const logits = reasoner.model.logits(hidden.narrow(1, 0, answers.ids.dim(1)));
  return tokenLogProbs(logits, answers.labels);
}

/** K copies of each target, in the layout rows (p0 k0, p0 k1, …, p1 k0, …). */
export function repeatTargets(batch: PromptTargetBatch, k: number): Answers {
  return {
    ids: batch.targetIds.repeatInterleave(k, 0),
    mask: batch.targetMask.repeatInterleave(k, 0),
    labels: batch.labels.repeatInterleave(k, 0),
  };
}

/** log N(sample; mean, σ²I) up to a constant, per row, as [R, 1] (one "token" per sample). */
export function gaussianLogDensity(samples: Tensor, mean: Tensor, sigma: number): Tensor {
  return samples
    .sub(mean)
    .square()
    .sum(-1, true)
    .div(-2 * sigma * sigma);
}

/** Gaussian noise for m prompts × K samples, zero on each group's first sample. */
export function latentNoise(
  m: number,
  k: number,
  dim: number,
  sigma: number,
  generator: Generator,
  device: string,
): Tensor {
  return tidy(() => {
    const keep = tensor(
      Array.from({ length: m * k }, (_, i) => (i % k === 0 ? 0 : 1)),
      { device },
    ).unsqueeze(1);
    return randn([m * k, dim], { generator })
      .to(device)
      .mul(sigma)
      .mul(keep);
  });
}

/**
 * The noise of this rank's prompts: the whole step's noise (`total` prompts × K samples, drawn from
 * one generator seeded by `seed`) restricted to the prompts at `positions` (global indices), so a
 * prompt gets the same noise whichever rank samples it and however many ranks there are.
 */
export function stepNoise(
  total: number,
  positions: readonly number[],
  k: number,
  dim: number,
  o: { sigma: number; seed: number; device: string },
): Tensor {
  return tidy(() =>
    latentNoise(total, k, dim, o.sigma, new Generator(o.seed), o.device)
      .reshape([total, k, dim])
      .indexSelect(0, int64(positions, [positions.length], o.device))
      .reshape([positions.length * k, dim]),
  );
}
