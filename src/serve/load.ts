/**
 * From `--model` to a served recommender: "popularity" (the most-popular list of the training
 * targets), or a model folder (BIGRec/D3 decoding, LatentR3 with its latent thoughts) with the title
 * trie over the catalogue. New kinds (the traditional baselines) are added here, each as one adapter.
 */
import type { DataSource } from "../data/data-source.js";
import { DECODING_CONFIG } from "../decode/decoding-config.js";
import { buildTitleTrie } from "../decode/recommend.js";
import { Recommender } from "../latent/recommender.js";
import { configTable, type ConfigOf } from "../util/config-table.js";
import type { CatalogueIndex } from "./catalogue-index.js";
import { generativeRecommender, LENGTH_PENALTIES } from "./generative-kind.js";
import { popularityRecommender } from "./popularity-kind.js";
import type { RecommenderKind } from "./recommender-kind.js";

const { beams, lengthPenalty, maxNewTokens } = DECODING_CONFIG.fields;

/**
 * The decoding settings of a served recommender: the evaluator's (DECODING_CONFIG), read as a
 * server uses them; users per batch are the batcher's (SERVE_LIMITS.maxBatchSize).
 */
export const SERVE_DECODING = configTable(
  "decoding",
  {
    beams: { ...beams, help: "beam width (the popularity list's length): the largest k a request may ask for" },
    lengthPenalty: { ...lengthPenalty, help: "decoding when a request does not choose: 1 = BIGRec, 0 = D3" },
    maxNewTokens,
  },
  (config, nameOf) =>
    LENGTH_PENALTIES.includes(config.lengthPenalty)
      ? undefined
      : `${nameOf("lengthPenalty")} must be ${LENGTH_PENALTIES.join(" or ")} (1 = BIGRec, 0 = D3), got ${config.lengthPenalty}`,
);
export type ServeDecoding = ConfigOf<typeof SERVE_DECODING>;

export type LoadRecommenderOptions = ServeDecoding & {
  /** A model folder, or "popularity". */
  model: string;
  source: DataSource;
  catalogue: CatalogueIndex;
  device?: string;
  /** Overrides the model's number of latent thoughts (0 = decode without reasoning). */
  latent?: number;
};

export interface LoadedRecommender {
  recommender: RecommenderKind;
  /** Frees the model's tensors (after the server has closed). */
  dispose(): void;
}

export async function loadRecommender(opts: LoadRecommenderOptions): Promise<LoadedRecommender> {
  const decoding = SERVE_DECODING.make(SERVE_DECODING.from(opts));
  if (opts.model === "popularity") {
    return {
      recommender: popularityRecommender(opts.source.splits.train, opts.catalogue, { maxK: decoding.beams }),
      dispose: () => {},
    };
  }
  const rec = await Recommender.load(opts.model, opts.latent === undefined ? {} : { numLatents: opts.latent }, {
    device: opts.device,
  });
  const trie = buildTitleTrie(
    rec,
    opts.source.items.map((i) => i.title),
  );
  return {
    recommender: generativeRecommender(rec, trie, opts.catalogue, { name: opts.model, ...decoding }),
    dispose: () => rec.dispose(),
  };
}
