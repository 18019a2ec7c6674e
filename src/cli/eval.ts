/** `latentr3 eval`: full-ranking evaluation of a model folder with constrained beam search. */
import { basename, join } from "node:path";
import type { CommandSpec } from "./command.js";
import { dataSourceFrom, deviceFrom, modelFolderFrom } from "./options.js";
import { isBaselineFolder } from "../baselines/folder.js";
import { DATA_SOURCE_CONFIG } from "../data/data-source.js";
import { selectionAsTest } from "../data/protocol.js";
import { DECODING_CONFIG, type DecodingConfig } from "../decode/decoding-config.js";
import { ZERO_SHOT_CONFIG } from "../decode/zero-shot.js";
import { zeroShotEvaluateStage } from "../pipeline/zero-shot-stage.js";
import { DEVICE_CONFIG } from "../engine/index.js";
import type { PopularityRanking } from "../eval/popularity-baseline.js";
import { baselineEvaluateStage } from "../pipeline/baseline-stages.js";
import { DISTRIBUTED_CONFIG } from "../distributed/index.js";
import { formatMetricsLine } from "../eval/format.js";
import { Recommender } from "../latent/recommender.js";
import type { Report } from "../eval/report-schema.js";
import { EVAL_ARTIFACTS, EVAL_STAGE, STAGE_COMMANDS, joinJob } from "../pipeline/stages.js";
import { evaluateStage, popularityStage } from "../pipeline/evaluation-stages.js";
import { RUN_CONFIG, checkRunFolder } from "../train/run-folder.js";

const EVAL_RUN = RUN_CONFIG;

const POPULARITY_MODELS: Record<string, PopularityRanking | undefined> = {
  popularity: "titles",
  "popularity-items": "items",
};

/** The decoding as the report names it. */
function decodingLabel(decode: DecodingConfig): string {
  if (decode.decoding === "grounding") return "BIGRec grounding decoding (greedy answer, L2-nearest titles)";
  return decode.lengthPenalty === 0 ? "D3 decoding (lp 0)" : `BIGRec decoding (lp ${decode.lengthPenalty})`;
}

/** An LLM evaluation's folder beside its model, named by how it decodes. */
function llmEvalFolder(method: string, decode: DecodingConfig): string {
  if (method !== "model") return `eval-${method}`;
  return decode.decoding === "grounding" ? "eval-grounding" : `eval-lp${decode.lengthPenalty}`;
}

/** Test users scored per batch by a baseline (a [batch, catalogue] score matrix). */
const BASELINE_EVAL_BATCH = 256;

export const evalCommand: CommandSpec = {
  path: ["eval"],
  summary: "evaluate a model (HR@K, NDCG@K, full ranking, popularity breakdown, latency) into report.json/.html",
  description:
    "Decodes every test user's next item by constrained beam search over all catalogue titles and scores the\n" +
    "ranked titles (hits counted by title). A baseline model folder (`latentr3 train baseline`) ranks every\n" +
    "catalogue item instead and is also scored by item id. --model popularity evaluates the most-popular\n" +
    "list by title aggregate, --model popularity-items ranked by item (docs/baselines.md says why both).\n" +
    "--method base|cot prompts the folder's LLM zero-shot (through its chat template when it has one):\n" +
    "Base decodes the title directly, COT reasons first (docs/evaluation.md).",
  options: [
    EVAL_STAGE,
    ZERO_SHOT_CONFIG,
    DECODING_CONFIG,
    DATA_SOURCE_CONFIG,
    DEVICE_CONFIG,
    DISTRIBUTED_CONFIG,
    EVAL_RUN,
  ],
  examples: [
    "latentr3 eval --model runs/bigrec/model --out runs/bigrec/eval",
    "latentr3 eval --model runs/bigrec/model --length-penalty 0 --out runs/d3/eval",
    "latentr3 eval --model runs/bigrec/model --length-penalty 0 --out runs/d3/eval --resume   # after a kill: decodes only the users not yet saved",
    "latentr3 eval --method cot --model ~/models/Qwen2.5-1.5B-Instruct --data ../shared/data/amazon-cds --limit 100 --out runs/cds-cot",
    "latentr3 eval --model runs/bigrec/model --split selection --out runs/bigrec/eval-selection   # for choosing a recipe",
    "latentr3 eval --model runs/bigrec/model --decoding grounding --out runs/bigrec/eval-grounding",
    "latentr3 eval --model popularity --data ../shared/data/amazon-cds --out runs/cds-popularity",
    "latentr3 launch --nproc 2 -- eval --model runs/bigrec/model --out runs/bigrec/eval   # test users split over 2 processes",
  ],
  async run(args) {
    const stage = EVAL_STAGE.from(args.values);
    const decode = DECODING_CONFIG.from(args.values);
    const zeroShot = ZERO_SHOT_CONFIG.from(args.values);
    const { overwrite, resume } = EVAL_RUN.from(args.values);
    const popularity = POPULARITY_MODELS[stage.model];
    const model = popularity ? stage.model : modelFolderFrom(args);
    const baseline = !popularity && isBaselineFolder(model);
    if (decode.decoding === "grounding" && (popularity || baseline)) {
      throw new Error(
        `--decoding grounding: ${model} ranks items itself; grounding decodes an LLM's free answer (give an LLM model folder)`,
      );
    }
    const dir =
      stage.out ??
      (popularity ? `runs/${model}` : join(model, "..", baseline ? "eval" : llmEvalFolder(zeroShot.method, decode))) +
        (stage.split === "selection" ? "-selection" : "");
    checkRunFolder(dir, {
      command: STAGE_COMMANDS.eval,
      inputs: { model: popularity ? undefined : model, data: DATA_SOURCE_CONFIG.from(args.values).data },
      resume,
      overwrite,
      artifacts: EVAL_ARTIFACTS,
    });
    // Under a launcher this worker joins the job and evaluates its share of the test users.
    const dp = joinJob({ device: deviceFrom(args), ...DISTRIBUTED_CONFIG.from(args.values) });
    const loaded = await dataSourceFrom(args);
    const source = stage.split === "selection" ? { ...loaded, splits: selectionAsTest(loaded.splits) } : loaded;
    const print = (report: Report) => {
      if (!dp.isRankZero) return;
      console.log(formatMetricsLine(report));
      console.log(`report: ${join(dir, "report.html")}`);
    };
    if (popularity) {
      print(popularityStage({ source, dir, limit: stage.limit, ranking: popularity, overwrite, resume }));
      return;
    }
    if (baseline) {
      if (dp.worldSize > 1) {
        throw new Error(
          `${model}: a baseline model is evaluated in one process (its scoring is one matrix product per batch): run eval without launch`,
        );
      }
      print(
        baselineEvaluateStage({
          source,
          dir,
          modelDir: model,
          run: stage.run ?? basename(dir),
          method: stage.label,
          limit: stage.limit,
          batchSize: BASELINE_EVAL_BATCH,
          device: dp.device,
          overwrite,
          resume,
        }),
      );
      return;
    }
    if (zeroShot.method !== "model") {
      if (decode.decoding === "grounding") {
        throw new Error(
          `--method ${zeroShot.method} decodes with the title trie: --decoding grounding is for --method model`,
        );
      }
      if (popularity || baseline) {
        throw new Error(
          `--method ${zeroShot.method} prompts an LLM: --model must be a Qwen2 model folder, not ${model}`,
        );
      }
      print(
        await zeroShotEvaluateStage({
          source,
          dir,
          modelDir: model,
          method: zeroShot.method,
          config: zeroShot,
          beams: decode.beams,
          lengthPenalty: decode.lengthPenalty,
          maxNewTokens: decode.maxNewTokens,
          batchSize: decode.batchSize,
          run: stage.run ?? basename(dir),
          label: stage.label,
          limit: stage.limit,
          overwrite,
          resume,
          device: dp.device,
        }),
      );
      return;
    }
    const rec = await Recommender.load(model, stage.latent !== undefined ? { numLatents: stage.latent } : {}, {
      device: dp.device,
    });
    const method =
      stage.label ??
      `${rec.meta.numLatents > 0 ? `LatentR3 (N=${rec.meta.numLatents}, ${rec.meta.readout})` : "no reasoning"}, ${decodingLabel(decode)}`;
    const report = evaluateStage({
      source,
      dir,
      rec,
      run: stage.run ?? basename(dir),
      method,
      ...decode,
      limit: stage.limit,
      trainingLog: join(model, "..", "metrics.jsonl"),
      modelDir: model,
      overwrite,
      resume,
    });
    print(report);
  },
};
