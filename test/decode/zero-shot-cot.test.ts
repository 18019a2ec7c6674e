/**
 * COT and Base through `recommend` on a tiny from-scratch recommender (its compacted vocabulary
 * covers the COT instruction, as every corpus does): the reasoning is fed between the prompt and the answer cue, and the decoded answers
 * are catalogue titles that do not contain it; a model folder is evaluated end to end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ANSWER_CUE } from "../../src/data/zero-shot-prompt.js";
import { buildTitleTrie, recommend } from "../../src/decode/recommend.js";
import { ZERO_SHOT_CONFIG, ZeroShot } from "../../src/decode/zero-shot.js";
import { zeroShotEvaluateStage } from "../../src/pipeline/zero-shot-stage.js";
import { tempDir } from "../support/helpers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

async function cotRecommender() {
  const source = await smallSource();
  return { source, rec: await tinyRecommender(source, { seed: 1 }) };
}

const CONFIG = { ...ZERO_SHOT_CONFIG.defaults(), reasoningTokens: 5 };

test("Base's prompt ids without a chat template are the recommender's reference prompt ids", async () => {
  const { source, rec } = await cotRecommender();
  const base = new ZeroShot(rec, "base", null, CONFIG);
  for (const e of source.splits.test.slice(0, 3)) assert.deepEqual(base.promptIds(e), rec.promptIds(e));
  rec.dispose();
});

test("COT feeds prompt, reasoning, then the cue, and the answers exclude the reasoning", async () => {
  const { source, rec } = await cotRecommender();
  const users = source.splits.test.slice(0, 3);
  const cot = new ZeroShot(rec, "cot", null, CONFIG);
  const trie = buildTitleTrie(
    rec,
    source.items.map((i) => i.title),
    false,
  );
  const fedPerRow: number[] = [];
  const out = recommend(rec, trie, users, {
    beams: 2,
    lengthPenalty: 1,
    maxNewTokens: 64,
    batchSize: 3,
    promptIds: (e) => cot.promptIds(e),
    prime: (ids, mask, rows) => {
      const primed = cot.prime(ids, mask, rows);
      const m = primed.mask.toList();
      const width = primed.mask.dim(1);
      for (let r = 0; r < rows.length; r++)
        fedPerRow.push(m.slice(r * width, (r + 1) * width).reduce((s, x) => s + x, 0));
      return primed;
    },
  });
  const cue = rec.tokenizer.encode(`\n${ANSWER_CUE}\n`).length;
  const newline = rec.tokenizer.encode("\n").length;
  // Rows are batched by prompt length: map each fed count back through the reasoning of its user.
  const expected = users.map((e) => {
    const reasoning = cot.reasoning.get(e);
    assert.ok(reasoning, "every user has its reasoning");
    assert.ok(reasoning.length <= CONFIG.reasoningTokens);
    const cueGenerated = cot.reasoningText(reasoning).includes(ANSWER_CUE);
    return cot.promptIds(e).length + reasoning.length + (cueGenerated ? newline : cue);
  });
  assert.deepEqual([...fedPerRow].sort(), [...expected].sort());
  const catalogue = new Set(source.items.map((i) => i.title.trim()));
  out.titles.forEach((titles, u) => {
    assert.ok(titles.length > 0);
    const text = cot.reasoningText(cot.reasoning.get(users[u]!)!);
    for (const t of titles) {
      assert.ok(catalogue.has(t), `not a catalogue title: ${t}`);
      if (text.trim().length > 0) assert.ok(!t.includes(text), "the answer holds no reasoning");
    }
  });
  rec.dispose();
});

test("zero-shot evaluation of a model folder writes the report under the method's name, and COT its reasoning", async () => {
  const { source, rec } = await cotRecommender();
  const dir = tempDir("zero-shot-eval");
  const modelDir = join(dir, "model");
  await rec.save(modelDir);
  rec.dispose();
  const common = { source, modelDir, beams: 10, lengthPenalty: 1, maxNewTokens: 64, batchSize: 4, limit: 4, run: "t" };
  const base = await zeroShotEvaluateStage({ ...common, dir: join(dir, "base"), method: "base", config: CONFIG });
  assert.match(base.method, /^Base .*beam 10/);
  const cotReport = await zeroShotEvaluateStage({
    ...common,
    dir: join(dir, "cot"),
    method: "cot",
    beams: 1,
    config: { ...CONFIG, reasoningSampling: true, saveReasoning: 2 },
  });
  assert.match(cotReport.method, /^COT .*beam 1, ≤ 5 reasoning tokens \(sampled\)/);
  for (const f of ["report.json", "report.html", "config.json"]) assert.ok(existsSync(join(dir, "cot", f)), f);
  const lines = readFileSync(join(dir, "cot", "reasoning.jsonl"), "utf8")
    .trim()
    .split("\n");
  assert.equal(lines.length, 2);
  assert.deepEqual(Object.keys(JSON.parse(lines[0]!)), ["user", "history", "target", "reasoning", "tokens"]);
  assert.ok(!existsSync(join(dir, "base", "reasoning.jsonl")));
});
