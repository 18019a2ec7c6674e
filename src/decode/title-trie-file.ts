/**
 * The title trie on disk, so a caller can skip tokenizing the catalogue again: a compact binary file
 * holding what the trie is built from (EOS, the token sequences, the titles) and its content hash.
 * Loading rebuilds the trie (milliseconds, see bench/decode/trie-build.ts) and checks the hash, so a
 * corrupted or stale file is an error rather than a silently wrong trie.
 *
 * Layout (little-endian):
 *   8 bytes   magic "LR3TRIE1"
 *   int32     EOS
 *   int32     sequence count S
 *   int32     token count T
 *   int32     titles byte length B
 *   32 bytes  sha256 content hash (`titleTrieHash`)
 *   int32[S]  sequence lengths
 *   int32[T]  tokens, sequences concatenated in input order
 *   B bytes   titles as a UTF-8 JSON array
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/atomic-file.js";
import { TitleTrie, TitleTrieError } from "./title-trie.js";

const MAGIC = "LR3TRIE1";
const HEADER_BYTES = 8 + 4 * 4 + 32;

/** Serialises a trie; the input sequences are recovered from the trie itself. */
export function titleTrieToBinary(trie: TitleTrie): Uint8Array {
  const sequences = Array.from({ length: trie.sequenceCount }, (_, i) => trie.sequenceOf(i));
  const tokenCount = sequences.reduce((n, s) => n + s.length, 0);
  const titles = Buffer.from(JSON.stringify(trie.titles), "utf8");
  const out = Buffer.alloc(HEADER_BYTES + 4 * (sequences.length + tokenCount) + titles.length);
  let at = out.write(MAGIC, 0, "latin1");
  for (const v of [trie.eos, sequences.length, tokenCount, titles.length]) at = out.writeInt32LE(v, at);
  at += Buffer.from(trie.contentHash, "hex").copy(out, at);
  for (const s of sequences) at = out.writeInt32LE(s.length, at);
  for (const s of sequences) for (const t of s) at = out.writeInt32LE(t, at);
  titles.copy(out, at);
  return out;
}

/** Parses `titleTrieToBinary` output; `source` names the file in error messages. */
export function titleTrieFromBinary(bytes: Uint8Array, source = "title trie file"): TitleTrie {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string): never => {
    throw new TitleTrieError(`${source}: ${what}; rebuild the trie from the catalogue`);
  };
  if (buf.length < HEADER_BYTES || buf.toString("latin1", 0, 8) !== MAGIC) {
    fail(`not a title trie file (expected it to start with "${MAGIC}")`);
  }
  const eos = buf.readInt32LE(8);
  const count = buf.readInt32LE(12);
  const tokenCount = buf.readInt32LE(16);
  const titleBytes = buf.readInt32LE(20);
  const storedHash = buf.toString("hex", 24, 56);
  const expected = HEADER_BYTES + 4 * (count + tokenCount) + titleBytes;
  if (count < 0 || tokenCount < 0 || titleBytes < 0 || buf.length !== expected) {
    fail(`truncated or corrupt (${buf.length} bytes, header says ${expected})`);
  }
  let at = HEADER_BYTES;
  const lengths = new Array<number>(count);
  for (let i = 0; i < count; i++, at += 4) lengths[i] = buf.readInt32LE(at);
  const sequences: number[][] = [];
  for (const length of lengths) {
    const s = new Array<number>(length);
    for (let j = 0; j < length; j++, at += 4) s[j] = buf.readInt32LE(at);
    sequences.push(s);
  }
  let titles: unknown;
  try {
    titles = JSON.parse(buf.toString("utf8", at, at + titleBytes));
  } catch {
    fail("its title list is not valid JSON");
  }
  if (!Array.isArray(titles) || !titles.every((t) => typeof t === "string"))
    fail("its title list is not an array of strings");
  let trie: TitleTrie;
  try {
    trie = TitleTrie.build({ sequences, titles: titles as string[], eos });
  } catch (err) {
    return fail(`corrupt (${(err as Error).message})`);
  }
  if (trie.contentHash !== storedHash) fail("content hash mismatch (the file is corrupt)");
  return trie;
}

export function writeTitleTrie(path: string, trie: TitleTrie): void {
  writeFileAtomic(path, titleTrieToBinary(trie));
}

export function readTitleTrie(path: string): TitleTrie {
  return titleTrieFromBinary(readFileSync(path), path);
}

/**
 * A cache key for a catalogue's trie under one tokenizer: sha256 over a tokenizer fingerprint
 * (e.g. the hash of its tokenizer.json plus the EOS id) and the titles in order. Known before
 * tokenizing, so a caller can look the file up first and tokenize only on a miss.
 */
export function titleTrieCacheKey(tokenizerFingerprint: string, titles: readonly string[]): string {
  const hash = createHash("sha256");
  hash.update(`tokenizer\0${tokenizerFingerprint}\0titles\0${titles.length}\0`);
  for (const t of titles) hash.update(`${Buffer.byteLength(t)}:${t}`);
  return hash.digest("hex");
}
