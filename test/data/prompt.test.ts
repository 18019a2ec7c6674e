import { test } from "node:test";
import assert from "node:assert/strict";
import { buildPrompt, categoryPhrase, historyString, promptText } from "../../src/data/prompt.js";
import {
  encodePrompt,
  encodeTrainingExample,
  IGNORE_INDEX,
  padBatch,
  type TokenEncoder,
} from "../../src/data/encode.js";
import { categoryFromStem } from "../../src/data/dataset.js";
import { CATEGORY_PHRASES } from "../../src/data/prompt.js";

const SAMPLE = {
  history: [{ title: "Wish You Were Here" }, { title: "Best of Kansas" }, { title: "High Voltage" }],
  target: { title: "Turn It On Again: The Hits" },
};

// Spec 2.2, typed out by hand: the typos, the doubled "s" and the trailing spaces are significant.
const REFERENCE_PROMPT =
  "Below is an instruction that describes a task, paired with an input that provides further context. " +
  "Write a response that appropriately completes the request. \n\n" +
  "### Instruction:\nGiven a list of musics the user recetenly enjoy, please write a new musics that the user may bought\n" +
  "### User Input: \nThe user has palyed the following musicss before: " +
  '"Wish You Were Here", "Best of Kansas", "High Voltage"\n\n### Response: \n';

test("reference prompt text for the spec 1.6 sample row, verbatim", () => {
  const pieces = buildPrompt(SAMPLE, { phrase: categoryPhrase("CDs_and_Vinyl") });
  assert.equal(promptText(pieces), REFERENCE_PROMPT);
  assert.ok(pieces.instruction.endsWith("may bought\n"));
  assert.ok(pieces.input.startsWith("### User Input: \n"));
  assert.ok(pieces.input.endsWith('"Best of Kansas", "High Voltage"\n\n### Response: \n'));
  assert.equal(pieces.target, '"Turn It On Again: The Hits"\n');
  assert.equal(buildPrompt({ history: SAMPLE.history }, { phrase: "musics" }).target, undefined);
});

test("clean template fixes the wording and keeps the line structure", () => {
  const clean = promptText(buildPrompt(SAMPLE, { phrase: "musics", template: "clean" }));
  assert.ok(!/recetenly|palyed|may bought|musicss/.test(clean));
  assert.ok(clean.includes("the user recently enjoyed"));
  assert.ok(clean.endsWith('"High Voltage"\n\n### Response: \n'));
});

test("category phrases (spec 2.1) and stems", () => {
  assert.equal(categoryPhrase("Toys_and_Games"), "toys and games");
  assert.equal(categoryPhrase("yelp"), "resturant");
  assert.equal(categoryPhrase("Synthetic_Music"), "musics");
  assert.throws(() => categoryPhrase("Garden"), /no prompt phrase for category "Garden"; known: CDs_and_Vinyl/);
  const known = Object.keys(CATEGORY_PHRASES);
  assert.equal(categoryFromStem("CDs_and_Vinyl_5_2015-10-2018-11", known), "CDs_and_Vinyl");
  assert.equal(categoryFromStem("Office_Products_5_2016-10-2018-11", known), "Office_Products");
  assert.equal(categoryFromStem("Unknown_5", known), undefined);
  assert.equal(historyString([{ title: 'A "quoted" one' }, { title: "B" }]), '"A "quoted" one", "B"');
});

/** A stub tokenizer: one id per character (code point), so expected ids are easy to compute. */
const charEncoder: TokenEncoder = { encode: (text) => [...text].map((c) => c.codePointAt(0)!) };

test("training row: prompt ‖ target ‖ EOS with labels only on target and EOS", () => {
  const pieces = { instruction: "ab", input: "c", target: '"T"\n' };
  const row = encodeTrainingExample(pieces, charEncoder, { eosId: 999 });
  assert.deepEqual(row.inputIds, [97, 98, 99, 34, 84, 34, 10, 999]);
  assert.deepEqual(row.labels, [-100, -100, -100, 34, 84, 34, 10, 999]);
  assert.equal(row.labels.filter((l) => l === IGNORE_INDEX).length, 3);
  assert.equal(row.promptLength, 3);
  assert.deepEqual(encodePrompt(pieces, charEncoder, { eosId: 999 }), [97, 98, 99]);
});

test("truncation keeps the last maxLength tokens (and their labels)", () => {
  const pieces = { instruction: "abcdef", input: "g", target: "XY" };
  const row = encodeTrainingExample(pieces, charEncoder, { eosId: 6, maxLength: 6 });
  // full: a b c d e f g X Y 6 (10 tokens) → last 6: e f g X Y 6
  assert.deepEqual(row.inputIds, [101, 102, 103, 88, 89, 6]);
  assert.deepEqual(row.labels, [-100, -100, -100, 88, 89, 6]);
  assert.equal(row.promptLength, 3);
  assert.deepEqual(encodePrompt(pieces, charEncoder, { eosId: 6, maxLength: 3 }), [101, 102, 103]);
});

test("padding: left for generation, right with IGNORE_INDEX labels and multiple-of rounding for SFT", () => {
  const left = padBatch([[1, 2, 3], [4]], { padId: 0, side: "left" });
  assert.deepEqual(left.inputIds, [
    [1, 2, 3],
    [0, 0, 4],
  ]);
  assert.deepEqual(left.attentionMask, [
    [1, 1, 1],
    [0, 0, 1],
  ]);
  assert.equal(left.labels, undefined);
  const right = padBatch([[1, 2, 3], [4]], { padId: 7, side: "right", multipleOf: 4 }, [[-100, 2, 3], [4]]);
  assert.deepEqual(right.inputIds, [
    [1, 2, 3, 7],
    [4, 7, 7, 7],
  ]);
  assert.deepEqual(right.attentionMask, [
    [1, 1, 1, 0],
    [1, 0, 0, 0],
  ]);
  assert.deepEqual(right.labels, [
    [-100, 2, 3, -100],
    [4, -100, -100, -100],
  ]);
  assert.throws(() => padBatch([[1]], { padId: 0, side: "left" }, [[1, 2]]), /row 0 has 2 labels for 1 tokens/);
});
