/**
 * The evaluation stages: an LLM's full-ranking evaluation (constrained beam search or BIGRec's
 * grounding, resumable batch by batch, data-parallel under a launcher) and the most-popular list's,
 * each into a run folder's report.json + report.html.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DataParallel } from "../distributed/index.js";
import type { DataSource } from "../data/data-source.js";
import type { Example } from "../data/types.js";
import type { Decoding } from "../decode/decoding-config.js";
import { catalogueEmbeddings, groundedRecommend, weightsFingerprint } from "../decode/grounded-recommend.js";
import { ItemMapping } from "../decode/item-mapping.js";
import { buildTitleTrie, type DecodedBatch, type RecommendOptions, type Recommendations } from "../decode/recommend.js";
import { evaluationReport } from "../eval/evaluate.js";
import { readMetricsJsonl } from "../eval/jsonl.js";
import { mostPopular, type PopularityRanking } from "../eval/popularity-baseline.js";
import { latencyFigures, readReport, REPORT_JSON, writeReport } from "../eval/report.js";
import type { Report } from "../eval/report-schema.js";
import type { Recommender } from "../latent/recommender.js";
import { RunFolder } from "../train/run-folder.js";
import { Progress } from "../util/progress.js";
import { PartialPredictionWriter, readPartialPredictions, writePredictions } from "./prediction-log.js";
import { recommendSharded, shardedDecoding } from "./sharded-recommend.js";
import { claimOnRankZero, describeSource, EVAL_ARTIFACTS, joinJob, STAGE_COMMANDS } from "./stages.js";

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
