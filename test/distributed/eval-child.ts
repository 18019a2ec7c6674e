/**
 * A worker of distributed-eval.test.ts: evaluates the tiny random recommender on the first test
 * users of the small synthetic dataset (each rank its share; rank 0 writes the report), then
 * decodes them once more through `recommendSharded`, and reports the metrics and every user's ranking.
 */
import { buildTitleTrie } from "../../src/decode/recommend.js";
import { recommendSharded } from "../../src/pipeline/sharded-recommend.js";
import { joinJob } from "../../src/pipeline/stages.js";
import { evaluateStage } from "../../src/pipeline/evaluation-stages.js";
import { report } from "../support/launch-workers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

process.env.LATENTR3_QUIET = "1";
const [out] = process.argv.slice(2) as [string];
const source = await smallSource();
const rec = await tinyRecommender(source);
const result = evaluateStage({
  source,
  dir: out,
  rec,
  run: "tiny",
  method: "BIGRec decoding",
  lengthPenalty: 1,
  beams: 10,
  // One user per batch: a user's beams do not depend on which other users share its batch.
  batchSize: 1,
  maxNewTokens: 64,
  limit: 13,
});
const trie = buildTitleTrie(
  rec,
  source.items.map((i) => i.title),
);
const { titles } = recommendSharded(joinJob({ device: "cpu" }), rec, trie, source.splits.test.slice(0, 13), {
  beams: 10,
  lengthPenalty: 1,
  batchSize: 1,
  maxNewTokens: 64,
});
report({ metrics: result.metrics, groups: result.groups, notes: result.notes, titles });
