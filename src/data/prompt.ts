/**
 * The prompt text of the reference (spec 2.2), verbatim: its typos ("recetenly", "palyed",
 * "may bought"), the `{C}s` plural and the trailing spaces before newlines all change the token
 * ids, so they are kept. A `clean` template fixes the wording but keeps the same line structure
 * (including `### Response: ⏎`), so the two differ only in words.
 *
 * Pieces (spec 2.3): P1 instruction, P2 user input + response header, then N latent placeholder
 * tokens (added at encoding), then the target T = `"title"⏎` followed by EOS.
 */
import type { Item } from "./types.js";

/** Category name (as in the reference's category map and file stems) → phrase inserted as `{C}`. */
export const CATEGORY_PHRASES: Readonly<Record<string, string>> = {
  CDs_and_Vinyl: "musics",
  Toys_and_Games: "toys and games",
  Video_Games: "video games",
  Musical_Instruments: "music instruments",
  Books: "books",
  Office_Products: "office products",
  steam: "games",
  STEAM: "games",
  Sports_and_Outdoors: "sports and outdoors",
  Pet_Supplies: "pet supplies",
  Arts_Crafts_and_Sewing: "arts products",
  Movies: "movie",
  yelp: "resturant",
  // Not in the reference: the embedded synthetic music catalogue reads like CDs_and_Vinyl.
  Synthetic_Music: "musics",
  // Not in the reference map (the shared data has it): a phrase in the same style.
  Industrial_and_Scientific: "industrial and scientific products",
};

export function categoryPhrase(category: string): string {
  const phrase = CATEGORY_PHRASES[category];
  if (phrase === undefined) {
    throw new Error(
      `no prompt phrase for category "${category}"; known: ${Object.keys(CATEGORY_PHRASES).join(", ")} (or pass a phrase explicitly)`,
    );
  }
  return phrase;
}

export type PromptTemplateName = "reference" | "clean";

interface Template {
  instruction: (c: string) => string;
  input: (c: string, history: string) => string;
}

const PREAMBLE =
  "Below is an instruction that describes a task, paired with an input that provides further context. " +
  "Write a response that appropriately completes the request.";

export const PROMPT_TEMPLATES: Readonly<Record<PromptTemplateName, Template>> = {
  reference: {
    instruction: (c) =>
      `${PREAMBLE} \n\n### Instruction:\nGiven a list of ${c} the user recetenly enjoy, please write a new ${c} that the user may bought\n`,
    input: (c, h) => `### User Input: \nThe user has palyed the following ${c}s before: ${h}\n\n### Response: \n`,
  },
  clean: {
    instruction: (c) =>
      `${PREAMBLE} \n\n### Instruction:\nGiven a list of ${c} the user recently enjoyed, please write a new ${c} that the user may buy\n`,
    input: (c, h) => `### User Input: \nThe user has enjoyed the following ${c} before: ${h}\n\n### Response: \n`,
  },
};

/** The text pieces of one example; `target` is absent for an evaluation prompt without a known target. */
export interface PromptPieces {
  /** P1: the instruction block. */
  instruction: string;
  /** P2: the history and the response header; ends with `### Response: ⏎`. */
  input: string;
  /** T without EOS: `"` + title + `"` + newline. */
  target?: string;
}

export interface PromptOptions {
  /** The `{C}` phrase, e.g. `musics` (see `categoryPhrase`). */
  phrase: string;
  template?: PromptTemplateName;
}

/** History titles oldest first, each in double quotes (not escaped), joined by `, `. */
export function historyString(history: readonly Pick<Item, "title">[]): string {
  return history.map((h) => `"${h.title}"`).join(", ");
}

export function targetText(title: string): string {
  return `"${title}"\n`;
}

export function buildPrompt(
  example: { history: readonly Pick<Item, "title">[]; target?: Pick<Item, "title"> },
  options: PromptOptions,
): PromptPieces {
  const t = PROMPT_TEMPLATES[options.template ?? "reference"];
  const pieces: PromptPieces = {
    instruction: t.instruction(options.phrase),
    input: t.input(options.phrase, historyString(example.history)),
  };
  if (example.target) pieces.target = targetText(example.target.title);
  return pieces;
}

/** P1 + P2 as one string (what precedes the latent placeholders). */
export function promptText(pieces: PromptPieces): string {
  return pieces.instruction + pieces.input;
}
