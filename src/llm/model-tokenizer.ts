/**
 * The tokenizer as the model sees it: ids in the model's vocabulary. For a small model trained from
 * scratch with vocabulary compaction, tokenizer ids are mapped onto the compact range; for a real
 * checkpoint the mapping is the identity. Everything above `llm/` uses model ids only.
 */
import type { Tokenizer } from "./tokenizer.js";
import { VocabCompaction } from "./vocab-compaction.js";

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
    const sequences = (function* () {
      for (const t of texts) yield tokenizer.encode(t);
    })();
    const compaction = VocabCompaction.fromCorpus(sequences, [tokenizer.eosId, tokenizer.padId, thought!]);
    return new ModelTokenizer(tokenizer, compaction);
  }

  private toModel(ids: readonly number[]): number[] {
    return this.compaction ? this.compaction.toCompact(ids) : [...ids];
  }

  /** Model ids of `text` (no BOS/EOS added). */
  encode(text: string): number[] {
    return this.toModel(this.tokenizer.encode(text));
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
