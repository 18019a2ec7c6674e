/**
 * SFT of a recommender (BIGRec when it has no latents; LatentR3's warm-up when it has): target-only
 * cross-entropy, all parameters trainable (or, with LoRA adapters attached, the adapters and
 * LatentRATT), through the shared supervised loop.
 */
import type { Tensor } from "../engine/index.js";
import { lengthBucketedBatches } from "../data/batching.js";
import type { Example } from "../data/types.js";
import type { Recommender } from "../latent/recommender.js";
import { collatePromptTarget, type PromptTarget } from "../data/collate.js";
import { latentTargetLossSum, targetLossSum } from "./objectives.js";
import { loraParameters } from "../llm/lora.js";
import type { DataParallel } from "../distributed/index.js";
import type { RunFolder } from "./run-folder.js";
import { mapWithProgress } from "../util/progress.js";
import {
  SUPERVISED_CONFIG,
  trainSupervised,
  type SupervisedConfig,
  type SupervisedResult,
  type SupervisedTask,
} from "./supervised.js";

/** SFT's defaults: the reference recipe (lr 3e-4, linear, warm-up 20, patience 1) with CPU-sized batches. */
export const SFT_CONFIG = SUPERVISED_CONFIG.withDefaults({ batchSize: 32, microBatchSize: 16 });

/** What SFT trains: every parameter, or with LoRA adapters attached the adapters and LatentRATT. */
export function sftTrainable(rec: Recommender): Tensor[] {
  const adapters = loraParameters(rec.model);
  if (adapters.length === 0) return rec.model.parameters();
  return [...adapters, ...(rec.reasoner?.rattParameters() ?? [])];
}

export function sftTask(
  rec: Recommender,
  train: readonly Example[],
  valid: readonly Example[],
  label = "sft",
): SupervisedTask<PromptTarget> {
  const trainRows = mapWithProgress(`${label}: encoding training rows`, train, (e) => rec.trainingRow(e));
  const validRows = mapWithProgress(`${label}: encoding validation rows`, valid, (e) => rec.trainingRow(e));
  const lengths = trainRows.map((r) => r.prompt.length + r.target.length);
  const pad = rec.tokenizer.padId;
  const device = rec.model.device;
  return {
    label,
    store: rec.model.store,
    trainable: sftTrainable(rec),
    checkpointed: (name) => rec.model.store.params.get(name)?.requiresGrad ?? false,
    model: rec.model,
    train: trainRows,
    valid: validRows,
    batches: (epoch, batchSize, seed) =>
      lengthBucketedBatches(lengths, { batchSize, seed }, epoch).map((idx) => idx.map((i) => trainRows[i]!)),
    tokens: (row) => row.target.length,
    lossSum: (micro) => {
      const batch = collatePromptTarget(micro, pad, device);
      return rec.reasoner ? latentTargetLossSum(rec.reasoner, batch) : targetLossSum(rec.model, batch);
    },
  };
}

export async function runSft(
  rec: Recommender,
  train: readonly Example[],
  valid: readonly Example[],
  config: SupervisedConfig,
  run: RunFolder,
  opts: { resume?: boolean; label?: string; dp?: DataParallel } = {},
): Promise<SupervisedResult> {
  // All parameters train, or with LoRA only the adapters (and LatentRATT): the base stays frozen.
  const trainable = new Set(sftTrainable(rec));
  for (const p of rec.model.parameters()) p.setRequiresGrad(trainable.has(p));
  return trainSupervised(sftTask(rec, train, valid, opts.label), config, run, opts);
}
