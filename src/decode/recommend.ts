/**
 * Recommending with a trained model: the title trie over the catalogue, then per batch of users
 * prime (prompt, latent thoughts) and constrained beam search; generated paths become titles.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { tidy, type Tensor } from "../engine/index.js";
import type { Item } from "../data/types.js";
import type { Recommender } from "../latent/recommender.js";
import { collatePrompts } from "../data/collate.js";
import { constrainedBeamSearch, type BeamSearchOptions } from "./beam-search.js";
import { primeLatent, primePlain } from "./prime.js";
import type { PrimedDecoder } from "./search-decoder.js";
import { TitleTrie } from "./title-trie.js";
import { readTitleTrie, titleTrieCacheKey, writeTitleTrie } from "./title-trie-file.js";

/** Distinct catalogue titles as the reference builds its trie: spaces stripped at both ends. */
export function trieTitles(titles: readonly string[]): string[] {
  return [...new Set(titles.map((t) => t.trim()))];
}

export function cacheDir(): string {
  return process.env.LATENTR3_CACHE ?? join(homedir(), ".cache", "latentr3");
}

/** Builds (or loads from the cache) the trie of `"title"⏎` + EOS token paths for a recommender's tokenizer. */
export function buildTitleTrie(rec: Recommender, catalogueTitles: readonly string[], useCache = true): TitleTrie {
  const titles = trieTitles(catalogueTitles);
  const build = () =>
    TitleTrie.build({ sequences: titles.map((t) => rec.answerIds(t)), titles, eos: rec.tokenizer.eosId });
  // The key hashes the whole tokenizer definition (≈ 80 ms for Qwen's): only worth it when caching.
  if (!useCache) return build();
  const path = join(cacheDir(), "tries", `${titleTrieCacheKey(rec.tokenizer.fingerprint(), titles)}.trie`);
  if (existsSync(path)) return readTitleTrie(path);
  const trie = build();
  writeTitleTrie(path, trie);
  return trie;
}

export interface RecommendOptions extends BeamSearchOptions {
  /** Users decoded together (rows = users × beams during the search). */
  batchSize: number;
  /** Called after each batch: its examples (indices into the input) and their titles, and how many are done. */
  onBatch?: (batch: DecodedBatch) => void;
  /** An example's prompt ids (default: the recommender's prompt; zero-shot methods bring their own). */
  promptIds?: (example: { history: readonly Item[] }) => number[];
  /** Primes one batch of `examples` (default: prompt, plus latent thoughts for LatentR3). */
  prime?: (ids: Tensor, mask: Tensor, examples: readonly { history: readonly Item[] }[]) => PrimedDecoder;
}

/** A batch of prompts to decode together: indices into the prompts, and the progress once it is done. */
export interface PromptBatch {
  indices: number[];
  done: number;
  /** The share of all prompt tokens decoded once this batch is (0–1): what progress ETAs are computed from. */
  workFraction: number;
}

/** One decoded batch, as `onBatch` reports it. */
export interface DecodedBatch extends Readonly<PromptBatch> {
  titles: readonly (readonly string[])[];
}

/**
 * Batches of `batchSize` prompts, shortest first: similar lengths share a batch (less padding). A
 * batch's decoding time grows with its prompt length (on Amazon Industrial about 28 ms + 2.7 ms per
 * mean prompt token per batch of 8), so the last batches are the slowest: `workFraction` counts prompt
 * tokens, which keeps an ETA from promising too early.
 */
export function lengthSortedBatches(prompts: readonly (readonly number[])[], batchSize: number): PromptBatch[] {
  const order = prompts.map((_, i) => i).sort((a, b) => prompts[a]!.length - prompts[b]!.length || a - b);
  const totalTokens = prompts.reduce((sum, p) => sum + p.length, 0);
  const batches: PromptBatch[] = [];
  let tokens = 0;
  for (let i = 0; i < order.length; i += batchSize) {
    const indices = order.slice(i, i + batchSize);
    tokens += indices.reduce((sum, j) => sum + prompts[j]!.length, 0);
    batches.push({ indices, done: i + indices.length, workFraction: totalTokens > 0 ? tokens / totalTokens : 1 });
  }
  return batches;
}

export interface Recommendations {
  /** Per example, titles best first (≤ beams). */
  titles: string[][];
  /** Per example, the hypotheses' scores, aligned with `titles`. */
  scores: number[][];
  timing: { primeMs: number; searchMs: number; tensorMs: number; totalMs: number };
}

export function recommend(
  rec: Recommender,
  trie: TitleTrie,
  examples: readonly { history: readonly Item[] }[],
  opts: RecommendOptions,
): Recommendations {
  const prompts = examples.map((e) => (opts.promptIds ? opts.promptIds(e) : rec.promptIds(e)));
  const titles: string[][] = new Array(examples.length);
  const scores: number[][] = new Array(examples.length);
  const timing = { primeMs: 0, searchMs: 0, tensorMs: 0, totalMs: 0 };
  const start = performance.now();
  // Results are put back in input order.
  for (const { indices: idx, done, workFraction } of lengthSortedBatches(prompts, opts.batchSize)) {
    tidy(() => {
      const t0 = performance.now();
      const { ids, mask } = collatePrompts(
        idx.map((j) => prompts[j]!),
        rec.tokenizer.padId,
        rec.model.device,
      );
      const primed = opts.prime
        ? opts.prime(
            ids,
            mask,
            idx.map((j) => examples[j]!),
          )
        : rec.reasoner
          ? primeLatent(rec.reasoner, ids, mask)
          : primePlain(rec.model, ids, mask);
      const t1 = performance.now();
      const result = constrainedBeamSearch(rec.model, trie, primed, opts);
      primed.cache.dispose();
      timing.primeMs += t1 - t0;
      timing.searchMs += result.totalMs;
      timing.tensorMs += t1 - t0 + result.tensorMs;
      idx.forEach((j, k) => {
        const hyps = result.hypotheses[k]!;
        titles[j] = hyps.map((h) => trie.titlesAt(h.node)[0]!);
        scores[j] = hyps.map((h) => h.score);
      });
    });
    opts.onBatch?.({ indices: idx, titles: idx.map((j) => titles[j]!), done, workFraction });
  }
  timing.totalMs = performance.now() - start;
  return { titles, scores, timing };
}
