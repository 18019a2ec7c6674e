/**
 * AlphaRec's frozen inputs for a training run: the LLM's title embeddings of the catalogue (computed
 * once and cached in the run folder, so a resumed run, a grid and a rerun with --resume reuse them)
 * and the graph of the training rows (users with their history items and targets; never selection or
 * test targets).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { cat, zeros, type Device } from "../engine/index.js";
import { openSafetensors, writeSafetensors } from "../engine/safetensors.js";
import { loadEntry, toTensorData } from "../engine/tensor-io.js";
import { InteractionGraph } from "../baselines/alpharec/graph.js";
import type { AlphaRecInputs } from "../baselines/alpharec/model.js";
import type { SequenceRow } from "../baselines/sequences.js";
import type { ItemVocabulary } from "../baselines/vocabulary.js";
import type { Item } from "../data/types.js";
import { titleGroundingTokens } from "../decode/grounding.js";
import { pooledHiddenStates } from "../llm/pooled-hidden-states.js";
import { Recommender } from "../latent/recommender.js";
import { Progress } from "../util/progress.js";

export const TITLE_EMBEDDINGS_FILE = "title-embeddings.safetensors";

/** Title embeddings [N + 1, d_lm] (row 0 = padding, zero), read from `cache` when it matches. */
export async function titleEmbeddings(
  llmDir: string,
  items: readonly Item[],
  vocab: ItemVocabulary,
  cache: string,
  device?: Device,
) {
  const metadata = {
    llm: resolve(llmDir),
    catalogue: vocab.fingerprint,
    pooling: "mean of last hidden states over the title as answers write it",
  };
  if (existsSync(cache)) {
    const file = openSafetensors(cache);
    try {
      const entry = file.entries.get("item_embeddings");
      const same = Object.entries(metadata).every(([k, v]) => file.metadata[k] === v);
      if (entry && same) {
        console.error(`[alpharec] title embeddings from ${cache}`);
        return loadEntry(entry, { device, dtype: "f32" });
      }
    } finally {
      file.close();
    }
  }
  const llm = await Recommender.load(llmDir, {}, { device });
  const titleById = new Map(items.map((i) => [i.id, i.title]));
  // A title is tokenised as the model's answers write it (opening quote included, as grounding does):
  // a vocabulary compacted to the data's texts has those merges, not always a bare title's
  // ("<span" exists only as '"<span' in the CDs prompts).
  const sequences = vocab.ids.slice(1).map((id) => titleGroundingTokens(llm.tokenizer, titleById.get(id) ?? ""));
  const progress = new Progress("alpharec title embeddings", sequences.length, process.stderr);
  // The authors embed titles with text-embedding models (text-embedding-3-large by default; for LLMs
  // such as Llama or Mistral, vectors from the hidden states); ours is the mean over the title's tokens.
  const pooled = pooledHiddenStates(llm.model, sequences, {
    pooling: "mean",
    padId: llm.tokenizer.padId,
    batchSize: 64,
    onProgress: (done) => progress.update(done),
  });
  const titles = pooled.to("cpu");
  pooled.dispose();
  progress.finish();
  llm.dispose();
  const out = cat([zeros([1, titles.dim(1)]), titles]);
  titles.dispose();
  writeSafetensors(cache, toTensorData([["item_embeddings", out]]), metadata);
  return device && device !== "cpu" ? out.to(device) : out;
}

/** The run's AlphaRec inputs: cached title embeddings and the training rows' graph. */
export async function alphaRecInputs(opts: {
  llmDir: string;
  items: readonly Item[];
  vocab: ItemVocabulary;
  numUsers: number;
  train: readonly SequenceRow[];
  cache: string;
  device?: Device;
}): Promise<AlphaRecInputs> {
  const itemEmbeddings = (await titleEmbeddings(opts.llmDir, opts.items, opts.vocab, opts.cache, opts.device)).keep();
  const graph = InteractionGraph.fromRows(opts.train, opts.numUsers, opts.vocab.size, opts.device);
  return { itemEmbeddings, graph };
}
