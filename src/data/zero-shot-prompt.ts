/**
 * Prompts of the zero-shot methods of the paper's Table 1, which prompt an LLM that was never tuned
 * on the task: Base (the reference prompt, answered directly) and COT (the zero-shot version of
 * Rec-SAVER: the LLM reasons first, then answers). The paper gives no COT wording, so
 * `COT_INSTRUCTION` is this project's choice (docs/evaluation.md); it asks for the answer after
 * `ANSWER_CUE`, which is also where free reasoning stops (decode/zero-shot.ts).
 *
 * For a model with a chat template the reference's first sentence becomes the system turn and the
 * rest (without the `### Response:` header, which the assistant turn replaces) the user turn.
 */
import { buildPrompt, promptText, type PromptOptions, type PromptPieces } from "./prompt.js";
import type { Item } from "./types.js";

export type ZeroShotMethod = "base" | "cot";
export const ZERO_SHOT_METHODS: readonly ZeroShotMethod[] = ["base", "cot"];

/** One turn of a chat (the shape chat templates iterate over). */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Where the reasoning ends and the answer starts. */
export const ANSWER_CUE = "Answer:";

/** What COT feeds after reasoning that did not reach the cue itself: the title then starts a line. */
export const ANSWER_CUE_TEXT = `\n${ANSWER_CUE}\n`;

/** COT's request to reason first, added as its own line after the reference instruction. */
export const COT_INSTRUCTION = `Before answering, think step by step about what the user enjoys and what they may want next, then write "${ANSWER_CUE}" on its own line followed by the title in double quotes on the next line.\n`;

/** The reference prompt's last line, which an assistant turn replaces in a chat. */
const RESPONSE_HEADER = "\n### Response: \n";

/** The prompt of a zero-shot method as plain text (a model without a chat template) and as a chat. */
export interface ZeroShotPrompt {
  /** The plain prompt's pieces (encoded apart, as the reference encodes its prompt). */
  pieces: PromptPieces;
  text: string;
  messages: ChatMessage[];
}

export function zeroShotPrompt(
  method: ZeroShotMethod,
  example: { history: readonly Pick<Item, "title">[] },
  options: PromptOptions,
): ZeroShotPrompt {
  const pieces = buildPrompt(example, options);
  const instruction = method === "cot" ? pieces.instruction + COT_INSTRUCTION : pieces.instruction;
  const plain = { instruction, input: pieces.input };
  // The first sentence (up to the blank line) is the reference's stand-in for a system message.
  const split = instruction.indexOf("\n\n");
  const system = instruction.slice(0, split).trimEnd();
  const input = pieces.input.endsWith(RESPONSE_HEADER) ? pieces.input.slice(0, -RESPONSE_HEADER.length) : pieces.input;
  return {
    pieces: plain,
    text: promptText(plain),
    messages: [
      { role: "system", content: system },
      { role: "user", content: instruction.slice(split + 2) + input },
    ],
  };
}
