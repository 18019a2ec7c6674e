/**
 * From `--model` to a served recommender: "popularity" (the most-popular list of the training
 * targets), or a model folder (BIGRec/D3 decoding, LatentR3 with its latent thoughts) with the title
 * trie over the catalogue. New kinds (the traditional baselines) are added here, each as one adapter.
 */
import type { DataSource } from "../data/data-source.js";
import { buildTitleTrie } from "../decode/recommend.js";
import { Recommender } from "../latent/recommender.js";
import type { CatalogueIndex } from "./catalogue-index.js";
import { generativeRecommender } from "./generative-kind.js";
import { popularityRecommender } from "./popularity-kind.js";
import type { RecommenderKind } from "./recommender-kind.js";

export interface LoadRecommenderOptions {
  /** A model folder, or "popularity". */
  model: string;
  source: DataSource;
  catalogue: CatalogueIndex;
  /** Beam width, and the length of the popularity list: the largest k a request may ask for. */
  beams: number;
  lengthPenalty: number;
  maxNewTokens: number;
  device?: string;
  /** Overrides the model's number of latent thoughts (0 = decode without reasoning). */
  latent?: number;
}

export interface LoadedRecommender {
  recommender: RecommenderKind;
  /** Frees the model's tensors (after the server has closed). */
  dispose(): void;
}

export async function loadRecommender(opts: LoadRecommenderOptions): Promise<LoadedRecommender> {
  if (opts.model === "popularity") {
    return {
      recommender: popularityRecommender(opts.source.splits.train, opts.catalogue, { maxK: opts.beams }),
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
    recommender: generativeRecommender(rec, trie, opts.catalogue, {
      name: opts.model,
      beams: opts.beams,
      lengthPenalty: opts.lengthPenalty,
      maxNewTokens: opts.maxNewTokens,
    }),
    dispose: () => rec.dispose(),
  };
}
