/**
 * `latentr3 demo`: the whole system on one dataset, stage by stage, into one run folder:
 * base model (pretrained small LM, or --model) → BIGRec SFT, latent SFT, w/o-LatentRATT SFT →
 * LR-GRPO and its ablations (group advantage, original GRPO) → evaluation of every variant with
 * BIGRec (lp 1) and D3 (lp 0) decoding next to the popularity baseline → report.html.
 * Each stage lives in its own sub-folder; with --resume finished stages are skipped and a killed one
 * continues from its checkpoint.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Device } from "../engine/index.js";
import type { PromptTemplateName } from "../data/prompt.js";
import { Recommender } from "../latent/recommender.js";
import type { LrGrpoConfig } from "../train/rl/lr-grpo.js";
import type { SupervisedConfig } from "../train/supervised.js";
import { writeJsonAtomic } from "../util/atomic-file.js";
import type { DataSource } from "../data/data-source.js";
import { renderDemoReport, type DemoSummary, type StageCost } from "../eval/demo-report.js";
import { formatMetricsLine } from "../eval/format.js";
import { readReport } from "../eval/report.js";
import type { Report } from "../eval/report-schema.js";
import {
  MODEL_SUBDIR,
  evaluateStage,
  popularityStage,
  pretrainStage,
  rlStage,
  sftStage,
  trainingLogOf,
} from "./stages.js";
import { writeFileAtomic } from "../util/atomic-file.js";

export interface DemoOptions {
  out: string;
  source: DataSource;
  /** A Hugging Face Qwen2 folder to start from instead of pretraining a small model. */
  baseModel?: string;
  preset: string;
  template: PromptTemplateName;
  seed: number;
  device?: Device;
  resume: boolean;
  pretrain: SupervisedConfig;
  sft: SupervisedConfig;
  rl: LrGrpoConfig;
  /** RL steps of the two ablations (w/o batch advantage, original GRPO). */
  ablationRlSteps: number;
  decode: { beams: number; batchSize: number; maxNewTokens: number; limit: number };
}

interface Trained {
  modelDir: string;
  cost: StageCost;
}

export async function runDemo(opts: DemoOptions): Promise<{ report: string; summary: DemoSummary }> {
  const started = performance.now();
  const dir = (name: string) => join(opts.out, name);
  const costs: StageCost[] = [];
  let resumed = false;
  const done = (name: string) => opts.resume && existsSync(join(dir(name), MODEL_SUBDIR, "config.json"));
  const log = (msg: string) => console.error(`[demo] ${msg}`);

  /**
   * Runs a training stage unless a resumed demo already finished it; its cost (steps, seconds) is kept
   * in the stage folder so a resumed demo still reports it.
   */
  async function stage(
    name: string,
    label: string,
    train: () => Promise<{ modelDir: string; seconds: number; steps: number }>,
  ): Promise<Trained> {
    const costFile = join(dir(name), "cost.json");
    if (done(name)) {
      resumed = true;
      log(`${label}: already done (${dir(name)})`);
      const saved = existsSync(costFile) ? (JSON.parse(readFileSync(costFile, "utf8")) as StageCost) : undefined;
      const cost = { stage: label, steps: saved?.steps ?? NaN, seconds: saved?.seconds ?? NaN };
      costs.push(cost);
      return { modelDir: join(dir(name), MODEL_SUBDIR), cost };
    }
    log(`${label} …`);
    const r = await train();
    const cost = { stage: label, steps: r.steps, seconds: r.seconds };
    writeJsonAtomic(costFile, cost);
    costs.push(cost);
    return { modelDir: r.modelDir, cost };
  }

  const common = { source: opts.source, device: opts.device, resume: opts.resume };
  const base = opts.baseModel
    ? { modelDir: opts.baseModel, cost: { stage: "base model (given)", steps: 0, seconds: 0 } }
    : await stage("pretrain", "LM pretraining", () =>
        pretrainStage({
          ...common,
          dir: dir("pretrain"),
          preset: opts.preset,
          template: opts.template,
          seed: opts.seed,
          config: opts.pretrain,
        }),
      );
  const sft = (name: string, label: string, numLatents: number, readout: "ratt" | "last-hidden") =>
    stage(name, label, () =>
      sftStage({ ...common, dir: dir(name), model: base.modelDir, numLatents, readout, config: opts.sft, label: name }),
    );
  const bigrec = await sft("bigrec", "BIGRec SFT", 0, "ratt");
  const latentSft = await sft("latent-sft", "latent SFT (N=1)", 1, "ratt");
  const noRatt = await sft("no-ratt", "latent SFT w/o LatentRATT", 1, "last-hidden");
  const rl = (name: string, label: string, config: LrGrpoConfig) =>
    stage(name, label, () => rlStage({ ...common, dir: dir(name), model: latentSft.modelDir, config, label: name }));
  const lrGrpo = await rl("rl", "LR-GRPO", opts.rl);
  const ablation = { ...opts.rl, maxSteps: opts.ablationRlSteps };
  const groupAdv = await rl("rl-group", "LR-GRPO w/o batch advantage", { ...ablation, advantage: "group" });
  const exactMatch = await rl("rl-original", "original GRPO (0/1 exact match)", {
    ...ablation,
    advantage: "group",
    reward: "exact-match",
  });

  // Evaluation of every variant by the same evaluator.
  const evaluations: { name: string; label: string; model?: Trained; trainDir?: string; lp: number; method: string }[] =
    [
      { name: "popularity", label: "Most popular", lp: 1, method: "most popular (train frequency)" },
      { name: "bigrec", label: "BIGRec", model: bigrec, lp: 1, method: "no reasoning, lp 1" },
      { name: "d3", label: "D3", model: bigrec, trainDir: "bigrec", lp: 0, method: "no reasoning, lp 0" },
      {
        name: "latent-sft",
        label: "LatentR3 w/o RL (SFT only)",
        model: latentSft,
        lp: 1,
        method: "N=1 LatentRATT, SFT only, lp 1",
      },
      {
        name: "rl",
        label: "LatentR3 (on BIGRec)",
        model: lrGrpo,
        lp: 1,
        method: "N=1 LatentRATT, SFT + LR-GRPO, lp 1",
      },
      {
        name: "rl-d3",
        label: "LatentR3 on D3",
        model: lrGrpo,
        trainDir: "rl",
        lp: 0,
        method: "N=1 LatentRATT, SFT + LR-GRPO, lp 0",
      },
      {
        name: "no-ratt",
        label: "w/o LatentRATT",
        model: noRatt,
        lp: 1,
        method: "N=1 last hidden state as latent, SFT, lp 1",
      },
      {
        name: "rl-group",
        label: "w/o batch advantage",
        model: groupAdv,
        lp: 1,
        method: "N=1, SFT + GRPO group advantage, lp 1",
      },
      {
        name: "rl-original",
        label: "original GRPO",
        model: exactMatch,
        lp: 1,
        method: "N=1, SFT + GRPO with 0/1 exact-match reward, lp 1",
      },
    ];
  const reports: Report[] = [];
  for (const e of evaluations) {
    const evalDir = dir(join("eval", e.name));
    if (opts.resume && existsSync(join(evalDir, "report.json"))) {
      resumed = true;
      reports.push({ ...readReport(evalDir), run: e.label });
      continue;
    }
    let report: Report;
    if (!e.model) {
      report = popularityStage({ source: opts.source, dir: evalDir, limit: opts.decode.limit });
    } else {
      const rec = await Recommender.load(e.model.modelDir, {}, { device: opts.device });
      report = evaluateStage({
        source: opts.source,
        dir: evalDir,
        rec,
        run: e.label,
        method: e.method,
        lengthPenalty: e.lp,
        ...opts.decode,
        trainingLog: trainingLogOf(dir(e.trainDir ?? e.name)),
      });
      rec.dispose();
    }
    report.run = e.label;
    console.log(formatMetricsLine(report));
    reports.push(report);
  }

  const summary: DemoSummary = {
    data: opts.source,
    baseModel: opts.baseModel ?? `${opts.preset} preset, pretrained in ${dir("pretrain")}`,
    costs,
    reports,
    trainingLogs: {
      "LM pretraining": opts.baseModel ? undefined : trainingLogOf(dir("pretrain")),
      "BIGRec SFT": trainingLogOf(dir("bigrec")),
      "latent SFT": trainingLogOf(dir("latent-sft")),
      "LR-GRPO": trainingLogOf(dir("rl")),
      "LR-GRPO w/o batch advantage": trainingLogOf(dir("rl-group")),
      "original GRPO": trainingLogOf(dir("rl-original")),
    },
    seconds: (performance.now() - started) / 1000,
    resumed,
  };
  const reportPath = join(opts.out, "report.html");
  writeFileAtomic(reportPath, renderDemoReport(summary));
  writeJsonAtomic(join(opts.out, "report.json"), {
    ...summary,
    data: { name: opts.source.name, protocol: opts.source.splits.protocol },
  });
  return { report: reportPath, summary };
}
