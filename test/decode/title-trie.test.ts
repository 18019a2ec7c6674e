import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { TitleTrie, TitleTrieError } from "../../src/decode/title-trie.js";
import {
  readTitleTrie,
  titleTrieCacheKey,
  titleTrieFromBinary,
  titleTrieToBinary,
  writeTitleTrie,
} from "../../src/decode/title-trie-file.js";
import { tempDir } from "../support/helpers.js";

// A hand-made catalogue. Token 1 plays `"`, 2 plays `"⏎`, 99 is EOS.
//   "Abbey Road"        → 1 10 11 2 99
//   "Abbey Road Live"   → 1 10 11 12 2 99
//   "Blue"              → 1 20 2 99
//   "Blue" (duplicate)  → 1 20 2 99     (second item with the same title)
//   "Abba"              → 1 10 13 2 99
const EOS = 99;
const titles = ["Abbey Road", "Abbey Road Live", "Blue", "Blue", "Abba"];
const sequences = [
  [1, 10, 11, 2, EOS],
  [1, 10, 11, 12, 2, EOS],
  [1, 20, 2, EOS],
  [1, 20, 2, EOS],
  [1, 10, 13, 2, EOS],
];

function build(): TitleTrie {
  return TitleTrie.build({ sequences, titles, eos: EOS });
}

test("allowed tokens at each node of a small catalogue", () => {
  const trie = build();
  const at = (tokens: number[]): number[] => Array.from(trie.allowedTokens(trie.walk(tokens)));
  assert.deepEqual(at([]), [1]);
  assert.deepEqual(at([1]), [10, 20]);
  assert.deepEqual(at([1, 10]), [11, 13]);
  assert.deepEqual(at([1, 10, 11]), [2, 12]);
  assert.deepEqual(at([1, 10, 11, 2]), [EOS]);
  assert.deepEqual(at([1, 10, 11, 2, EOS]), []);
  assert.deepEqual(at([1, 20, 2]), [EOS]);
  // Nodes per depth: root 1 | "1" 1 | "10" "20" 2 | "11" "13" "2" 3 | "2" "12" "2" EOS 4 | EOS "2" EOS 3 | EOS 1 → 15.
  assert.equal(trie.nodeCount, 15);
  assert.equal(trie.maxDepth, 6);
});

test("next follows edges and returns -1 off the catalogue", () => {
  const trie = build();
  const n1 = trie.next(trie.root, 1);
  assert.ok(n1 > 0);
  assert.equal(trie.depthOf(n1), 1);
  assert.equal(trie.next(n1, 10), trie.walk([1, 10]));
  assert.equal(trie.next(n1, 11), -1);
  assert.equal(trie.next(trie.root, EOS), -1);
  assert.equal(trie.walk([1, 10, 14, 2]), -1);
  assert.deepEqual(trie.pathTo(trie.walk([1, 10, 13, 2])), [1, 10, 13, 2]);
});

test("allowedTokens is a view reused across calls", () => {
  const trie = build();
  const node = trie.walk([1, 10]);
  const first = trie.allowedTokens(node);
  assert.equal(trie.allowedTokens(node), first);
  assert.equal(trie.childCount(node), 2);
});

test("complete nodes and titles, duplicate titles collapse onto one path", () => {
  const trie = build();
  assert.equal(trie.isComplete(trie.walk([1, 10, 11, 2])), false);
  const abbey = trie.walk([1, 10, 11, 2, EOS]);
  assert.equal(trie.isComplete(abbey), true);
  assert.deepEqual(trie.titlesAt(abbey), ["Abbey Road"]);
  const blue = trie.walk([1, 20, 2, EOS]);
  assert.deepEqual(trie.titlesAt(blue), ["Blue"]);
  assert.deepEqual(Array.from(trie.titleIndicesAt(blue)), [2, 3]);
  assert.deepEqual(trie.titlesAt(trie.walk([1, 20])), []);
  assert.equal(trie.endNodeOf(3), blue);
  assert.deepEqual(trie.sequenceOf(1), sequences[1]);
});

test("a strict prefix is rejected, naming both titles", () => {
  assert.throws(
    () =>
      TitleTrie.build({
        sequences: [
          [1, 5, EOS],
          [1, 5, EOS, 7, EOS],
        ],
        titles: ["Short", "Short Longer"],
        eos: EOS,
      }),
    (err: unknown) =>
      err instanceof TitleTrieError &&
      /"Short" \(#0\) is a strict prefix/.test(err.message) &&
      /"Short Longer" \(#1\)/.test(err.message),
  );
});

test("a sequence must end with EOS and carry EOS nowhere else", () => {
  assert.throws(
    () => TitleTrie.build({ sequences: [[1, 5]], titles: ["No End"], eos: EOS }),
    /title "No End" \(#0\) does not end with EOS \(99\)/,
  );
  assert.throws(
    () => TitleTrie.build({ sequences: [[]], titles: ["Empty"], eos: EOS }),
    /"Empty".*does not end with EOS/,
  );
  assert.throws(
    () => TitleTrie.build({ sequences: [[1, EOS, 5, EOS]], titles: ["Early"], eos: EOS }),
    /title "Early" \(#0\) contains EOS \(99\) before its end/,
  );
  assert.throws(
    () => TitleTrie.build({ sequences: [[1, EOS]], titles: [], eos: EOS }),
    /1 token sequences but 0 titles/,
  );
  assert.throws(
    () => TitleTrie.build({ sequences: [[1.5, EOS]], titles: ["X"], eos: EOS }),
    /invalid token id 1.5 at position 0/,
  );
  assert.throws(
    () => TitleTrie.build({ sequences: [[2 ** 31, EOS]], titles: ["X"], eos: EOS }),
    /invalid token id 2147483648 at position 0/,
  );
});

test("content hash depends on sequences and titles", () => {
  const a = build().contentHash;
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(build().contentHash, a);
  const otherTitle = TitleTrie.build({ sequences, titles: ["x", ...titles.slice(1)], eos: EOS }).contentHash;
  assert.notEqual(otherTitle, a);
  const otherTokens = TitleTrie.build({ sequences: [[1, 10, 11, 3, EOS], ...sequences.slice(1)], titles, eos: EOS });
  assert.notEqual(otherTokens.contentHash, a);
});

test("binary round-trip keeps structure, titles and hash", () => {
  const trie = build();
  const bytes = titleTrieToBinary(trie);
  const back = titleTrieFromBinary(bytes);
  assert.equal(back.contentHash, trie.contentHash);
  assert.equal(back.nodeCount, trie.nodeCount);
  assert.deepEqual(back.titles, trie.titles);
  for (let n = 0; n < trie.nodeCount; n++) {
    assert.deepEqual(Array.from(back.allowedTokens(n)), Array.from(trie.allowedTokens(n)));
    assert.deepEqual(back.titlesAt(n), trie.titlesAt(n));
  }
  // Non-ASCII titles and large token ids survive.
  const wide = TitleTrie.build({ sequences: [[151643, 7, 151645]], titles: ["Café — naïve <span>"], eos: 151645 });
  assert.deepEqual(titleTrieFromBinary(titleTrieToBinary(wide)).titles, ["Café — naïve <span>"]);
});

test("trie file: atomic write, read back, corrupt file named in the error", () => {
  const dir = tempDir("trie");
  const path = join(dir, "cache", "trie.bin");
  const trie = build();
  writeTitleTrie(path, trie);
  assert.deepEqual(readdirSync(join(dir, "cache")), ["trie.bin"]);
  assert.equal(readTitleTrie(path).contentHash, trie.contentHash);

  const bytes = readFileSync(path);
  bytes[bytes.length - 3] ^= 0x01; // flip a bit in the titles
  const corrupt = join(dir, "corrupt.bin");
  writeFileSync(corrupt, bytes);
  assert.throws(
    () => readTitleTrie(corrupt),
    (e: unknown) => e instanceof TitleTrieError && e.message.startsWith(corrupt),
  );

  const truncated = join(dir, "truncated.bin");
  writeFileSync(truncated, readFileSync(path).subarray(0, 70));
  assert.throws(() => readTitleTrie(truncated), /truncated or corrupt/);
  const notTrie = join(dir, "not.bin");
  writeFileSync(notTrie, "hello world, this is certainly not a trie file at all....");
  assert.throws(() => readTitleTrie(notTrie), /not a title trie file/);
});

test("cache key is stable and sensitive to tokenizer and titles", () => {
  const k = titleTrieCacheKey("qwen2.5:151645", titles);
  assert.equal(titleTrieCacheKey("qwen2.5:151645", [...titles]), k);
  assert.notEqual(titleTrieCacheKey("other", titles), k);
  assert.notEqual(titleTrieCacheKey("qwen2.5:151645", titles.slice(1)), k);
  // Concatenation cannot alias: ["ab","c"] vs ["a","bc"].
  assert.notEqual(titleTrieCacheKey("t", ["ab", "c"]), titleTrieCacheKey("t", ["a", "bc"]));
});
