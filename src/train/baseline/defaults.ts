/**
 * Training defaults per architecture, from each model's own code where our protocol allows: SASRec
 * (pmixer's port: Adam β₂ 0.98, every position, one negative), GRU4Rec (every position, one negative),
 * Caser (its authors' code: the target of each window, 3 negatives, batch 512, L2 1e-6). Shared:
 * at most 200 epochs, selection every epoch, stop after 10 evaluations without improvement.
 */
import type { Arch } from "../../baselines/model.js";
import { ConfigError, configTable, optional, type ConfigOf } from "../../util/config-table.js";
import { TRAIN_POSITIONS } from "./objective.js";
import type { BaselineTrainingConfig } from "./trainer.js";

const SHARED: BaselineTrainingConfig = {
  epochs: 200,
  batchSize: 128,
  lr: 1e-3,
  weightDecay: 0,
  adamBeta2: 0.999,
  negatives: 1,
  positions: "all",
  evalEvery: 1,
  patience: 10,
  seed: 42,
};

export const BASELINE_TRAINING_DEFAULTS: Record<Arch, BaselineTrainingConfig> = {
  sasrec: { ...SHARED, adamBeta2: 0.98 },
  gru4rec: { ...SHARED },
  caser: { ...SHARED, batchSize: 512, weightDecay: 1e-6, negatives: 3, positions: "target" },
  // AlphaRec's README command and parse.py: batch 4096, lr 5e-4, weight decay 1e-6, 256 sampled
  // negatives, patience 20; it trains (user, item) pairs, ours each row's (user, target).
  alpharec: {
    ...SHARED,
    batchSize: 4096,
    lr: 5e-4,
    weightDecay: 1e-6,
    negatives: 256,
    positions: "target",
    patience: 20,
  },
};

/** Training settings a user may set; each given one overrides the architecture's default above. */
export const BASELINE_TRAINING_CONFIG = configTable("baseline training", {
  epochs: optional("int", "maximum epochs (default 200)", { min: 1 }),
  batchSize: optional("int", "rows per step (default 128; Caser 512)", { min: 1 }),
  lr: optional("number", "Adam learning rate without --grid (default 1e-3)", { above: 0 }),
  weightDecay: optional("number", "Adam L2 weight decay without --grid (default 0; Caser 1e-6)", { min: 0 }),
  negatives: optional("int", "sampled negatives per positive (default 1; Caser 3)", { min: 1 }),
  positions: {
    ...optional(
      "string",
      "train on every position of a row's history or on its target only (default: all; Caser: target)",
    ),
    choices: TRAIN_POSITIONS,
  },
  patience: optional("int", "selection evaluations without improvement before stopping (default 10; 0 = off)", {
    min: 0,
  }),
  evalEvery: optional("int", "epochs between selection evaluations (default 1)", { min: 1 }),
  seed: optional("int", "seed of initialisation, batch order, negatives and dropout (default 42)"),
});
export type BaselineTrainingSettings = ConfigOf<typeof BASELINE_TRAINING_CONFIG>;

/** The architecture's defaults with the given settings over them. */
export function baselineTraining(arch: Arch, settings: BaselineTrainingSettings): BaselineTrainingConfig {
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const config = { ...BASELINE_TRAINING_DEFAULTS[arch], ...given } as BaselineTrainingConfig;
  if ((arch === "caser" || arch === "alpharec") && config.positions === "all") {
    throw new ConfigError(
      `--positions all: ${arch === "caser" ? "Caser reads one window per row" : "AlphaRec scores users, not positions"} and trains on the row's target only`,
      "positions",
    );
  }
  return config;
}
