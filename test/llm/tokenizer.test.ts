import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Tokenizer } from "../../src/llm/tokenizer.js";
import { buildPrompt, promptText } from "../../src/data/prompt.js";
import { encodePrompt, encodeTrainingExample, IGNORE_INDEX } from "../../src/data/encode.js";
import { tempDir } from "../support/helpers.js";

// One load shared by the tests of this file (parsing the 11 MB JSON takes about half a second).
const tokenizer = await Tokenizer.qwenDefault();
const [THOUGHT] = tokenizer.addSpecialTokens(["<|Thought|>"]);

const SAMPLE = {
  history: [{ title: "Wish You Were Here" }, { title: "Best of Kansas" }, { title: "High Voltage" }],
  target: { title: "Turn It On Again: The Hits" },
};

test("default Qwen tokenizer: EOS, pad, vocabulary size and the added placeholder", () => {
  assert.equal(tokenizer.eosId, 151645); // <|im_end|>, as the spec's Instruct tokenizer
  assert.equal(tokenizer.padId, 151643); // <|endoftext|>
  assert.equal(THOUGHT, 151669); // appended after the package's last added token, 151668
  assert.equal(tokenizer.vocabSize, 151670);
  assert.deepEqual(
    tokenizer.addSpecialTokens(["<|Thought|>", "<|im_end|>"]),
    [151669, 151645],
    "existing tokens keep their ids",
  );
  assert.equal(tokenizer.vocabSize, 151670);
  assert.deepEqual(tokenizer.encode("<|Thought|>"), [151669]);
  assert.equal(tokenizer.tokenId("<|Thought|>"), 151669);
  assert.equal(tokenizer.tokenId("no-such-token-xyz"), undefined);
  assert.throws(() => tokenizer.requireTokenId("no-such-token-xyz"), /not in the vocabulary/);
  assert.deepEqual(tokenizer.encode("Hello"), [9707], "no BOS/EOS added");
});

test("spec 2.3 on the sample row: piecewise = whole encoding, prompt ends with ###, ' Response', ':', ' \\n'", () => {
  const pieces = buildPrompt(SAMPLE, { phrase: "musics" });
  const prompt = encodePrompt(pieces, tokenizer, { eosId: tokenizer.eosId });
  assert.deepEqual(prompt, tokenizer.encode(promptText(pieces)));
  const last4 = prompt.slice(-4);
  assert.deepEqual(last4, [14374, 5949, 25, 715]);
  assert.deepEqual(
    last4.map((id) => tokenizer.decode([id])),
    ["###", " Response", ":", " \n"],
  );
  assert.deepEqual(tokenizer.tokenize("### Response: \n"), ["###", "ĠResponse", ":", "ĠĊ"]);
  assert.equal(tokenizer.decode(prompt), promptText(pieces));
});

test("training row for the sample: target '\"Turn It On Again: The Hits\"\\n' + EOS, label mask on the prompt", () => {
  const pieces = buildPrompt(SAMPLE, { phrase: "musics" });
  const row = encodeTrainingExample(pieces, tokenizer, { eosId: tokenizer.eosId });
  const promptIds = tokenizer.encode(promptText(pieces));
  const targetIds = tokenizer.encode('"Turn It On Again: The Hits"\n');
  assert.deepEqual(tokenizer.tokenize('"Turn It On Again: The Hits"\n'), [
    '"',
    "Turn",
    "ĠIt",
    "ĠOn",
    "ĠAgain",
    ":",
    "ĠThe",
    "ĠHits",
    '"Ċ',
  ]);
  assert.deepEqual(row.inputIds, [...promptIds, ...targetIds, 151645]);
  assert.equal(row.promptLength, promptIds.length);
  assert.deepEqual(row.labels, [...new Array(promptIds.length).fill(IGNORE_INDEX), ...targetIds, 151645]);
  assert.equal(
    tokenizer.decode([...row.inputIds.slice(0, row.promptLength), THOUGHT!, ...row.inputIds.slice(row.promptLength)], {
      skipSpecialTokens: true,
    }),
    promptText(pieces) + '"Turn It On Again: The Hits"\n',
    "special tokens (placeholder, EOS) are dropped when decoding",
  );
  assert.equal(tokenizer.decode(row.inputIds.slice(row.promptLength)), '"Turn It On Again: The Hits"\n<|im_end|>');
});

test("save then fromFolder keeps the added token and the special ids", async () => {
  const dir = tempDir("tok");
  await tokenizer.save(dir);
  const again = await Tokenizer.fromFolder(dir);
  assert.equal(again.tokenId("<|Thought|>"), 151669);
  assert.deepEqual(again.encode("x<|Thought|>y"), tokenizer.encode("x<|Thought|>y"));
  assert.equal(again.eosId, 151645);
  assert.equal(again.padId, 151643);
  assert.equal(again.vocabSize, 151670);
  await assert.rejects(Tokenizer.fromFolder(join(dir, "missing")), /no tokenizer\.json/);
});

test("loads of identical files share one definition: results can be edited, added tokens stay private", async () => {
  const a = await Tokenizer.qwenDefault();
  const b = await Tokenizer.qwenDefault();
  const text = "Wish You Were Here (Remastered)";
  const first = a.encode(text);
  first.push(-1); // a caller appending EOS to what it got must not change the memoised ids
  assert.deepEqual(b.encode(text), first.slice(0, -1));
  assert.deepEqual(a.encode(text), first.slice(0, -1));

  const [extra] = a.addSpecialTokens(["<|Extra|>"]);
  assert.deepEqual(a.encode("<|Extra|>"), [extra]);
  assert.equal(b.tokenId("<|Extra|>"), undefined);
  assert.notDeepEqual(b.encode("<|Extra|>"), [extra]);
  assert.equal(b.vocabSize, a.vocabSize - 1);
  const c = await Tokenizer.qwenDefault();
  assert.equal(c.tokenId("<|Extra|>"), undefined);
  assert.equal(c.fingerprint(), b.fingerprint());
  assert.notEqual(a.fingerprint(), b.fingerprint());
});
