/**
 * Language-model pretraining of a small model from scratch, so the recommender starts from a model
 * that already "reads" the catalogue's titles and the prompt format (the stand-in for a pretrained
 * LLM on machines that cannot download one). The corpus: every catalogue title as an answer
 * (`"title"⏎` + EOS) and every training prompt with its answer; next-token loss on all tokens.
 */
import { int64 } from "../engine/index.js";
import { lengthBucketedBatches } from "../data/batching.js";
import { padBatch } from "../data/encode.js";
import { hashSeed, Rng } from "../data/rng.js";
import type { Example } from "../data/types.js";
import type { Recommender } from "../latent/recommender.js";
import { languageModelLossSum } from "./objectives.js";
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

/** Pretraining's defaults: one epoch over titles and prompts, larger lr, cosine, no early stopping. */
export const PRETRAIN_CONFIG = SUPERVISED_CONFIG.withDefaults({
  epochs: 1,
  batchSize: 16,
  microBatchSize: 16,
  lr: 1e-3,
  warmupSteps: 20,
  schedule: "cosine",
  patience: 0,
});

export function pretrainingCorpus(
  rec: Recommender,
  titles: readonly string[],
  examples: readonly Example[],
): number[][] {
  const rows = mapWithProgress("pretrain: encoding titles", titles, (t) => rec.answerIds(t));
  const prompts = mapWithProgress("pretrain: encoding prompts", examples, (e) => {
    const row = rec.trainingRow(e);
    return [...row.prompt, ...row.target];
  });
  return [...rows, ...prompts];
}

export function pretrainTask(
  rec: Recommender,
  corpus: readonly number[][],
  validFraction = 0.05,
  seed = 0,
): SupervisedTask<number[]> {
  const order = new Rng(hashSeed(seed, "pretrain-split")).shuffle(corpus.map((_, i) => i));
  const nValid = Math.max(1, Math.floor(corpus.length * validFraction));
  const valid = order.slice(0, nValid).map((i) => corpus[i]!);
  const train = order.slice(nValid).map((i) => corpus[i]!);
  const lengths = train.map((r) => r.length);
  const pad = rec.tokenizer.padId;
  const device = rec.model.device;
  return {
    label: "pretrain",
    store: rec.model.store,
    trainable: rec.model.parameters(),
    model: rec.model,
    train,
    valid,
    batches: (epoch, batchSize, s) =>
      lengthBucketedBatches(lengths, { batchSize, seed: s }, epoch).map((idx) => idx.map((i) => train[i]!)),
    tokens: (row) => row.length - 1,
    lossSum: (micro) => {
      const padded = padBatch(micro, { padId: pad, side: "right" }, micro);
      const b = micro.length;
      const t = padded.inputIds[0]!.length;
      const ids = int64(padded.inputIds.flat(), [b, t], device);
      const mask = int64(padded.attentionMask.flat(), [b, t], device);
      const labels = int64(padded.labels!.flat(), [b, t], device);
      return languageModelLossSum(rec.model, ids, mask, labels);
    },
  };
}

export async function runPretrain(
  rec: Recommender,
  corpus: readonly number[][],
  config: SupervisedConfig,
  run: RunFolder,
  opts: { resume?: boolean; dp?: DataParallel } = {},
): Promise<SupervisedResult> {
  return trainSupervised(pretrainTask(rec, corpus, 0.05, config.seed), config, run, opts);
}
