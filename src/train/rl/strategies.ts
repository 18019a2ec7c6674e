/**
 * LR-GRPO's variants as named strategies, chosen once from the config so the training loop has no
 * ablation branches:
 *   reward    — perplexity (paper eq. 6: −PPL of the true title under the sampled latent) |
 *               exact-match (original GRPO, App. K: a generated title earns 1 if it is the target);
 *   policy    — target-likelihood (paper: PPO ratio on the answer tokens' likelihood given the noisy
 *               latent) | gaussian (PPO ratio on the latent's own Gaussian density N(r_θ, σ²I)) |
 *               pathwise (the reparameterised gradient ∇θ E_ε[reward(r_θ + ε)], no ratio);
 *   advantage — batch (LR-GRPO) | group (GRPO's ablation), in advantage.ts.
 */
import { fullLike, type Tensor } from "../../engine/index.js";
import type { LatentReasoner } from "../../latent/latent-reasoner.js";
import { collatePromptTarget, type PromptTargetBatch } from "../../data/collate.js";
import { constrainedBeamSearch } from "../../decode/beam-search.js";
import { feedLatent } from "../../decode/prime.js";
import type { TitleTrie } from "../../decode/title-trie.js";
import {
  answerLogProbs,
  forkThought,
  gaussianLogDensity,
  repeatTargets,
  type Answers,
  type LatentDraw,
} from "./latent-samples.js";
import type { LrGrpoConfig } from "./config.js";
import { clippedPolicyLoss, klStats, type ClipStats } from "./policy-loss.js";
import { negativePerplexityReward } from "./reward.js";

export interface SampleContext {
  reasoner: LatentReasoner;
  draw: LatentDraw;
  batch: PromptTargetBatch;
  k: number;
  padId: number;
  trie?: TitleTrie;
}

export interface Scored {
  answers: Answers;
  rewards: number[];
  /** Per-token log-probs [m·K, Ty] of the answers under the sampled latents (the sampling policy). */
  logp: Tensor;
}

export interface RewardStrategy {
  /** Whether the update can differentiate the reward in the latent (the pathwise policy needs it). */
  readonly differentiable: boolean;
  score(ctx: SampleContext): Scored;
}

/** What a micro-batch's sampling pass kept for the update. */
export interface SampledMicroBatch {
  answers: Answers;
  /** ε for every expanded row [m·K, d] (row 0 of each group is zero). */
  noise: Tensor;
  /** The sampled latents r_old + ε [m·K, d]. */
  latentSamples: Tensor;
  /** The sampling policy's log-probabilities: per answer token [m·K, Ty], or per latent sample [m·K, 1]. */
  oldLogp: Tensor;
}

export interface UpdateContext {
  reasoner: LatentReasoner;
  /** This pass's read-out (with LatentRATT's graph) of the micro-batch, with the sampling pass's noise. */
  draw: LatentDraw;
  sampled: SampledMicroBatch;
  /** Advantages of the micro-batch's rows [m·K]. */
  advantage: Tensor;
  config: LrGrpoConfig;
}

export interface PolicyStrategy {
  /** The sampling policy's log-probabilities kept for the update (computed without gradients). */
  samplingLogp(scored: Scored, draw: LatentDraw, sigma: number): Tensor;
  /** Σ over the micro-batch's samples of their loss (the caller divides by the step's sample count). */
  loss(ctx: UpdateContext): { lossSum: Tensor; stats: ClipStats };
}

const perplexity: RewardStrategy = {
  differentiable: true,
  score({ reasoner, draw, batch, k }) {
    const answers = repeatTargets(batch, k);
    const logp = answerLogProbs(reasoner, draw, answers, draw.sample);
    return { answers, logp, rewards: negativePerplexityReward(logp, answers.mask.sum(1)).toList() };
  },
};

/**
 * Each latent sample generates a full answer (greedy constrained decoding over the title trie) and
 * earns 1 if it is the target's title, else 0; the answer scored by the policy is the generated one.
 */
const exactMatch: RewardStrategy = {
  differentiable: false,
  score({ reasoner, draw, batch, k, padId, trie }) {
    if (!trie) throw new Error("the exact-match reward needs the title trie");
    const thought = forkThought(draw.thought);
    const primed = feedLatent(reasoner.model, thought.cache, thought.mask, draw.sample);
    const result = constrainedBeamSearch(reasoner.model, trie, primed, {
      beams: 1,
      lengthPenalty: 1,
      maxNewTokens: trie.maxDepth,
    });
    thought.cache.dispose();
    const generated = result.hypotheses.map((h) => h[0]?.tokens ?? [trie.eos]);
    const rewards = exactMatchRewards(generated, batch.labels.toList(), batch.labels.dim(1), k);
    const rows = collatePromptTarget(
      generated.map((target) => ({ prompt: [], target })),
      padId,
      draw.sample.device,
    );
    const answers = { ids: rows.targetIds, mask: rows.targetMask, labels: rows.labels };
    return { answers, rewards, logp: answerLogProbs(reasoner, draw, answers, draw.sample) };
  },
};

/**
 * 1 where a generated row's tokens equal its prompt's target, else 0. `labels` is the flat [m, width]
 * target label matrix (−100 at padding); row r of `generated` belongs to prompt ⌊r / k⌋.
 */
export function exactMatchRewards(
  generated: readonly (readonly number[])[],
  labels: readonly number[],
  width: number,
  k: number,
): number[] {
  return generated.map((tokens, row) => {
    const p = Math.floor(row / k);
    const target = labels.slice(p * width, (p + 1) * width).filter((t) => t >= 0);
    return tokens.length === target.length && tokens.every((t, i) => t === target[i]) ? 1 : 0;
  });
}

const targetLikelihood: PolicyStrategy = {
  samplingLogp: (scored) => scored.logp,
  loss({ reasoner, draw, sampled, advantage, config }) {
    const logp = answerLogProbs(reasoner, draw, sampled.answers, draw.mean.add(sampled.noise));
    return clippedPolicyLoss(logp, sampled.oldLogp, advantage, sampled.answers.mask.to("f32"), {
      low: config.clipLow,
      high: config.clipHigh,
    });
  },
};

const gaussian: PolicyStrategy = {
  samplingLogp: (_scored, draw, sigma) => gaussianLogDensity(draw.sample, draw.mean, sigma),
  loss({ draw, sampled, advantage, config }) {
    const logp = gaussianLogDensity(sampled.latentSamples, draw.mean, config.sigma);
    return clippedPolicyLoss(logp, sampled.oldLogp, advantage, fullLike(logp, 1), {
      low: config.clipLow,
      high: config.clipHigh,
    });
  },
};

/**
 * The reparameterised gradient: loss = −Σ reward(r_θ + ε) with the sampling pass's ε, so its gradient
 * is the Monte-Carlo estimate of −∇θ E_ε[reward(r_θ + ε)]. A baseline would subtract a constant and
 * leave this gradient unchanged (it only reduces the variance of score-function estimators), so the
 * advantage is not used; Adam makes the reward's scale immaterial.
 */
const pathwise: PolicyStrategy = {
  samplingLogp: (scored) => scored.logp,
  loss({ reasoner, draw, sampled }) {
    const logp = answerLogProbs(reasoner, draw, sampled.answers, draw.mean.add(sampled.noise));
    const mask = sampled.answers.mask.to("f32");
    const reward = negativePerplexityReward(logp, sampled.answers.mask.sum(1));
    return { lossSum: reward.sum().neg(), stats: klStats(logp, sampled.oldLogp, mask) };
  },
};

export const REWARDS: Record<LrGrpoConfig["reward"], RewardStrategy> = {
  perplexity,
  "exact-match": exactMatch,
};

export const POLICIES: Record<LrGrpoConfig["policy"], PolicyStrategy> = {
  "target-likelihood": targetLikelihood,
  gaussian,
  pathwise,
};

/** The run's reward and policy strategies; refuses combinations that cannot work. */
export function strategiesFor(
  config: LrGrpoConfig,
  opts: { trie?: TitleTrie },
): { reward: RewardStrategy; policy: PolicyStrategy } {
  const reward = REWARDS[config.reward];
  if (config.policy === "pathwise" && !reward.differentiable) {
    throw new Error(
      `--policy pathwise differentiates the reward in the latent, but --reward ${config.reward} is a step function: use --reward perplexity`,
    );
  }
  if (config.reward === "exact-match" && !opts.trie) throw new Error("the exact-match reward needs the title trie");
  return { reward, policy: POLICIES[config.policy] };
}
