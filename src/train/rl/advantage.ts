/**
 * Advantages from a batch of rewards arranged as groups (one per prompt) of K samples, sample 0 being
 * the unnoised latent. Pure functions on numbers: they are tiny, and tested by hand.
 */

export type AdvantageKind = "batch" | "group";

/**
 * LR-GRPO's batch-level advantage (paper eq. 7): baseline = mean over the batch's groups of the
 * unnoised reward s¹; u = s − baseline; A = u / (‖u‖₂ + 1e-6), the L2 norm over every sample of the
 * batch (not a standard deviation). "Batch" is the whole optimizer batch here, not the reference
 * code's two groups per micro-step.
 */
export function batchAdvantage(rewards: readonly (readonly number[])[]): number[][] {
  if (rewards.length === 0) return [];
  const baseline = rewards.reduce((s, g) => s + g[0]!, 0) / rewards.length;
  const u = rewards.map((g) => g.map((s) => s - baseline));
  const norm = Math.sqrt(u.reduce((s, g) => s + g.reduce((t, x) => t + x * x, 0), 0));
  return u.map((g) => g.map((x) => x / (norm + 1e-6)));
}

/**
 * The "w/o batch advantage" ablation: GRPO's group-relative advantage, A = (s − mean_g) / (std_g + 1e-4)
 * with the unbiased standard deviation of the group (torch.std, as TRL's GRPO, eps 1e-4).
 */
export function groupAdvantage(rewards: readonly (readonly number[])[]): number[][] {
  return rewards.map((g) => {
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const std = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, g.length - 1));
    return g.map((s) => (s - mean) / (std + 1e-4));
  });
}

export function advantages(kind: AdvantageKind, rewards: readonly (readonly number[])[]): number[][] {
  return kind === "batch" ? batchAdvantage(rewards) : groupAdvantage(rewards);
}

/** mean, std (population), min, max of a list. */
export function summary(xs: readonly number[]): { mean: number; std: number; min: number; max: number } {
  if (xs.length === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}
