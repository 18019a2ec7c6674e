/** The demo's single report page: every variant side by side, training cost and training curves. */
import { existsSync } from "node:fs";
import type { DataSource } from "../data/data-source.js";
import { readMetricsJsonl, type TrainingRow } from "./jsonl.js";
import { comparisonSections, htmlPage, htmlTable, trainingCharts } from "./report-html.js";
import type { Report } from "./report-schema.js";
import { escapeHtml } from "./svg-charts.js";

export interface StageCost {
  stage: string;
  steps: number;
  seconds: number;
}

export interface DemoSummary {
  data: DataSource;
  baseModel: string;
  costs: StageCost[];
  reports: Report[];
  /** Stage label → its metrics.jsonl (absent stages are skipped). */
  trainingLogs: Record<string, string | undefined>;
  /** Wall-clock seconds of this invocation. */
  seconds: number;
  /** True when --resume skipped stages or evaluations a previous invocation had finished. */
  resumed: boolean;
}

/** The series worth plotting per kind of run (the rest stay in metrics.jsonl). */
const SUPERVISED_SERIES = ["loss", "val_loss", "grad_norm"];
const RL_SERIES = [
  "reward",
  "reward_unnoised",
  "eval_reward",
  "eval_train_reward",
  "advantage_std",
  "advantage_min",
  "advantage_max",
  "clip_ratio/region_mean",
  "grad_norm",
];

function rowsOf(path: string | undefined): TrainingRow[] {
  return path && existsSync(path) ? readMetricsJsonl(path).rows : [];
}

function meanOf(rows: readonly TrainingRow[], series: string): number {
  const xs = rows.map((r) => r[series]).filter((x): x is number => typeof x === "number");
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function costTable(summary: DemoSummary): string[] {
  const rows = summary.costs.map(
    (c) =>
      `<tr><td>${escapeHtml(c.stage)}</td><td>${Number.isFinite(c.steps) ? c.steps : "resumed"}</td>` +
      `<td>${Number.isFinite(c.seconds) ? c.seconds.toFixed(1) : "resumed"}</td>` +
      `<td>${c.steps > 0 ? (c.seconds / c.steps).toFixed(3) : "n/a"}</td></tr>`,
  );
  const lr = meanOf(rowsOf(summary.trainingLogs["LR-GRPO"]), "step_seconds");
  const original = meanOf(rowsOf(summary.trainingLogs["original GRPO"]), "step_seconds");
  const ratio = Number.isFinite(lr) && Number.isFinite(original) && lr > 0 ? original / lr : NaN;
  return [
    "<h2>Training cost</h2>",
    htmlTable(["stage", "optimizer steps", "seconds", "seconds / step"], rows),
    Number.isFinite(ratio)
      ? `<p class="meta">RL step time, measured per step: LR-GRPO ${lr.toFixed(3)} s, original GRPO (answer generation + 0/1 reward) ${original.toFixed(3)} s: original GRPO costs ${ratio.toFixed(2)}× per step.</p>`
      : "",
  ];
}

function curves(summary: DemoSummary): string[] {
  const out = ["<h2>Training curves</h2>"];
  for (const [label, path] of Object.entries(summary.trainingLogs)) {
    const rows = rowsOf(path);
    if (rows.length === 0) continue;
    const rl = rows.some((r) => r.reward !== undefined);
    const names = (rl ? RL_SERIES : SUPERVISED_SERIES).filter((n) => rows.some((r) => r[n] !== undefined));
    out.push(`<h3>${escapeHtml(label)}</h3>`, `<div class="charts">${trainingCharts(rows, names).join("\n")}</div>`);
  }
  return out;
}

export function renderDemoReport(summary: DemoSummary): string {
  const s = summary.data.splits;
  const minutes = (summary.seconds / 60).toFixed(1);
  return htmlPage("LatentR3 demo", [
    "<h1>LatentR3 demo</h1>",
    `<p class="meta">data: ${escapeHtml(summary.data.name)} — ${s.train.length} train / ${s.valid.length} valid / ${s.test.length} test rows, ${summary.data.items.length} items; ${escapeHtml(s.protocol)}</p>`,
    `<p class="meta">base model: ${escapeHtml(summary.baseModel)}; ${summary.resumed ? `this resumed invocation ${minutes} min (finished stages were skipped; their times are in the training-cost table)` : `whole demo ${minutes} min`}</p>`,
    '<p class="meta">All variants are scored by the same evaluator: full ranking by constrained beam search (10 beams) over every catalogue title; ' +
      "BIGRec decoding uses length penalty 1, D3 decoding 0. “w/o LatentRATT” uses the last hidden state as the latent (SFT only: it has no RL parameters); " +
      "“w/o batch advantage” replaces LR-GRPO's batch baseline by GRPO's group mean/std; “original GRPO” generates an answer per latent sample and rewards exact matches.</p>",
    ...comparisonSections(
      summary.reports,
      summary.reports.map((r) => r.run),
    ),
    ...costTable(summary),
    ...curves(summary),
  ]);
}
