/**
 * The tokenizer as the model sees it: ids in the model's vocabulary. For a small model trained from
 * scratch with vocabulary compaction, tokenizer ids are mapped onto the compact range; for a real
 * checkpoint the mapping is the identity. Everything above `llm/` uses model ids only.
 */
import type { Tokenizer } from "./tokenizer.js";
import { VocabCompaction } from "./vocab-compaction.js";
import { mapWithProgress } from "../util/progress.js";

export const THOUGHT_TOKEN = "<|Thought|>";

export class ModelTokenizer {
  readonly placeholderId: number;

  constructor(
    readonly tokenizer: Tokenizer,
    readonly compaction: VocabCompaction | null,
  ) {
    // The latent placeholder exists in every LatentR3 vocabulary (the reference adds it too).
    const [full] = tokenizer.addSpecialTokens([THOUGHT_TOKEN]);
    this.placeholderId = this.toModel([full!])[0]!;
  }

  /** Builds a compaction over `texts` (and the special ids), so the model needs few embedding rows. */
  static compacted(tokenizer: Tokenizer, texts: Iterable<string>): ModelTokenizer {
    const [thought] = tokenizer.addSpecialTokens([THOUGHT_TOKEN]);
    const sequences = mapWithProgress("vocabulary: tokenizing the corpus", [...texts], (t) => tokenizer.encode(t));
    const compaction = VocabCompaction.fromCorpus(sequences, [tokenizer.eosId, tokenizer.padId, thought!]);
    return new ModelTokenizer(tokenizer, compaction);
  }

  private toModel(ids: readonly number[]): number[] {
    return this.compaction ? this.compaction.toCompact(ids) : [...ids];
  }

  /** Model ids of `text` (no BOS/EOS added). */
  encode(text: string): number[] {
    const ids = this.tokenizer.encode(text);
    const missing = this.compaction ? ids.find((id) => !this.compaction!.has(id)) : undefined;
    if (missing !== undefined) {
      const piece = this.tokenizer.decode([missing], { skipSpecialTokens: false });
      throw new Error(
        `the text ${JSON.stringify(text.length > 60 ? text.slice(0, 57) + "..." : text)} has the token ${JSON.stringify(piece)}, ` +
          `which this model's vocabulary lacks: the model was built for another dataset (its ${this.compaction!.size}-token vocabulary ` +
          "was compacted to that data's titles and prompts); use a model pretrained on this data (`latentr3 train pretrain --data …`) or a full-vocabulary Qwen2 folder",
      );
    }
    return this.toModel(ids);
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    const full = this.compaction ? this.compaction.toFull(ids) : ids;
    return this.tokenizer.decode(full, { skipSpecialTokens });
  }

  get eosId(): number {
    return this.toModel([this.tokenizer.eosId])[0]!;
  }
  get padId(): number {
    return this.toModel([this.tokenizer.padId])[0]!;
  }
  /** Identifies the id mapping (tokenizer + compaction) for caches such as the title trie. */
  fingerprint(): string {
    return (
      this.tokenizer.fingerprint() +
      (this.compaction ? `+compact:${this.compaction.size}:${this.compaction.toJSON().fullIds.join(",")}` : "")
    );
  }

  /** Rows the model's embedding needs. */
  get vocabSize(): number {
    return this.compaction ? this.compaction.size : this.tokenizer.vocabSize;
  }
}
