/**
 * The policy's reward on fixed prompts: the mean unnoised −PPL of their true titles, on prompts the RL
 * stage does not train on (spread over the selection split) and on prompts it does (spread over the
 * training set). The per-step `reward_unnoised` is over each step's random batch, so its curve follows
 * which prompts a batch holds as much as learning; these are measured on the same prompts every time,
 * so a change is the policy's — on its own objective (training prompts) and beyond it (held out). They
 * do not affect training (no gradients, no randomness), so they are not part of what a resumed run must
 * match.
 */
import { noGrad, tidy, zeros } from "../../engine/index.js";
import type { LatentReasoner } from "../../latent/latent-reasoner.js";
import { collatePromptTarget, type PromptTarget } from "../../data/collate.js";
import type { DataParallel } from "../../distributed/index.js";
import { configTable, int, type ConfigOf } from "../../util/config-table.js";
import { drawLatents } from "./latent-samples.js";
import { REWARDS } from "./strategies.js";

export const HELD_OUT_REWARD_CONFIG = configTable("held-out reward", {
  evalEvery: int(
    10,
    "steps between fixed-prompt rewards (mean unnoised −PPL on --eval-prompts selection and as many training prompts; 0 = never)",
    { min: 0 },
  ),
  evalPrompts: int(64, "prompts of each fixed-prompt reward, spread evenly over the split", { min: 1 }),
});
export type HeldOutRewardConfig = ConfigOf<typeof HELD_OUT_REWARD_CONFIG>;

/** `n` items spread evenly over `xs` (all of them when n ≥ its length), in order. */
export function spreadOver<T>(xs: readonly T[], n: number): T[] {
  if (n >= xs.length) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!);
}

/**
 * Mean unnoised reward over `prompts`, `microPrompts` at a time. Under data parallelism each rank
 * scores its share and the sums are combined, so every rank returns the same value.
 */
export function heldOutReward(
  reasoner: LatentReasoner,
  prompts: readonly PromptTarget[],
  padId: number,
  microPrompts: number,
  dp: DataParallel,
): number {
  const local = dp.shard(prompts);
  let sum = 0;
  for (let i = 0; i < local.length; i += microPrompts) {
    const micro = local.slice(i, i + microPrompts);
    sum += noGrad(() =>
      tidy(() => {
        const batch = collatePromptTarget(micro, padId, reasoner.model.device);
        const prefilled = reasoner.prefill(batch.promptIds, batch.promptMask);
        const noise = zeros([micro.length, reasoner.model.config.hidden_size], { device: reasoner.model.device });
        const draw = drawLatents(reasoner, prefilled, noise, 1);
        const { rewards } = REWARDS.perplexity.score({ reasoner, draw, batch, k: 1, padId });
        draw.thought.cache.dispose();
        prefilled.cache.dispose();
        return rewards.reduce((a, b) => a + b, 0);
      }),
    );
  }
  const [total] = dp.sum([sum]) as [number];
  return total / prompts.length;
}
