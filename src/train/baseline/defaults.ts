/**
 * Training defaults per architecture, from each model's own code where our protocol allows: SASRec
 * (pmixer's port: Adam β₂ 0.98, every position, one negative), GRU4Rec (every position, one negative),
 * Caser (its authors' code: the target of each window, 3 negatives, batch 512, L2 1e-6). Shared:
 * at most 200 epochs, selection every epoch, stop after 10 evaluations without improvement.
 */
import type { Arch } from "../../baselines/model.js";
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
};
