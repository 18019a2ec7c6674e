/** Every LR-GRPO setting, declared once: defaults, bounds and help (the CLI options derive from it). */
import { choice, configTable, int, number, type ConfigOf } from "../../util/config-table.js";

export const LR_GRPO_CONFIG = configTable("LR-GRPO", {
  samples: int(8, "latent samples per prompt K (sample 1 unnoised)", { min: 2 }),
  sigma: number(1.5, "std of the Gaussian noise on the (last) latent", { min: 0 }),
  promptsPerStep: int(32, "prompts per optimizer step (the advantage's batch)", { min: 1 }),
  microPrompts: int(8, "prompts per forward/backward (gradient accumulation within a step)", { min: 1 }),
  lr: number(5e-5, "peak learning rate of LatentRATT (AdamW)", { above: 0 }),
  warmupSteps: int(200, "warm-up steps of the cosine schedule", { min: 0 }),
  epochs: int(1, "passes over the training prompts", { min: 1 }),
  maxSteps: int(0, "stop after this many steps (0 = the epochs' worth)", { min: 0 }),
  clipLow: number(0.2, "PPO ε_low", { min: 0, below: 1 }),
  clipHigh: number(0.28, "PPO ε_high", { min: 0 }),
  iterations: int(1, "policy updates per sampled batch (1 = ratio 1, as the reference)", { min: 1 }),
  maxGradNorm: number(1, "gradient-norm clipping", { above: 0 }),
  weightDecay: number(0, "AdamW decoupled weight decay", { min: 0 }),
  advantage: choice(["batch", "group"] as const, "batch", "batch-level (LR-GRPO) or group-level (ablation) advantage"),
  reward: choice(
    ["perplexity", "exact-match"] as const,
    "perplexity",
    "negative perplexity of the true title (LR-GRPO), or 0/1 exact match of a generated answer (original GRPO)",
  ),
  policy: choice(
    ["target-likelihood", "gaussian"] as const,
    "target-likelihood",
    "PPO ratio on the answer's likelihood under the noisy latent (paper), or on the latent's Gaussian density",
  ),
  seed: int(42, "seed of prompt order and noise"),
  checkpointEvery: int(20, "steps between resumable checkpoints", { min: 1 }),
});
export type LrGrpoConfig = ConfigOf<typeof LR_GRPO_CONFIG>;
export const DEFAULT_LR_GRPO: LrGrpoConfig = LR_GRPO_CONFIG.defaults();
