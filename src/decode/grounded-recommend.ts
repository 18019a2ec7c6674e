/**
 * Recommending by grounding (BIGRec's original decoding, see grounding.ts): the catalogue's title
 * embeddings (computed once per model and cached on disk), then per batch of users prime the
 * decoder, generate one answer greedily, embed it and rank every catalogue title by L2 distance.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { noGrad, stack, tidy, type Tensor } from "../engine/index.js";
import { openSafetensors, writeSafetensors } from "../engine/safetensors.js";
import { loadEntry, toTensorData } from "../engine/tensor-io.js";
import type { Item } from "../data/types.js";
import { collatePrompts } from "../data/collate.js";
import type { Qwen2Model } from "../llm/qwen2.js";
import type { Recommender } from "../latent/recommender.js";
import { greedyAnswers, groundingTokens, nearestByL2, titleGroundingTokens } from "./grounding.js";
import { pooledHiddenStates } from "../llm/pooled-hidden-states.js";
import { primeLatent, primePlain } from "./prime.js";
import { cacheDir, lengthSortedBatches, trieTitles, type DecodedBatch, type Recommendations } from "./recommend.js";
import { titleTrieCacheKey } from "./title-trie-file.js";

/** The catalogue side of grounding: distinct titles and their text embeddings [titles, hidden]. */
export interface GroundingCatalogue {
  titles: string[];
  embeddings: Tensor;
  /** True when the embeddings were read from the cache rather than computed. */
  cached: boolean;
}

/** Elements per f64 chunk of the weights' fingerprint (32 MB). */
const FINGERPRINT_CHUNK = 1 << 22;

/**
 * Identifies a model's weights by content: sha256 over every parameter's name, dtype, shape, sum and
 * sum of squares (f64, computed in libtorch in one pass). Unlike a file's size and mtime it follows
 * the weights actually loaded (a LoRA adapter on a base, a model trained in this process) and
 * survives copying a folder. It misses only changes that keep every parameter's sum and sum of
 * squares (permuting a tensor's entries), which training does not make.
 */
export function weightsFingerprint(model: Qwen2Model): string {
  const named = model.store.namedParameters();
  const sums = noGrad(() =>
    tidy(() => {
      const rows = named.map(([, p]) => {
        // In chunks, so a large bf16 embedding never needs a whole f64 copy (1.9 GB for Qwen2.5-1.5B's).
        const flat = p.reshape([-1]);
        const parts = [];
        for (let at = 0; at < flat.dim(0); at += FINGERPRINT_CHUNK) {
          const x = flat.narrow(0, at, Math.min(FINGERPRINT_CHUNK, flat.dim(0) - at)).to("f64");
          parts.push(stack([x.sum(), x.square().sum()]));
        }
        return stack(parts).sum(0);
      });
      return stack(rows).data() as Float64Array;
    }),
  );
  const hash = createHash("sha256");
  named.forEach(([name, p], i) => {
    hash.update(`${name}\0${p.dtype}\0${p.shape.join("x")}\0${sums[2 * i]}\0${sums[2 * i + 1]}\n`);
  });
  return hash.digest("hex");
}

/** Changed when the embedding definition changes, so older cache files are not reused. */
const EMBEDDING_VERSION = "bigrec-last-token-final-norm, answer tokens before the closing quote";

/** The cache key: the tokenizer, the weights' content and the titles (the trie cache's key plus the weights). */
export function groundingCacheKey(tokenizerFingerprint: string, weights: string, titles: readonly string[]): string {
  return titleTrieCacheKey(`${tokenizerFingerprint}\0weights\0${weights}\0${EMBEDDING_VERSION}`, titles);
}

export interface CatalogueEmbeddingOptions {
  /** Titles embedded together. */
  batchSize: number;
  useCache?: boolean;
  /** The model's weightsFingerprint when the caller already has it (computing it reads every weight). */
  weights?: string;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The embeddings of every distinct catalogue title (trimmed, as the trie's), from
 * `<cache>/grounding/<key>.safetensors` when present, else computed and written there.
 */
export function catalogueEmbeddings(
  rec: Recommender,
  catalogueTitles: readonly string[],
  opts: CatalogueEmbeddingOptions,
): GroundingCatalogue {
  const titles = trieTitles(catalogueTitles);
  const compute = () =>
    pooledHiddenStates(
      rec.model,
      titles.map((t) => titleGroundingTokens(rec.tokenizer, t)),
      {
        pooling: "last",
        padId: rec.tokenizer.padId,
        batchSize: opts.batchSize,
        onProgress: (done) => opts.onProgress?.(done, titles.length),
      },
    );
  if (opts.useCache === false) return { titles, embeddings: compute(), cached: false };
  const key = groundingCacheKey(rec.tokenizer.fingerprint(), opts.weights ?? weightsFingerprint(rec.model), titles);
  const path = join(cacheDir(), "grounding", `${key}.safetensors`);
  if (existsSync(path)) {
    const file = openSafetensors(path);
    try {
      const entry = file.entries.get("embeddings");
      if (!entry || entry.shape.length !== 2 || entry.shape[0] !== titles.length) {
        throw new Error(
          `${path}: expected an "embeddings" tensor of ${titles.length} rows (one per catalogue title); delete the file to recompute it`,
        );
      }
      return { titles, embeddings: loadEntry(entry, { device: rec.model.device }), cached: true };
    } finally {
      file.close();
    }
  }
  const embeddings = compute();
  mkdirSync(dirname(path), { recursive: true });
  writeSafetensors(path, toTensorData([["embeddings", embeddings]]), { titles: String(titles.length) });
  return { titles, embeddings, cached: false };
}

export interface GroundedRecommendOptions {
  /** Titles returned per user, nearest first (at most the catalogue's distinct titles). */
  listLength: number;
  maxNewTokens: number;
  /** Users decoded together. */
  batchSize: number;
  onBatch?: (batch: DecodedBatch) => void;
}

export interface GroundedRecommendations extends Omit<Recommendations, "scores"> {
  /** Per example, the freely generated answer's text (before grounding, EOS excluded). */
  answers: string[];
}

export function groundedRecommend(
  rec: Recommender,
  catalogue: GroundingCatalogue,
  examples: readonly { history: readonly Item[] }[],
  opts: GroundedRecommendOptions,
): GroundedRecommendations {
  const prompts = examples.map((e) => rec.promptIds(e));
  const titles: string[][] = new Array(examples.length);
  const answers: string[] = new Array(examples.length);
  const timing = { primeMs: 0, searchMs: 0, tensorMs: 0, totalMs: 0 };
  const start = performance.now();
  // Results are put back in input order.
  for (const { indices: idx, done, workFraction } of lengthSortedBatches(prompts, opts.batchSize)) {
    const t0 = performance.now();
    const primed = tidy(() => {
      const { ids, mask } = collatePrompts(
        idx.map((j) => prompts[j]!),
        rec.tokenizer.padId,
        rec.model.device,
      );
      const p = rec.reasoner ? primeLatent(rec.reasoner, ids, mask) : primePlain(rec.model, ids, mask);
      return { cache: p.cache, mask: p.mask.keep(), logits: p.logits.keep() };
    });
    const t1 = performance.now();
    const generated = greedyAnswers(rec.model, rec.tokenizer, primed, opts.maxNewTokens);
    primed.cache.dispose();
    primed.mask.dispose();
    primed.logits.dispose();
    const embedded = pooledHiddenStates(
      rec.model,
      generated.map((g) => groundingTokens(g, rec.tokenizer.eosId)),
      { pooling: "last", padId: rec.tokenizer.padId, batchSize: opts.batchSize },
    );
    const nearest = nearestByL2(embedded, catalogue.embeddings, opts.listLength);
    embedded.dispose();
    const t2 = performance.now();
    timing.primeMs += t1 - t0;
    timing.searchMs += t2 - t1;
    timing.tensorMs += t2 - t0;
    idx.forEach((j, k) => {
      titles[j] = nearest[k]!.map((n) => catalogue.titles[n]!);
      answers[j] = rec.tokenizer.decode(generated[k]!.tokens);
    });
    opts.onBatch?.({ indices: idx, titles: idx.map((j) => titles[j]!), done, workFraction });
  }
  timing.totalMs = performance.now() - start;
  return { titles, answers, timing };
}
