/**
 * Pooling of side-by-side runs: for each thread setting, our runs and PyTorch's runs alternate, so a
 * slow patch of a shared VM hits both. Ratios are ours / PyTorch (below 1 = we are faster).
 */
import { median, summarize, type Summary } from "./stats.js";

export interface PairedRuns {
  /** Per round, the times (ms) of our run and of PyTorch's run. */
  ours: number[][];
  torch: number[][];
}

export interface Comparison {
  ours: Summary;
  torch: Summary;
  /** Pooled median over pooled median. */
  ratioMedian: number;
  /** Pooled min over pooled min: the least noise-sensitive figure on a busy machine. */
  ratioMin: number;
  /** Median over rounds of (our round median / PyTorch's round median): robust to slow drift. */
  ratioPaired: number;
}

export function compare(runs: PairedRuns): Comparison {
  const ours = summarize(runs.ours.flat());
  const torch = summarize(runs.torch.flat());
  const paired = runs.ours.map((o, i) => median(o) / median(runs.torch[i]!));
  return {
    ours,
    torch,
    ratioMedian: ours.median / torch.median,
    ratioMin: ours.min / torch.min,
    ratioPaired: median(paired),
  };
}

/** Fails loudly when the two sides were not given the same model: a ratio of different work means nothing. */
export function assertSameModel(ours: Record<string, unknown>, torch: Record<string, unknown>, keys: string[]): void {
  const diffs = keys.filter((k) => ours[k] !== torch[k]).map((k) => `${k}: ours ${ours[k]} vs PyTorch ${torch[k]}`);
  if (diffs.length > 0) throw new Error(`the TypeScript and Python models differ:\n  ${diffs.join("\n  ")}`);
}

/** The config fields that decide the amount of work, plus the parameter count as a cross-check. */
export const SHAPE_KEYS = [
  "vocab_size",
  "hidden_size",
  "intermediate_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "tie_word_embeddings",
  "params",
];
