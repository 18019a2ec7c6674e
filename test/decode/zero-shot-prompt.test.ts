import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COT_INSTRUCTION, zeroShotPrompt } from "../../src/data/zero-shot-prompt.js";
import { zeroShotPromptText } from "../../src/decode/zero-shot.js";
import { ChatTemplate } from "../../src/llm/chat-template.js";
import { tempDir } from "../support/helpers.js";

const EXAMPLE = { history: [{ title: "Wish You Were Here" }, { title: "Best of Kansas" }, { title: "High Voltage" }] };
const OPTIONS = { phrase: "musics" };

// Spec 2.2, P1 + P2 written out by hand (typos, "musicss" and the spaces before newlines included).
const REFERENCE =
  "Below is an instruction that describes a task, paired with an input that provides further context. " +
  "Write a response that appropriately completes the request. \n\n" +
  "### Instruction:\nGiven a list of musics the user recetenly enjoy, please write a new musics that the user may bought\n" +
  "### User Input: \nThe user has palyed the following musicss before: " +
  '"Wish You Were Here", "Best of Kansas", "High Voltage"\n\n### Response: \n';

// Qwen2.5-Instruct's template reduced to its message loop (no tools), as tokenizer_config.json holds it.
const CHATML =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

test("Base without a chat template is the reference prompt, verbatim", () => {
  assert.equal(zeroShotPromptText("base", EXAMPLE, OPTIONS, null), REFERENCE);
});

test("COT adds its instruction as a line after the reference instruction, and nothing else", () => {
  const cot = zeroShotPromptText("cot", EXAMPLE, OPTIONS, null);
  const at = REFERENCE.indexOf("### User Input:");
  assert.equal(cot, REFERENCE.slice(0, at) + COT_INSTRUCTION + REFERENCE.slice(at));
});

test("with a chat template the prompt is rendered as system and user turns plus the assistant's opening", () => {
  const dir = tempDir("chat-template");
  writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ chat_template: CHATML, eos_token: "<|im_end|>" }));
  const chat = ChatTemplate.fromFolder(dir);
  assert.ok(chat);
  const expected =
    "<|im_start|>system\n" +
    "Below is an instruction that describes a task, paired with an input that provides further context. " +
    "Write a response that appropriately completes the request.<|im_end|>\n" +
    "<|im_start|>user\n" +
    "### Instruction:\nGiven a list of musics the user recetenly enjoy, please write a new musics that the user may bought\n" +
    "### User Input: \nThe user has palyed the following musicss before: " +
    '"Wish You Were Here", "Best of Kansas", "High Voltage"\n<|im_end|>\n' +
    "<|im_start|>assistant\n";
  assert.equal(zeroShotPromptText("base", EXAMPLE, OPTIONS, chat), expected);
  // The same messages as the plain prompt's, only the COT instruction added to the user turn.
  const base = zeroShotPrompt("base", EXAMPLE, OPTIONS).messages;
  const cot = zeroShotPrompt("cot", EXAMPLE, OPTIONS).messages;
  assert.equal(cot[0]!.content, base[0]!.content);
  assert.ok(cot[1]!.content.includes(COT_INSTRUCTION));
});

test("a folder without chat_template (or without tokenizer_config.json) has no chat template", () => {
  const dir = tempDir("chat-template-none");
  assert.equal(ChatTemplate.fromFolder(dir), null);
  writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ eos_token: "<|im_end|>" }));
  assert.equal(ChatTemplate.fromFolder(dir), null);
});

test("a chat template that does not parse is reported with its file and field", () => {
  const dir = tempDir("chat-template-bad");
  writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ chat_template: "{% for m in messages %}" }));
  assert.throws(() => ChatTemplate.fromFolder(dir), /tokenizer_config\.json: field "chat_template"/);
});
