/**
 * What the three sequential baselines have in common: each turns a padded batch of histories into a
 * query vector and scores items through an output table (logit of item i = query · weight[i] +
 * bias[i]), so one BCE objective, one negative sampler and one full-ranking scorer serve all three.
 */
import type { Generator, Tensor } from "../engine/index.js";
import type { ParamStore } from "../nn/index.js";
import type { Padding, SequenceBatch } from "./batch.js";
import type { UserVocabulary } from "./vocabulary.js";

export const ARCHS = ["sasrec", "gru4rec", "caser", "alpharec"] as const;
export type Arch = (typeof ARCHS)[number];

export function isArch(s: string): s is Arch {
  return (ARCHS as readonly string[]).includes(s);
}

/** Fields every baseline's config.json carries (snake_case, as Hugging Face configs). */
export interface BaseConfig {
  model_type: Arch;
  /** Catalogue size N: items have indices 1..N, 0 is padding. */
  num_items: number;
  /** Histories longer than this keep their last `max_len` items. */
  max_len: number;
  /** The catalogue the model was trained on (see ItemVocabulary.fingerprint). */
  catalogue_fingerprint: string;
}

export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation). */
  training: boolean;
  /** Draws the dropout masks; a fresh seeded one per epoch makes training reproducible. */
  generator?: Generator;
}

export interface SequentialRecommender {
  readonly config: BaseConfig;
  readonly store: ParamStore;
  readonly padding: Padding;
  /** Users known to the model (Caser's user embedding), or null for models without users. */
  readonly users: UserVocabulary | null;
  /** Output table [N + 1, D] (row 0 = padding) and optional per-item bias [N + 1, 1]. */
  readonly itemWeight: Tensor;
  readonly itemBias: Tensor | null;
  /**
   * Query after every position [B, W, D]: the model's prediction of the next item at each step
   * (SASRec, GRU4Rec). Absent for models that only read the last window (Caser).
   */
  sequenceQueries?(batch: SequenceBatch, opts: ForwardOptions): Tensor;
  /** Query after each row's whole history [B, D]. */
  finalQuery(batch: SequenceBatch, opts: ForwardOptions): Tensor;
}
