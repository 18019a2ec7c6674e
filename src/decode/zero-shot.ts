/**
 * The zero-shot methods of the paper's Table 1 on any Qwen2 model folder: Base (the prompt, then
 * the constrained title) and COT (the prompt, free reasoning, the answer cue, then the constrained
 * title). The title is decoded by the same constrained beam search as every other method; COT's
 * reasoning only conditions it and is never part of the answer.
 *
 * COT's reasoning stops at the token budget, at EOS, or once its text contains `ANSWER_CUE`; then
 * `\n` (after a generated cue) or `\nAnswer:\n` (otherwise) is fed, so the title always starts on a
 * line after the cue, as it follows `### Response: \n` in the reference prompt.
 */
import { Generator, type Tensor } from "../engine/index.js";
import { encodePrompt } from "../data/encode.js";
import type { PromptOptions } from "../data/prompt.js";
import type { Item } from "../data/types.js";
import {
  ANSWER_CUE,
  ANSWER_CUE_TEXT,
  zeroShotPrompt,
  ZERO_SHOT_METHODS,
  type ZeroShotMethod,
} from "../data/zero-shot-prompt.js";
import type { ChatTemplate } from "../llm/chat-template.js";
import type { Recommender } from "../latent/recommender.js";
import { boolean, choice, configTable, int, number, type ConfigOf } from "../util/config-table.js";
import { primeChainOfThought, primePlain, type ReasoningSampling } from "./prime.js";
import type { PrimedDecoder } from "./search-decoder.js";

/** The evaluation methods: the model as trained, or one of the zero-shot methods on its LLM. */
export const EVAL_METHODS = ["model", ...ZERO_SHOT_METHODS] as const;

export const ZERO_SHOT_CONFIG = configTable("zero-shot methods", {
  method: choice(
    EVAL_METHODS,
    "model",
    "model = the folder's own method (BIGRec/D3/LatentR3); base = prompt the LLM, then the constrained title; cot = free reasoning first, then the title (the paper times COT at beam 1: --beams 1)",
  ),
  reasoningTokens: int(128, "COT: most free reasoning tokens (stops earlier at EOS or at 'Answer:')", { min: 0 }),
  reasoningSampling: boolean("COT: sample the reasoning (--temperature, --top-p, --reasoning-seed) instead of greedy"),
  temperature: number(0.7, "COT sampling temperature", { above: 0 }),
  topP: number(0.9, "COT nucleus sampling mass (1 = the whole vocabulary)", { above: 0, max: 1 }),
  reasoningSeed: int(0, "COT sampling seed", { min: 0 }),
  saveReasoning: int(10, "COT: keep the reasoning text of the first N test users in reasoning.jsonl (0 = none)", {
    min: 0,
  }),
});
export type ZeroShotConfig = ConfigOf<typeof ZERO_SHOT_CONFIG>;

/** A zero-shot prompt as the model reads it: through its chat template when it has one. */
export function zeroShotPromptText(
  method: ZeroShotMethod,
  example: { history: readonly Pick<Item, "title">[] },
  options: PromptOptions,
  chat: ChatTemplate | null,
): string {
  const prompt = zeroShotPrompt(method, example, options);
  return chat ? chat.render(prompt.messages, { addGenerationPrompt: true }) : prompt.text;
}

/** A zero-shot method over one recommender's LLM: its prompts, and the priming of a batch. */
export class ZeroShot {
  /** Reasoning token ids per example, filled as batches are primed (COT). */
  readonly reasoning = new Map<object, number[]>();
  private readonly sampling: ReasoningSampling | undefined;

  constructor(
    private readonly rec: Recommender,
    readonly method: ZeroShotMethod,
    private readonly chat: ChatTemplate | null,
    private readonly config: Pick<
      ZeroShotConfig,
      "reasoningTokens" | "reasoningSampling" | "temperature" | "topP" | "reasoningSeed"
    >,
  ) {
    if (method === "cot") this.checkVocabulary();
    this.sampling = config.reasoningSampling
      ? { temperature: config.temperature, topP: config.topP, generator: new Generator(config.reasoningSeed) }
      : undefined;
  }

  promptText(example: { history: readonly Pick<Item, "title">[] }): string {
    return zeroShotPromptText(this.method, example, this.options(), this.chat);
  }

  /** Without a chat template Base's ids are exactly the reference prompt's (pieces encoded apart, left-truncated). */
  promptIds(example: { history: readonly Pick<Item, "title">[] }): number[] {
    const { tokenizer, meta } = this.rec;
    if (this.chat) {
      const ids = tokenizer.encode(this.promptText(example));
      return ids.length > meta.maxLength ? ids.slice(ids.length - meta.maxLength) : ids;
    }
    return encodePrompt(zeroShotPrompt(this.method, example, this.options()).pieces, tokenizer, {
      eosId: tokenizer.eosId,
      maxLength: meta.maxLength,
    });
  }

  /** Base: the prompt. COT: the prompt, the reasoning (kept in `reasoning`), then the answer cue. */
  prime(ids: Tensor, mask: Tensor, examples: readonly object[]): PrimedDecoder {
    const model = this.rec.model;
    if (this.method === "base") return primePlain(model, ids, mask);
    const { tokenizer } = this.rec;
    const cue = tokenizer.encode(ANSWER_CUE_TEXT);
    const newline = tokenizer.encode("\n");
    const out = primeChainOfThought(model, ids, mask, this.config.reasoningTokens, {
      sampling: this.sampling,
      eosId: tokenizer.eosId,
      // Decoding the whole reasoning each step is cheap next to a forward pass, and robust to the
      // cue being split across tokens in any way.
      stop: (_row, reasoning) => this.cueIn(reasoning),
      answerPrefix: (_row, reasoning) => (this.cueIn(reasoning) ? newline : cue),
    });
    examples.forEach((e, row) => this.reasoning.set(e, out.reasoning[row]!));
    return out;
  }

  /** The reasoning as text (special tokens dropped). */
  reasoningText(reasoning: readonly number[]): string {
    return this.rec.tokenizer.decode(reasoning);
  }

  private cueIn(reasoning: readonly number[]): boolean {
    return this.reasoningText(reasoning).includes(ANSWER_CUE);
  }

  /** A from-scratch model compacted before COT's words joined the corpus cannot be prompted with them. */
  private checkVocabulary(): void {
    try {
      this.rec.tokenizer.encode(ANSWER_CUE_TEXT);
      this.rec.tokenizer.encode(zeroShotPrompt("cot", { history: [] }, this.options()).pieces.instruction);
    } catch (e) {
      throw new Error(
        `--method cot: this model's compacted vocabulary lacks words of the COT instruction (it was built before COT existed); pretrain it again, or use a full-vocabulary Qwen2 folder (${(e as Error).message})`,
      );
    }
  }

  private options(): PromptOptions {
    return { phrase: this.rec.meta.phrase, template: this.rec.meta.template };
  }
}
