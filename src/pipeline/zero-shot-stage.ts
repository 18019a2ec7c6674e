/**
 * Evaluating a zero-shot method (Base or COT, paper Table 1) on any Qwen2 model folder: its LLM is
 * loaded without latent reasoning, prompted through the folder's chat template when it has one
 * (not for our from-scratch models, whose compacted vocabulary was trained on the plain prompt),
 * and scored by the same evaluator as every other method. COT also leaves the first users'
 * reasoning in reasoning.jsonl, to read what the model thought.
 */
import { join } from "node:path";
import type { Device } from "../engine/index.js";
import type { ZeroShotMethod } from "../data/zero-shot-prompt.js";
import { ZeroShot, type ZeroShotConfig } from "../decode/zero-shot.js";
import type { Report } from "../eval/report-schema.js";
import { Recommender } from "../latent/recommender.js";
import { ChatTemplate } from "../llm/chat-template.js";
import { writeFileAtomic } from "../util/atomic-file.js";
import { joinJob, REASONING_JSONL } from "./stages.js";
import { evaluateStage, evaluatedUsers, type EvaluateOptions } from "./evaluation-stages.js";

export const ZERO_SHOT_LABELS: Readonly<Record<ZeroShotMethod, string>> = {
  base: "Base (zero-shot prompt)",
  cot: "COT (zero-shot reasoning, then the title)",
};

export async function zeroShotEvaluateStage(
  opts: Omit<EvaluateOptions, "rec" | "prompting" | "decoding" | "settings" | "method"> & {
    modelDir: string;
    method: ZeroShotMethod;
    label?: string;
    config: ZeroShotConfig;
    device?: Device;
  },
): Promise<Report> {
  // The LLM alone: any latent reasoning the folder was trained with is not part of these methods.
  const rec = await Recommender.load(opts.modelDir, { numLatents: 0 }, { device: opts.device });
  // Our from-scratch models (a compacted vocabulary) keep Qwen's tokenizer_config.json, template
  // included, but were trained on the plain prompt and lack the template's special tokens.
  const chat = rec.tokenizer.compaction ? null : ChatTemplate.fromFolder(opts.modelDir);
  const zeroShot = new ZeroShot(rec, opts.method, chat, opts.config);
  const beams = opts.beams;
  const cot = opts.method === "cot";
  const report = evaluateStage({
    ...opts,
    rec,
    beams,
    method: `${opts.label ?? ZERO_SHOT_LABELS[opts.method]}, beam ${beams}${cot ? `, ≤ ${opts.config.reasoningTokens} reasoning tokens (${opts.config.reasoningSampling ? "sampled" : "greedy"})` : ""}`,
    prompting: { promptIds: (e) => zeroShot.promptIds(e), prime: (ids, mask, rows) => zeroShot.prime(ids, mask, rows) },
    settings: {
      zeroShot: {
        method: opts.method,
        chatTemplate: chat !== null,
        ...(cot ? reasoningSettings(opts.config) : {}),
      },
    },
    notes: [
      chat ? "prompted through the model's chat template" : "plain reference prompt (the model has no chat template)",
      ...(cot ? ["COT: the prefill time includes the free reasoning tokens"] : []),
      ...(opts.notes ?? []),
    ],
  });
  // In a distributed job rank 0 holds its own share's reasoning only: those users are written.
  const first = evaluatedUsers(opts.source, opts.limit).test.slice(0, cot ? opts.config.saveReasoning : 0);
  const lines = first.flatMap((e, user) => {
    const reasoning = zeroShot.reasoning.get(e);
    return reasoning
      ? [
          JSON.stringify({
            user,
            history: e.history.map((h) => h.title),
            target: e.target.title,
            reasoning: zeroShot.reasoningText(reasoning),
            tokens: reasoning.length,
          }),
        ]
      : [];
  });
  if (lines.length > 0 && joinJob({ device: rec.model.device }).isRankZero)
    writeFileAtomic(join(opts.dir, REASONING_JSONL), lines.join("\n") + "\n");
  rec.dispose();
  return report;
}

function reasoningSettings(c: ZeroShotConfig) {
  return {
    reasoningTokens: c.reasoningTokens,
    sampling: c.reasoningSampling ? { temperature: c.temperature, topP: c.topP, seed: c.reasoningSeed } : "greedy",
  };
}
