/**
 * The sequential baselines' stages: train (one run, or the paper's grid with the best point kept by
 * NDCG@10 on the selection split) and evaluate (full ranking over the catalogue, through the same
 * evaluator as every other method). Both work in run folders like the LLM stages.
 */
import { cpSync, existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { engineInfo, type Device } from "../engine/index.js";
import { baselineConfig, type ConfigOverrides } from "../baselines/config.js";
import { checkCatalogue, createBaseline, loadBaseline, saveBaseline } from "../baselines/folder.js";
import { ARCHS, type Arch, type SequentialRecommender } from "../baselines/model.js";
import type { AlphaRecInputs } from "../baselines/alpharec/model.js";
import { sequenceRows } from "../baselines/sequences.js";
import { ItemVocabulary, UserVocabulary } from "../baselines/vocabulary.js";
import type { DataSource } from "../data/data-source.js";
import { ItemMapping } from "../decode/item-mapping.js";
import { TitleGroups, baselinePredictions, selectionNdcg, type SelectionHits } from "../eval/baseline-predictions.js";
import { evaluationReport } from "../eval/evaluate.js";
import { readMetricsJsonl } from "../eval/jsonl.js";
import { METRIC_KS } from "../eval/metrics.js";
import { latencyFigures, writeReport } from "../eval/report.js";
import type { Report } from "../eval/report-schema.js";
import { trainGrid, type GridPoint, type GridPointResult } from "../train/baseline/grid.js";
import { trainBaseline, type BaselineTask, type BaselineTrainingConfig } from "../train/baseline/trainer.js";
import { RunFolder, TRAINING_ARTIFACTS } from "../train/run-folder.js";
import { writeJsonAtomic } from "../util/atomic-file.js";
import { boolean, choice, configTable, list, optional, required, type ConfigOf } from "../util/config-table.js";
import { DataParallel, distributedEnv } from "../distributed/index.js";
import { TITLE_EMBEDDINGS_FILE, alphaRecInputs } from "./alpharec-inputs.js";
import { readConfig } from "../llm/checkpoint.js";
import { MODEL_SUBDIR, describeSource, type RunFolderOptions } from "./stages.js";
import { claimEvaluation, evaluatedUsers, type FolderMode } from "./evaluation-stages.js";

/** Cut-off of the selection metric: NDCG@10, the paper's headline metric. */
export const SELECTION_K = 10;

/** `latentr3 train baseline`'s own settings (the model's and training's are in their tables). */
export const BASELINE_STAGE = configTable("baseline run", {
  arch: { ...required("sasrec, gru4rec, caser or alpharec"), choices: ARCHS },
  model: optional("string", "AlphaRec: the LLM folder (Qwen2) whose title embeddings it reads"),
  out: optional("string", "run folder (default runs/<arch>)"),
  grid: boolean("the paper's 3 × 3 grid of learning rate and weight decay, one resumable folder per point"),
  gridLr: list([], "with --grid: learning rates to search instead of the paper's 1e-2,1e-3,1e-4"),
  gridWeightDecay: list([], "with --grid: weight decays to search instead of the paper's 1e-4,1e-5,1e-6"),
  selectBy: choice(
    ["title", "item"] as const,
    "title",
    "selection NDCG@10 with hits by title (as the tables report) or by item id",
  ),
});
export type BaselineStageConfig = ConfigOf<typeof BASELINE_STAGE>;

/** The command a baseline run folder is claimed under, and what it writes there. */
export const BASELINE_COMMAND = "train baseline";
export const BASELINE_ARTIFACTS = [...TRAINING_ARTIFACTS, "grid", "grid.json", TITLE_EMBEDDINGS_FILE] as const;

export interface BaselineTrainOptions {
  source: DataSource;
  dir: string;
  arch: Arch;
  /** Architecture settings over the defaults (hidden_size, num_blocks, dropout, max_len, …). */
  model: ConfigOverrides;
  training: BaselineTrainingConfig;
  /** Grid points (lr × weight decay); omitted = one run with `training`'s lr and weight decay. */
  grid?: readonly GridPoint[];
  /** Hits by title (as every table reports) or by item id, for selection and early stopping. */
  selectBy: SelectionHits;
  /** AlphaRec: the LLM folder whose title embeddings it reads. */
  llm?: string;
  device?: Device;
}

export interface TrainedBaseline {
  modelDir: string;
  /** Best selection NDCG@10. */
  best: number;
  seconds: number;
  /** Optimizer steps (over every grid point). */
  steps: number;
  /** Every grid point, best first (grid runs only). */
  grid?: GridPointResult[];
}

export async function baselineTrainStage(opts: BaselineTrainOptions & RunFolderOptions): Promise<TrainedBaseline> {
  const { source, arch } = opts;
  const started = performance.now();
  const vocab = new ItemVocabulary(source.items);
  const users = arch === "caser" || arch === "alpharec" ? UserVocabulary.fromExamples(source.splits.train) : null;
  const train = sequenceRows(source.splits.train, vocab, users, "train");
  const valid = sequenceRows(source.splits.valid, vocab, users, "valid");
  if (valid.length === 0)
    throw new Error(`${source.name}: no selection (valid) rows to choose epochs and grid points on`);
  const config = baselineConfig(arch, vocab, users, { ...opts.model, ...alphaRecSizes(arch, opts) });
  const context = { vocab, groups: new TitleGroups(vocab, source.items), mapping: new ItemMapping(source.items) };
  const selectionName = `NDCG@${SELECTION_K} (${opts.selectBy === "title" ? "by title" : "by item id"}, selection split)`;
  const task = (model: SequentialRecommender, label: string): BaselineTask => ({
    label,
    model,
    train,
    select: () => selectionNdcg(model, valid, source.splits.valid, context, { k: SELECTION_K, hits: opts.selectBy }),
    selectionName,
  });
  let alpharec: AlphaRecInputs | undefined;
  const newModel = () =>
    createBaseline(config, { device: opts.device, seed: opts.training.seed, users, ...(alpharec ? { alpharec } : {}) });
  const settings = {
    arch,
    ...(opts.llm ? { llm: resolve(opts.llm) } : {}),
    model: config,
    training: opts.training,
    ...(opts.grid ? { grid: opts.grid } : {}),
    selection: selectionName,
    data: describeSource(source),
  };
  refuseUnderLauncher("training");
  const run = RunFolder.claim(opts.dir, {
    command: BASELINE_COMMAND,
    settings,
    inputs: { data: source.dir },
    resume: opts.resume ?? false,
    overwrite: opts.overwrite ?? false,
    artifacts: BASELINE_ARTIFACTS,
  });
  if (arch === "alpharec") {
    alpharec = await alphaRecInputs({
      llmDir: opts.llm!,
      items: source.items,
      vocab,
      numUsers: users!.size,
      train,
      cache: run.path(TITLE_EMBEDDINGS_FILE),
      device: opts.device,
    });
  }
  const probe = newModel();
  const parameters = probe.store.numParameters();
  probe.store.dispose();
  run.extendConfig({ stage: "baseline", ...settings, parameters, engine: engineInfo() });
  const modelDir = run.path(MODEL_SUBDIR);
  if (!opts.grid) {
    const model = newModel();
    const result = await trainBaseline(task(model, arch), opts.training, run, { resume: opts.resume });
    saveBaseline(model, modelDir);
    return { modelDir, best: result.best, seconds: (performance.now() - started) / 1000, steps: result.steps };
  }
  const results = await trainGrid({
    dir: opts.dir,
    points: opts.grid,
    config: opts.training,
    task: (p) => task(newModel(), `${arch} lr ${p.lr} wd ${p.weightDecay}`),
    save: saveBaseline,
    resume: opts.resume ?? false,
  });
  const best = results[0]!;
  rmSync(modelDir, { recursive: true, force: true });
  cpSync(join(best.dir, MODEL_SUBDIR), modelDir, { recursive: true });
  // The chosen point's training curves, for the evaluation report's plots.
  cpSync(join(best.dir, "metrics.jsonl"), run.path("metrics.jsonl"));
  writeJsonAtomic(run.path("grid.json"), { selection: selectionName, best, points: results });
  console.error(
    `[grid] best: lr ${best.lr}, weight decay ${best.weightDecay} (${selectionName} ${best.best.toFixed(4)} at epoch ${best.bestEpoch})`,
  );
  const steps = results.reduce((n, r) => n + r.steps, 0);
  return { modelDir, best: best.best, seconds: (performance.now() - started) / 1000, steps, grid: results };
}

/** AlphaRec's sizes that come from its LLM (lm_hidden_size, and mlp_hidden_size unless given). */
function alphaRecSizes(arch: Arch, opts: BaselineTrainOptions): ConfigOverrides {
  if (arch !== "alpharec") {
    if (opts.llm) throw new Error(`train baseline --arch ${arch}: --model is for AlphaRec only (${arch} reads no LLM)`);
    return {};
  }
  if (!opts.llm) {
    throw new Error(
      "train baseline --arch alpharec: --model is missing; expected the LLM folder whose title embeddings AlphaRec reads",
    );
  }
  const lm = readConfig(opts.llm).hidden_size;
  return {
    lm_hidden_size: lm,
    mlp_hidden_size: (opts.model.mlp_hidden_size as number | undefined) ?? Math.max(1, Math.round(lm / 2)),
  };
}

export interface BaselineEvaluateOptions extends FolderMode {
  source: DataSource;
  dir: string;
  modelDir: string;
  run: string;
  method?: string;
  /** Evaluate only the first N test examples (0 = all). */
  limit: number;
  batchSize: number;
  device?: Device;
}

/**
 * The baselines run in one process (an epoch is seconds to minutes on a CPU): under `latentr3 launch`
 * every worker would train the same model into the same folder.
 */
function refuseUnderLauncher(what: string): void {
  const env = distributedEnv();
  if (env && env.worldSize > 1) {
    throw new Error(`baseline ${what} runs in one process: run it without \`latentr3 launch\``);
  }
}

/** Full ranking of every catalogue item for every test user: report.json + report.html in `dir`. */
export function baselineEvaluateStage(opts: BaselineEvaluateOptions): Report {
  const { source } = opts;
  const evaluated = evaluatedUsers(source, opts.limit);
  const { test } = evaluated;
  refuseUnderLauncher("evaluation");
  claimEvaluation(
    DataParallel.single(),
    opts.dir,
    { model: resolve(opts.modelDir), method: opts.method, data: describeSource(source), limit: opts.limit },
    { model: opts.modelDir, data: source.dir },
    opts,
  );
  const model = loadBaseline(opts.modelDir, { device: opts.device });
  const vocab = new ItemVocabulary(source.items);
  checkCatalogue(model, vocab, opts.modelDir);
  const rows = sequenceRows(test, vocab, model.users, "test");
  const groups = new TitleGroups(vocab, source.items);
  const k = Math.max(...METRIC_KS);
  const start = performance.now();
  const { titles, itemIds } = baselinePredictions(model, rows, vocab, groups, { k, batchSize: opts.batchSize });
  const totalMs = performance.now() - start;
  const log = join(opts.modelDir, "..", "metrics.jsonl");
  const arch = model.config.model_type;
  const report = evaluationReport({
    run: opts.run,
    method: opts.method ?? `${arch} (full ranking)`,
    model: `${arch}, ${model.store.numParameters()} parameters`,
    dataset: source.name,
    split: evaluated.split,
    test,
    predictions: titles,
    rankedItems: itemIds,
    train: source.splits.train,
    catalogue: source.items,
    latency: latencyFigures(
      test.length,
      totalMs,
      { "score all items + rank": totalMs },
      {
        device: model.store.device,
        batchSize: opts.batchSize,
      },
    ),
    ...(existsSync(log) ? { training: readMetricsJsonl(log) } : {}),
    notes: [
      `full ranking over ${vocab.size} items (${groups.titles.length} distinct titles); ranked lists of ${k}; a title ranks at its best-scored item`,
      evaluated.coverage,
      `data protocol: ${source.splits.protocol}`,
    ],
  });
  writeReport(opts.dir, report);
  return report;
}
