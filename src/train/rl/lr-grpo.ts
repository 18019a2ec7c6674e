/**
 * LR-GRPO (paper §3.2.2): RL on the latent thought with only LatentRATT trainable.
 *
 * Per optimizer step, for `promptsPerStep` prompts drawn at random (not length-bucketed: the batch
 * advantage's baseline and L2 norm are statistics of the batch, and prompt length correlates with the
 * reward):
 *   sample   — prefill each prompt once, read out the latent r once per micro-batch, draw K samples
 *              r + ε (latent-samples.ts);
 *   reward   — the reward strategy scores every sample (strategies.ts);
 *   advantage— batch-level (baseline = mean unnoised reward over the step's prompts, L2-normalised),
 *              or group-level for the ablation;
 *   update   — the policy strategy's loss, `iterations` passes; grad-norm clip; cosine schedule with
 *              a warm-up that fits the run (trainer.ts).
 * The prompt prefill is computed once per step and reused by the sampling and update passes: the
 * LLM is frozen, so it cannot change within a step. Noise is seeded by (seed, step), so a resumed
 * run draws the same noise as an uninterrupted one.
 *
 * Data-parallel (`opts.dp`): each rank samples and scores its share of the step's prompts with the
 * noise rows one process would draw for them; the rewards are all-gathered, so the batch advantage
 * (baseline and L2 normalisation) is the whole global batch's on every rank — not per rank, as in
 * the reference code — and the trainer sums gradients before the clip and the step.
 */
import { noGrad, tensor, tidy, type Tensor } from "../../engine/index.js";
import { hashSeed } from "../../data/rng.js";
import { randomBatches } from "../../data/batching.js";
import { DataParallel } from "../../distributed/index.js";
import { LATENT_RATT_PREFIX } from "../../latent/latent-ratt.js";
import type { LatentReasoner, Thought } from "../../latent/latent-reasoner.js";
import { collatePromptTarget, type PromptTarget } from "../../data/collate.js";
import type { TitleTrie } from "../../decode/title-trie.js";
import { Trainer } from "../trainer.js";
import type { RunFolder } from "../run-folder.js";
import { advantages, summary } from "./advantage.js";
import type { LrGrpoConfig } from "./config.js";
import { heldOutReward } from "./held-out-reward.js";
import { drawLatents, stepNoise } from "./latent-samples.js";
import { addClipStats, NO_CLIP_STATS } from "./policy-loss.js";
import { strategiesFor, type SampledMicroBatch } from "./strategies.js";

/** One step's log line, in TRL's GRPO names where TRL has the quantity. */
export interface LrGrpoStepStats {
  step: number;
  /** Mean reward over every sample of the step. */
  reward: number;
  reward_std: number;
  /** Fraction of prompts whose K rewards are all equal (no signal for a group advantage). */
  frac_reward_zero_std: number;
  /** Mean reward of the unnoised samples: the current policy's own reward. */
  reward_unnoised: number;
  advantage_mean: number;
  advantage_std: number;
  advantage_min: number;
  advantage_max: number;
  "clip_ratio/low_mean": number;
  "clip_ratio/high_mean": number;
  "clip_ratio/region_mean": number;
  /** k3 estimate of KL(π_old‖π_θ) per token over the update passes (0 with one pass). */
  kl: number;
  grad_norm: number;
  learning_rate: number;
  loss: number;
  /** Wall-clock seconds of this step (sampling + update): the training-cost comparison. */
  step_seconds: number;
  /** Mean unnoised reward on the held-out prompts after this step (every `heldOut.every` steps and the last). */
  eval_reward?: number;
  /** The same before the first step (in step 1's row). */
  eval_reward_initial?: number;
  /** Mean unnoised reward on fixed training prompts (the objective itself, on prompts it trains on), as eval_reward. */
  eval_train_reward?: number;
  eval_train_reward_initial?: number;
}

interface Sampled extends SampledMicroBatch {
  prefilled: Thought;
  rewards: number[];
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
    /**
     * Fixed prompts scored every `every` steps (held-out-reward.ts; `every` 0 = never): `prompts` never
     * trained on, and `trainPrompts` from the training set.
     */
    heldOut?: { prompts: readonly PromptTarget[]; trainPrompts?: readonly PromptTarget[]; every: number };
  } = {},
): Promise<{ steps: number; history: LrGrpoStepStats[]; seconds: number }> {
  const label = opts.label ?? "rl";
  const dp = opts.dp ?? DataParallel.single();
  const model = reasoner.model;
  const trainable = reasoner.rattParameters();
  if (trainable.length === 0)
    throw new Error("LR-GRPO trains LatentRATT, but this reasoner has none (readout last-hidden?)");
  const strategies = strategiesFor(config, { trie: opts.trie });
  // Only LatentRATT trains: freeze everything else.
  model.store.setTrainable("", false);
  model.store.setTrainable(LATENT_RATT_PREFIX + ".", true);
  const batchesOf = (epoch: number) =>
    randomBatches(train.length, { batchSize: config.promptsPerStep, seed: config.seed, dropLast: true }, epoch);
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
    checkpointed: LATENT_RATT_PREFIX + ".",
    resume: opts.resume ?? false,
    dp,
    initialState: { step: 0, history: [] as LrGrpoStepStats[] },
  });
  const k = config.samples;
  const heldOut = opts.heldOut && opts.heldOut.every > 0 && opts.heldOut.prompts.length > 0 ? opts.heldOut : undefined;
  const score = (prompts: readonly PromptTarget[]) => heldOutReward(reasoner, prompts, padId, config.microPrompts, dp);
  const monitor = (suffix: "" | "_initial"): Partial<LrGrpoStepStats> =>
    heldOut
      ? {
          [`eval_reward${suffix}`]: score(heldOut.prompts),
          ...(heldOut.trainPrompts?.length ? { [`eval_train_reward${suffix}`]: score(heldOut.trainPrompts) } : {}),
        }
      : {};

  while (!trainer.done) {
    const step = trainer.state.step;
    const initial = step === 0 ? monitor("_initial") : {};
    const indices = batchesOf(Math.floor(step / perEpoch))[step % perEpoch]!;
    const prompts = indices.map((i) => train[i]!);
    const local = dp.shard(prompts);
    const stepStart = performance.now();
    const localNoise = stepNoise(prompts.length, dp.shard(prompts.map((_, g) => g)), k, model.config.hidden_size, {
      sigma: config.sigma,
      seed: hashSeed(config.seed, "lr-grpo-noise", step),
      device: model.device,
    });

    // 1. Sample: one read-out per micro-batch, rewards and the sampling policy's log-probs, no gradients.
    const sampled: Sampled[] = [];
    for (let i = 0; i < local.length; i += config.microPrompts) {
      const micro = local.slice(i, i + config.microPrompts);
      sampled.push(
        noGrad(() =>
          tidy(() => {
            const batch = collatePromptTarget(micro, padId, model.device);
            const prefilled = reasoner.prefill(batch.promptIds, batch.promptMask);
            const noise = localNoise.narrow(0, i * k, micro.length * k);
            const draw = drawLatents(reasoner, prefilled, noise, k);
            const scored = strategies.reward.score({ reasoner, draw, batch, k, padId, trie: opts.trie });
            const oldLogp = strategies.policy.samplingLogp(scored, draw, config.sigma);
            draw.thought.cache.dispose();
            return {
              prefilled,
              answers: scored.answers,
              noise,
              latentSamples: draw.sample,
              oldLogp,
              rewards: scored.rewards,
            };
          }),
        ),
      );
    }
    localNoise.dispose();
    const rewards = dp.gatherShards(sampled.flatMap((s) => chunk(s.rewards, k)));
    const globalAdv = advantages(config.advantage, rewards);
    const adv = dp.shard(globalAdv); // this rank's prompts' rows

    // 2. Update: the policy strategy's loss; gradients reach LatentRATT through the frozen LLM.
    let lossTotal = 0;
    let clip = NO_CLIP_STATS;
    let update = { gradNorm: 0, lr: 0 };
    for (let it = 0; it < config.iterations; it++) {
      let row = 0;
      let iterationLoss = 0;
      for (const s of sampled) {
        const m = s.rewards.length / k;
        tidy(() => {
          const advantage = tensor(adv.slice(row, row + m).flat(), { device: model.device });
          const draw = drawLatents(reasoner, s.prefilled, s.noise, k);
          const { lossSum, stats } = strategies.policy.loss({ reasoner, draw, sampled: s, advantage, config });
          draw.thought.cache.dispose();
          const loss = lossSum.div(prompts.length * k);
          loss.backward();
          iterationLoss += loss.item();
          clip = addClipStats(clip, stats);
        });
        row += m;
      }
      [iterationLoss] = dp.sum([iterationLoss]) as [number];
      lossTotal += iterationLoss;
      update = trainer.optimizerStep(iterationLoss);
    }
    for (const s of sampled) disposeSampled(s);
    const [low, high, kl, clipTokens] = dp.sum([clip.low, clip.high, clip.kl, clip.tokens]);
    clip = { low: low!, high: high!, kl: kl!, tokens: clipTokens! };

    const a = summary(globalAdv.flat());
    const r = summary(rewards.flat());
    const tokens = Math.max(1, clip.tokens);
    const stats: LrGrpoStepStats = {
      step: step + 1,
      reward: r.mean,
      reward_std: r.std,
      frac_reward_zero_std: rewards.filter((g) => g.every((x) => x === g[0])).length / rewards.length,
      reward_unnoised: summary(rewards.map((g) => g[0]!)).mean,
      advantage_mean: a.mean,
      advantage_std: a.std,
      advantage_min: a.min,
      advantage_max: a.max,
      "clip_ratio/low_mean": clip.low / tokens,
      "clip_ratio/high_mean": clip.high / tokens,
      "clip_ratio/region_mean": (clip.low + clip.high) / tokens,
      kl: clip.kl / tokens,
      grad_norm: update.gradNorm,
      learning_rate: update.lr,
      loss: lossTotal / config.iterations,
      step_seconds: (performance.now() - stepStart) / 1000,
      ...initial,
      ...(heldOut && ((step + 1) % heldOut.every === 0 || step + 1 === totalSteps) ? monitor("") : {}),
    };
    trainer.state.history.push(stats);
    const { step: _logged, ...metrics } = stats;
    await trainer.endStep(metrics, {
      reward: stats.reward,
      unnoised: stats.reward_unnoised,
      "adv std": stats.advantage_std,
      ...(stats.eval_reward === undefined ? {} : { "held-out": stats.eval_reward }),
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
    ...Object.values(s.answers),
  ]) {
    if (typeof t === "object" && t !== null && "dispose" in t) (t as Tensor).dispose();
  }
}
