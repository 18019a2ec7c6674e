/**
 * A model folder's chat template (`chat_template` in tokenizer_config.json, a Jinja template as
 * Hugging Face writes it), rendered by @huggingface/jinja, so an Instruct model is prompted the way
 * it was tuned. Folders without one (our from-scratch models) have none: `fromFolder` returns null.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import type { ChatMessage } from "../data/zero-shot-prompt.js";
import { readJsonFile } from "../util/json-file.js";

const CONFIG_FILE = "tokenizer_config.json";

/** A special token as tokenizer_config.json writes it: the text, or an AddedToken object. */
type TokenField = string | { content?: string } | null | undefined;

interface TokenizerConfig {
  chat_template?: string | { name: string; template: string }[];
  bos_token?: TokenField;
  eos_token?: TokenField;
}

function tokenText(field: TokenField): string | undefined {
  return typeof field === "string" ? field : (field?.content ?? undefined);
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    private readonly specialTokens: { bos_token?: string; eos_token?: string } = {},
    where = "chat template",
  ) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new Error(`${where}: not a template @huggingface/jinja can parse: ${(e as Error).message}`);
    }
  }

  /** The folder's template, or null when tokenizer_config.json is absent or has no `chat_template`. */
  static fromFolder(dir: string): ChatTemplate | null {
    const path = join(dir, CONFIG_FILE);
    if (!existsSync(path)) return null;
    const config = readJsonFile<TokenizerConfig>(path, "tokenizer config");
    const raw = config.chat_template;
    if (raw === undefined) return null;
    // Newer folders may list named templates; "default" is the one chat prompting uses.
    const source = typeof raw === "string" ? raw : raw.find((t) => t.name === "default")?.template;
    if (typeof source !== "string") {
      throw new Error(`${path}: field "chat_template" must be a string or a list with a "default" template`);
    }
    return new ChatTemplate(
      source,
      { bos_token: tokenText(config.bos_token), eos_token: tokenText(config.eos_token) },
      `${path}: field "chat_template"`,
    );
  }

  /** The conversation as text; `addGenerationPrompt` opens the assistant's turn for it to answer. */
  render(messages: readonly ChatMessage[], opts: { addGenerationPrompt: boolean }): string {
    return this.template.render({
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: opts.addGenerationPrompt,
      ...this.specialTokens,
    });
  }
}
