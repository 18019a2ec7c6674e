/**
 * LR-GRPO (paper §3.2.2): RL on the latent thought with only LatentRATT trainable.
 *
 * Per optimizer step, for `promptsPerStep` prompts:
 *   sample   — prefill each prompt once, read out the latent r, draw K samples r + ε (ε ~ N(0, σ²I),
 *              sample 1 unnoised; with N > 1 latents only the last is noised, as in Appendix J);
 *   reward   — negative perplexity of the true target (EOS included), fp32, under each sample;
 *   advantage— batch-level (baseline = mean unnoised reward over the step's prompts, L2-normalised),
 *              or group-level for the ablation;
 *   update   — PPO clipped objective on the target-token likelihood ratio against the sampling
 *              policy, `iterations` passes; grad-norm clip; cosine schedule with warm-up.
 * The prompt prefill is computed once per step and reused by the sampling and update passes: the
 * LLM is frozen, so it cannot change within a step. Noise is seeded by (seed, step), so a resumed
 * run draws the same noise as an uninterrupted one.
 *
 * Data-parallel (`opts.dp`): each rank samples and scores its share of the step's prompts with the
 * noise rows one process would draw for them; the rewards are all-gathered, so the batch advantage
 * (baseline and L2 normalisation) is the whole global batch's on every rank — not per rank, as in
 * the reference code — and the trainer sums gradients before the clip and the step.
 */
import { Generator, fullLike, int64, noGrad, randn, tensor, tidy, type Tensor } from "../../engine/index.js";
import { hashSeed } from "../../data/rng.js";
import { DataParallel } from "../../distributed/index.js";
import { lengthBucketedBatches } from "../../data/batching.js";
import { LATENT_RATT_PREFIX } from "../../latent/latent-ratt.js";
import type { LatentReasoner, Thought } from "../../latent/latent-reasoner.js";
import { collatePromptTarget, type PromptTarget, type PromptTargetBatch } from "../../data/collate.js";
import { Trainer } from "../trainer.js";
import type { RunFolder } from "../run-folder.js";
import { advantages, summary } from "./advantage.js";
import type { LrGrpoConfig } from "./config.js";
import { clippedPolicyLoss } from "./policy-loss.js";
import { negativePerplexityReward, tokenLogProbs } from "./reward.js";
import { constrainedBeamSearch } from "../../decode/beam-search.js";
import { feedLatent } from "../../decode/prime.js";
import type { TitleTrie } from "../../decode/title-trie.js";

export interface LrGrpoStepStats {
  step: number;
  reward_mean: number;
  reward_std: number;
  /** Mean reward of the unnoised samples: the current policy's own reward. */
  reward_unnoised: number;
  advantage_mean: number;
  advantage_std: number;
  advantage_min: number;
  advantage_max: number;
  clip_fraction: number;
  grad_norm: number;
  lr: number;
  loss: number;
  /** Wall-clock seconds of this step (sampling + update): the training-cost comparison. */
  step_seconds: number;
}

interface Sampled {
  batch: PromptTargetBatch;
  /** The answer each expanded row is scored on [m·K, Ty]: the true target, or a generated title. */
  answers: Answers;
  prefilled: Thought;
  /** ε for every expanded row [m·K, d] (row 0 of each group is zero). */
  noise: Tensor;
  /** The sampled latents r_old + ε [m·K, d] (the Gaussian policy's actions). */
  latentSamples: Tensor;
  /** The sampling policy's log-probabilities: per answer token, or per latent sample [m·K, 1]. */
  oldLogp: Tensor;
  rewards: number[];
}

export interface Answers {
  ids: Tensor;
  mask: Tensor;
  labels: Tensor;
}

/** K copies of each target, in the layout rows (p0 k0, p0 k1, …, p1 k0, …). */
function repeatTargets(batch: PromptTargetBatch, k: number): Answers {
  return {
    ids: batch.targetIds.repeatInterleave(k, 0),
    mask: batch.targetMask.repeatInterleave(k, 0),
    labels: batch.labels.repeatInterleave(k, 0),
  };
}

function forkThought(t: Thought): Thought {
  return { cache: t.cache.fork(), mask: t.mask, hidden: t.hidden, latents: [...t.latents] };
}

/** The expanded thought (K rows per prompt) with the noised last latent, ready for an answer. */
function sampledThought(
  reasoner: LatentReasoner,
  prefilled: Thought,
  noise: Tensor,
  k: number,
): { thought: Thought; latent: Tensor } {
  const thought = reasoner.expandRows(reasoner.continueThinking(forkThought(prefilled)), k);
  return { thought, latent: thought.latents[thought.latents.length - 1]!.add(noise) };
}

/** Per-token log-probs [m·K, Ty] of `answers` under the K latent samples of each prompt. */
export function sampleLogProbs(
  reasoner: LatentReasoner,
  prefilled: Thought,
  answers: Answers,
  noise: Tensor,
  k: number,
): Tensor {
  const { thought, latent } = sampledThought(reasoner, prefilled, noise, k);
  const hidden = reasoner.answer(thought, latent, answers.ids, answers.mask);
  thought.cache.dispose();
  const logits = reasoner.model.logits(hidden.narrow(1, 0, answers.ids.dim(1)));
  return tokenLogProbs(logits, answers.labels);
}

/**
 * The original-GRPO ablation's sampling (paper App. K): each latent sample generates a full answer
 * (greedy constrained decoding over the title trie) and earns 1 if it is the target's title, else 0.
 */
function generatedAnswers(
  reasoner: LatentReasoner,
  trie: TitleTrie,
  prefilled: Thought,
  batch: PromptTargetBatch,
  noise: Tensor,
  k: number,
  padId: number,
): { answers: Answers; rewards: number[] } {
  const { thought, latent } = sampledThought(reasoner, prefilled, noise, k);
  const primed = feedLatent(reasoner.model, thought.cache, thought.mask, latent);
  const result = constrainedBeamSearch(reasoner.model, trie, primed, {
    beams: 1,
    lengthPenalty: 1,
    maxNewTokens: trie.maxDepth,
  });
  thought.cache.dispose();
  const generated = result.hypotheses.map((h) => h[0]?.tokens ?? [trie.eos]);
  const targets = batch.labels.toList();
  const width = batch.labels.dim(1);
  const rewards = generated.map((tokens, row) => {
    const p = Math.floor(row / k);
    const target = targets.slice(p * width, (p + 1) * width).filter((t) => t >= 0);
    return tokens.length === target.length && tokens.every((t, i) => t === target[i]) ? 1 : 0;
  });
  const rows = collatePromptTarget(
    generated.map((target) => ({ prompt: [], target })),
    padId,
    latent.device,
  );
  return { answers: { ids: rows.targetIds, mask: rows.targetMask, labels: rows.labels }, rewards };
}

/** The last latent of each prompt, repeated K times [m·K, d], with gradients to LatentRATT. */
function currentLatents(reasoner: LatentReasoner, prefilled: Thought, k: number): Tensor {
  const thought = reasoner.continueThinking(forkThought(prefilled));
  thought.cache.dispose();
  return thought.latents[thought.latents.length - 1]!.repeatInterleave(k, 0);
}

/** log N(sample; mean, σ²I) up to a constant, per row, as [R, 1] (one "token" per sample). */
export function gaussianLogDensity(samples: Tensor, mean: Tensor, sigma: number): Tensor {
  return samples
    .sub(mean)
    .square()
    .sum(-1, true)
    .div(-2 * sigma * sigma);
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

export async function trainLrGrpo(
  reasoner: LatentReasoner,
  train: readonly PromptTarget[],
  padId: number,
  config: LrGrpoConfig,
  run: RunFolder,
  opts: {
    resume?: boolean;
    label?: string;
    /** The catalogue's title trie: required by the exact-match reward, which generates answers. */
    trie?: TitleTrie;
    dp?: DataParallel;
  } = {},
): Promise<{ steps: number; history: LrGrpoStepStats[]; seconds: number }> {
  const label = opts.label ?? "rl";
  const dp = opts.dp ?? DataParallel.single();
  const model = reasoner.model;
  const trainable = reasoner.rattParameters();
  if (trainable.length === 0)
    throw new Error("LR-GRPO trains LatentRATT, but this reasoner has none (readout last-hidden?)");
  if (config.reward === "exact-match" && !opts.trie) throw new Error("the exact-match reward needs the title trie");
  // Only LatentRATT trains: freeze everything else.
  model.store.setTrainable("", false);
  model.store.setTrainable(LATENT_RATT_PREFIX + ".", true);
  const lengths = train.map((e) => e.prompt.length + e.target.length);
  const batchesOf = (epoch: number) =>
    lengthBucketedBatches(lengths, { batchSize: config.promptsPerStep, seed: config.seed, dropLast: true }, epoch);
  const perEpoch = batchesOf(0).length;
  const planned = perEpoch * config.epochs;
  const totalSteps = config.maxSteps > 0 ? Math.min(config.maxSteps, planned) : planned;
  if (totalSteps === 0) {
    throw new Error(`LR-GRPO: ${train.length} training prompts give no full step of ${config.promptsPerStep} prompts`);
  }
  const trainer = Trainer.start({
    label,
    run,
    store: model.store,
    trainable,
    ...config,
    schedule: "cosine",
    totalSteps,
    checkpointPrefix: LATENT_RATT_PREFIX + ".",
    resume: opts.resume ?? false,
    dp,
    initialState: { step: 0, history: [] as LrGrpoStepStats[] },
  });
  const k = config.samples;

  while (!trainer.done) {
    const step = trainer.state.step;
    const indices = batchesOf(Math.floor(step / perEpoch))[step % perEpoch]!;
    const prompts = indices.map((i) => train[i]!);
    const local = dp.shard(prompts);
    const stepStart = performance.now();
    const localNoise = stepNoise(prompts.length, dp.shard(prompts.map((_, g) => g)), k, model.config.hidden_size, {
      sigma: config.sigma,
      seed: hashSeed(config.seed, "lr-grpo-noise", step),
      device: model.device,
    });

    // 1. Sample: rewards and the sampling policy's log-probs, no gradients.
    const sampled: Sampled[] = [];
    for (let i = 0; i < local.length; i += config.microPrompts) {
      const micro = local.slice(i, i + config.microPrompts);
      sampled.push(
        noGrad(() =>
          tidy(() => {
            const batch = collatePromptTarget(micro, padId, model.device);
            const prefilled = reasoner.prefill(batch.promptIds, batch.promptMask);
            const noise = localNoise.narrow(0, i * k, micro.length * k);
            const latentSamples = currentLatents(reasoner, prefilled, k).add(noise);
            let answers: Answers;
            let rewards: number[];
            let targetLogp: Tensor;
            if (config.reward === "exact-match") {
              ({ answers, rewards } = generatedAnswers(reasoner, opts.trie!, prefilled, batch, noise, k, padId));
              targetLogp = sampleLogProbs(reasoner, prefilled, answers, noise, k);
            } else {
              answers = repeatTargets(batch, k);
              targetLogp = sampleLogProbs(reasoner, prefilled, answers, noise, k);
              rewards = negativePerplexityReward(targetLogp, answers.mask.sum(1)).toList();
            }
            const oldLogp =
              config.policy === "gaussian"
                ? gaussianLogDensity(latentSamples, latentSamples.sub(noise), config.sigma)
                : targetLogp;
            return { batch, answers, prefilled, noise, latentSamples, oldLogp, rewards };
          }),
        ),
      );
    }
    localNoise.dispose();
    const rewards = dp.gatherShards(sampled.flatMap((s) => chunk(s.rewards, k)));
    const globalAdv = advantages(config.advantage, rewards);
    const adv = dp.shard(globalAdv); // this rank's prompts' rows

    // 2. Update: PPO clipped objective, gradients reach LatentRATT through the frozen LLM.
    let lossTotal = 0;
    let clipSum = 0;
    let clipCount = 0;
    let update = { gradNorm: 0, lr: 0 };
    for (let it = 0; it < config.iterations; it++) {
      let row = 0;
      let iterationLoss = 0;
      for (const s of sampled) {
        const m = s.rewards.length / k;
        tidy(() => {
          const a = tensor(adv.slice(row, row + m).flat(), { device: model.device });
          const gaussian = config.policy === "gaussian";
          const logp = gaussian
            ? gaussianLogDensity(s.latentSamples, currentLatents(reasoner, s.prefilled, k), config.sigma)
            : sampleLogProbs(reasoner, s.prefilled, s.answers, s.noise, k);
          const mask = gaussian ? fullLike(logp, 1) : s.answers.mask.to("f32");
          const { lossSum, clipFraction } = clippedPolicyLoss(logp, s.oldLogp, a, mask, {
            low: config.clipLow,
            high: config.clipHigh,
          });
          const loss = lossSum.div(prompts.length * k);
          loss.backward();
          iterationLoss += loss.item();
          clipSum += clipFraction * m;
          clipCount += m;
        });
        row += m;
      }
      [iterationLoss] = dp.sum([iterationLoss]) as [number];
      lossTotal += iterationLoss;
      update = trainer.optimizerStep(iterationLoss);
    }
    for (const s of sampled) disposeSampled(s);
    [clipSum, clipCount] = dp.sum([clipSum, clipCount]) as [number, number];

    const all = rewards.flat();
    const a = summary(globalAdv.flat());
    const r = summary(all);
    const stats: LrGrpoStepStats = {
      step: step + 1,
      reward_mean: r.mean,
      reward_std: r.std,
      reward_unnoised: summary(rewards.map((g) => g[0]!)).mean,
      advantage_mean: a.mean,
      advantage_std: a.std,
      advantage_min: a.min,
      advantage_max: a.max,
      clip_fraction: clipSum / Math.max(1, clipCount),
      grad_norm: update.gradNorm,
      lr: update.lr,
      loss: lossTotal / config.iterations,
      step_seconds: (performance.now() - stepStart) / 1000,
    };
    trainer.state.history.push(stats);
    const { step: _logged, ...metrics } = stats;
    await trainer.endStep(metrics, {
      reward: stats.reward_mean,
      unnoised: stats.reward_unnoised,
      "adv std": stats.advantage_std,
    });
  }
  const seconds = trainer.finish();
  return { steps: trainer.state.step, history: trainer.state.history, seconds };
}

function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function disposeSampled(s: Sampled): void {
  s.prefilled.cache.dispose();
  for (const t of [
    s.prefilled.mask,
    s.prefilled.hidden,
    s.noise,
    s.latentSamples,
    s.oldLogp,
    ...Object.values(s.batch),
    ...Object.values(s.answers),
  ]) {
    if (typeof t === "object" && t !== null && "dispose" in t) (t as Tensor).dispose();
  }
}
