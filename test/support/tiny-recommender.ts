/**
 * A tiny randomly initialised recommender over the small synthetic dataset, built in-process (no
 * pretraining): the `tiny` preset over a vocabulary compacted to the data's tokens.
 */
import { corpusTexts, loadDataSource, type DataSource } from "../../src/data/data-source.js";
import { Recommender } from "../../src/latent/recommender.js";
import { ModelTokenizer } from "../../src/llm/model-tokenizer.js";
import { Tokenizer } from "../../src/llm/tokenizer.js";

/** The small synthetic dataset of the CLI tests (60 users, 60 items: 216 training rows). */
export function smallSource(): Promise<DataSource> {
  return loadDataSource({ synthetic: { seed: 42, users: 60, items: 60 } });
}

let tokenizer: ModelTokenizer | undefined;

/** A fresh model each call (same seed → same parameters); the tokenizer is shared. */
export async function tinyRecommender(
  source: DataSource,
  opts: { numLatents?: number; seed?: number } = {},
): Promise<Recommender> {
  tokenizer ??= ModelTokenizer.compacted(await Tokenizer.qwenDefault(), corpusTexts(source, "reference"));
  return Recommender.create(
    "tiny",
    tokenizer,
    { numLatents: opts.numLatents ?? 0, phrase: source.phrase },
    { seed: opts.seed ?? 0 },
  );
}
