/**
 * The `titleTrie`: a prefix trie over the token-id sequences of the catalogue titles, which the
 * constrained beam search walks one token per step (spec 6.2). Each sequence is the tokenization of
 * `"title"⏎` followed by EOS; the caller tokenizes, this module only stores and walks.
 *
 * Layout, chosen for the beam-search hot path (one `next` and one `allowedTokens` per beam per step):
 * nodes are numbered in breadth-first order, so the children of a node are a contiguous id range
 * `childStart[n] .. childStart[n+1]-1`, sorted by the token on their incoming edge. `edgeToken[c]` is
 * that token. `allowedTokens(n)` is then a subarray of `edgeToken` (no copy) and `next(n, t)` is a
 * binary search inside it that returns the child's id directly. Everything is in flat typed arrays:
 * no per-node objects, no Maps.
 */
import { createHash } from "node:crypto";

/** What a trie is built from: one token sequence per title, aligned with `titles`. */
export interface TitleTrieSource {
  /** Per title: the token ids of `"title"⏎` followed by EOS. */
  sequences: readonly (readonly number[])[];
  /** The title each sequence spells (the same title may appear more than once). */
  titles: readonly string[];
  /** The EOS token id every sequence must end with, and that may appear nowhere else. */
  eos: number;
}

export class TitleTrieError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TitleTrieError";
  }
}

const NO_NODE = -1;

export class TitleTrie {
  /** The node before any generated token (the trie root in spec 6.2 is keyed by the prompt header). */
  readonly root = 0;
  readonly eos: number;
  readonly nodeCount: number;
  /** Number of input sequences (titles, duplicates included). */
  readonly sequenceCount: number;
  /** Length of the longest sequence, EOS included: the most decoding steps a title can take. */
  readonly maxDepth: number;
  /** sha256 (hex) of EOS, sequences and titles: identifies what the trie was built from. */
  readonly contentHash: string;
  readonly titles: readonly string[];

  private readonly childStart: Int32Array;
  private readonly edgeToken: Int32Array;
  private readonly parent: Int32Array;
  private readonly depth: Int32Array;
  /** Input indices of the sequences ending at each node: `endIndex[endStart[n] .. endStart[n+1]-1]`. */
  private readonly endStart: Int32Array;
  private readonly endIndex: Int32Array;
  /** Views handed out by `allowedTokens`, created once per node so the hot path does not allocate. */
  private readonly allowedViews: (Int32Array | undefined)[];
  /** End node per input index, built on first use by `endNodeOf` (not needed while decoding). */
  private endNodeByIndex: Int32Array | undefined;

  private constructor(source: TitleTrieSource, hash: string) {
    const { sequences, titles, eos } = source;
    this.eos = eos;
    this.titles = [...titles];
    this.sequenceCount = sequences.length;
    this.contentHash = hash;

    let totalTokens = 0;
    let maxDepth = 0;
    for (const s of sequences) {
      totalTokens += s.length;
      if (s.length > maxDepth) maxDepth = s.length;
    }
    this.maxDepth = maxDepth;

    // Sorting the sequences lexicographically makes every node's subtree a contiguous range of the
    // sorted order, and its children appear in increasing token order: breadth-first construction
    // over ranges then produces the sorted CSR layout in one pass, with no hashing.
    const order = Array.from(sequences.keys()).sort((a, b) => compareSequences(sequences[a]!, sequences[b]!) || a - b);

    const capacity = totalTokens + 1; // at most one node per token, plus the root
    const childStart = new Int32Array(capacity + 1);
    const edgeToken = new Int32Array(capacity);
    const parent = new Int32Array(capacity);
    const depth = new Int32Array(capacity);
    const endStart = new Int32Array(capacity + 1);
    const endIndex = new Int32Array(sequences.length);
    // Per node, the half-open range of `order` whose sequences pass through or end at it.
    const rangeLo = new Int32Array(capacity);
    const rangeHi = new Int32Array(capacity);

    parent[0] = NO_NODE;
    edgeToken[0] = NO_NODE;
    rangeLo[0] = 0;
    rangeHi[0] = order.length;
    let nodeCount = 1;
    let ends = 0;
    for (let node = 0; node < nodeCount; node++) {
      const d = depth[node]!;
      let lo = rangeLo[node]!;
      const hi = rangeHi[node]!;
      // Sequences of length d end here; they sort before the longer ones sharing this prefix.
      endStart[node] = ends;
      while (lo < hi && sequences[order[lo]!]!.length === d) endIndex[ends++] = order[lo++]!;
      if (ends > endStart[node]! && lo < hi) {
        const shorter = order[endStart[node]!]!;
        const longer = order[lo]!;
        throw new TitleTrieError(
          `title trie: the token sequence of title ${JSON.stringify(titles[shorter])} (#${shorter}) is a strict prefix ` +
            `of the sequence of title ${JSON.stringify(titles[longer])} (#${longer}); a title must not continue after EOS`,
        );
      }
      // An EOS inside a title would let a beam finish on a node that is not a catalogue title.
      if (edgeToken[node] === eos && lo < hi) {
        const i = order[lo]!;
        throw new TitleTrieError(
          `title trie: title ${JSON.stringify(titles[i])} (#${i}) contains EOS (${eos}) before its end`,
        );
      }
      childStart[node] = nodeCount;
      while (lo < hi) {
        const token = sequences[order[lo]!]![d]!;
        let end = lo + 1;
        while (end < hi && sequences[order[end]!]![d] === token) end++;
        const child = nodeCount++;
        edgeToken[child] = token;
        parent[child] = node;
        depth[child] = d + 1;
        rangeLo[child] = lo;
        rangeHi[child] = end;
        lo = end;
      }
    }
    childStart[nodeCount] = nodeCount;
    endStart[nodeCount] = ends;

    this.nodeCount = nodeCount;
    this.childStart = childStart.slice(0, nodeCount + 1);
    this.edgeToken = edgeToken.slice(0, nodeCount);
    this.parent = parent.slice(0, nodeCount);
    this.depth = depth.slice(0, nodeCount);
    this.endStart = endStart.slice(0, nodeCount + 1);
    this.endIndex = endIndex;
    this.allowedViews = new Array<Int32Array | undefined>(nodeCount);
  }

  /** Builds the trie; throws a `TitleTrieError` naming the offending title(s) when the input is malformed. */
  static build(source: TitleTrieSource): TitleTrie {
    validateSource(source); // before hashing, which assumes int32 token ids
    return new TitleTrie(source, titleTrieHash(source));
  }

  /** The child reached from `node` by `token`, or -1 when the token leaves the catalogue. */
  next(node: number, token: number): number {
    let lo = this.childStart[node]!;
    let hi = this.childStart[node + 1]! - 1;
    const tokens = this.edgeToken;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = tokens[mid]!;
      if (t === token) return mid;
      if (t < token) lo = mid + 1;
      else hi = mid - 1;
    }
    return NO_NODE;
  }

  /** The tokens that keep a beam at `node` inside the catalogue, ascending. A view: do not modify. */
  allowedTokens(node: number): Int32Array {
    let view = this.allowedViews[node];
    if (view === undefined) {
      view = this.edgeToken.subarray(this.childStart[node]!, this.childStart[node + 1]!);
      this.allowedViews[node] = view;
    }
    return view;
  }

  childCount(node: number): number {
    return this.childStart[node + 1]! - this.childStart[node]!;
  }

  /** True when a full sequence (ending in EOS) ends at `node`: a beam here is a finished title. */
  isComplete(node: number): boolean {
    return this.endStart[node + 1]! > this.endStart[node]!;
  }

  /** Number of tokens from the root to `node`. */
  depthOf(node: number): number {
    return this.depth[node]!;
  }

  /** Input indices of the sequences ending at `node` (several when a title was given more than once). A view. */
  titleIndicesAt(node: number): Int32Array {
    return this.endIndex.subarray(this.endStart[node]!, this.endStart[node + 1]!);
  }

  /** Distinct titles whose sequence ends at `node`; empty for inner nodes. Duplicate titles share one path. */
  titlesAt(node: number): string[] {
    const out: string[] = [];
    for (const i of this.titleIndicesAt(node)) {
      const title = this.titles[i]!;
      if (!out.includes(title)) out.push(title);
    }
    return out;
  }

  /** Follows `tokens` from `from` (default: root); -1 as soon as one leaves the trie. */
  walk(tokens: ArrayLike<number>, from = this.root): number {
    let node = from;
    for (let i = 0; i < tokens.length && node !== NO_NODE; i++) node = this.next(node, tokens[i]!);
    return node;
  }

  /** The token path from the root to `node`, for debugging and for decoding a finished beam. */
  pathTo(node: number): number[] {
    const path: number[] = new Array<number>(this.depth[node]!);
    for (let n = node, i = path.length - 1; n !== this.root; n = this.parent[n]!, i--) path[i] = this.edgeToken[n]!;
    return path;
  }

  /** The sequence of input `index`, reconstructed from the trie (used to serialise without keeping the input). */
  sequenceOf(index: number): number[] {
    return this.pathTo(this.endNodeOf(index));
  }

  /** The node where the sequence of input `index` ends. */
  endNodeOf(index: number): number {
    if (!this.endNodeByIndex) {
      const byIndex = new Int32Array(this.sequenceCount);
      for (let n = 0; n < this.nodeCount; n++) {
        for (let j = this.endStart[n]!; j < this.endStart[n + 1]!; j++) byIndex[this.endIndex[j]!] = n;
      }
      this.endNodeByIndex = byIndex;
    }
    const node = this.endNodeByIndex[index];
    if (node === undefined) throw new RangeError(`title trie: no sequence #${index} (have ${this.sequenceCount})`);
    return node;
  }
}

function compareSequences(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function validateSource({ sequences, titles, eos }: TitleTrieSource): void {
  if (sequences.length !== titles.length) {
    throw new TitleTrieError(
      `title trie: got ${sequences.length} token sequences but ${titles.length} titles; expected one per title`,
    );
  }
  if (!Number.isInteger(eos) || eos < 0)
    throw new TitleTrieError(`title trie: EOS must be a non-negative integer id, got ${eos}`);
  for (let i = 0; i < sequences.length; i++) {
    const s = sequences[i]!;
    const name = `title ${JSON.stringify(titles[i])} (#${i})`;
    if (s.length === 0 || s[s.length - 1] !== eos) {
      throw new TitleTrieError(`title trie: the token sequence of ${name} does not end with EOS (${eos})`);
    }
    for (let j = 0; j < s.length; j++) {
      const t = s[j]!;
      if (!Number.isInteger(t) || t < 0 || t > 0x7fffffff) {
        throw new TitleTrieError(`title trie: ${name} has an invalid token id ${t} at position ${j}`);
      }
    }
  }
}

/** sha256 (hex) over EOS, every sequence (length-prefixed) and every title, in input order. */
export function titleTrieHash({ sequences, titles, eos }: TitleTrieSource): string {
  const hash = createHash("sha256");
  const word = Buffer.alloc(4);
  const putInt = (v: number): void => {
    word.writeInt32LE(v, 0);
    hash.update(word);
  };
  putInt(eos);
  putInt(sequences.length);
  for (const s of sequences) {
    const bytes = Buffer.alloc(4 * s.length);
    for (let i = 0; i < s.length; i++) bytes.writeInt32LE(s[i]!, 4 * i);
    putInt(s.length);
    hash.update(bytes);
  }
  for (const t of titles) {
    const bytes = Buffer.from(t, "utf8");
    putInt(bytes.length);
    hash.update(bytes);
  }
  return hash.digest("hex");
}
