/**
 * Vocabulary compaction for small from-scratch models: the 151k-token Qwen vocabulary is mapped
 * onto the dense range 0..n−1 of the token ids that actually occur in the corpus (plus required
 * special ids such as EOS, pad and the latent placeholder), so the embedding and LM head have n
 * rows instead of 151k. Compact ids follow full-id order, so the mapping is deterministic.
 */

export interface VocabCompactionJson {
  /** Full tokenizer ids, ascending; compact id i ↔ fullIds[i]. */
  fullIds: number[];
}

export class VocabCompaction {
  private readonly full: Int32Array;
  private readonly index = new Map<number, number>();

  constructor(fullIds: Iterable<number>) {
    const sorted = [...new Set(fullIds)].sort((a, b) => a - b);
    for (const id of sorted) {
      if (!Number.isInteger(id) || id < 0) throw new Error(`VocabCompaction: ${id} is not a token id`);
    }
    this.full = Int32Array.from(sorted);
    sorted.forEach((id, i) => this.index.set(id, i));
  }

  /** Every id in `sequences` plus `required` (e.g. EOS, pad, placeholder). */
  static fromCorpus(sequences: Iterable<readonly number[]>, required: readonly number[] = []): VocabCompaction {
    const seen = new Set<number>(required);
    for (const seq of sequences) for (const id of seq) seen.add(id);
    return new VocabCompaction(seen);
  }

  static fromJSON(json: VocabCompactionJson): VocabCompaction {
    if (!json || !Array.isArray(json.fullIds))
      throw new Error("VocabCompaction.fromJSON: expected { fullIds: number[] }");
    return new VocabCompaction(json.fullIds);
  }

  toJSON(): VocabCompactionJson {
    return { fullIds: Array.from(this.full) };
  }

  /** Number of compact ids (the model's vocabulary size). */
  get size(): number {
    return this.full.length;
  }

  has(fullId: number): boolean {
    return this.index.has(fullId);
  }

  compactId(fullId: number): number {
    const c = this.index.get(fullId);
    if (c === undefined) {
      throw new Error(
        `token id ${fullId} is not in the compact vocabulary (${this.size} ids collected from the corpus); ` +
          "the text uses a token never seen when the vocabulary was built: rebuild it including this text",
      );
    }
    return c;
  }

  fullId(compactId: number): number {
    if (!Number.isInteger(compactId) || compactId < 0 || compactId >= this.full.length) {
      throw new Error(`compact id ${compactId} is outside 0..${this.full.length - 1}`);
    }
    return this.full[compactId]!;
  }

  toCompact(ids: readonly number[]): number[] {
    return ids.map((id) => this.compactId(id));
  }

  toFull(ids: readonly number[]): number[] {
    return ids.map((id) => this.fullId(id));
  }
}
