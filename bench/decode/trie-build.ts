/**
 * How long the title trie takes to build, serialise and load for a CDs-sized catalogue:
 * 6000 synthetic titles of about 15 tokens (8–22, Qwen-sized token ids), with the shared prefixes
 * real titles have ("The …", "Greatest Hits …") so the trie is not a flat fan-out.
 *
 *   npm run build:ts && node dist/bench/decode/trie-build.js [titles] [repeats]
 */
import { TitleTrie } from "../../src/decode/title-trie.js";
import { titleTrieFromBinary, titleTrieToBinary } from "../../src/decode/title-trie-file.js";

const titleCount = Number(process.argv[2] ?? 6000);
const repeats = Number(process.argv[3] ?? 20);
const EOS = 151645;
const QUOTE = 1; // `"`
const QUOTE_NEWLINE = 698; // `"⏎`

// Deterministic pseudo-random numbers (mulberry32), so every run measures the same catalogue.
let state = 42;
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randomToken = (): number => 100 + Math.floor(random() * 150000);
// A few hundred common opening words give the upper levels of the trie realistic fan-out.
const openings = Array.from({ length: 300 }, randomToken);

const sequences: number[][] = [];
const titles: string[] = [];
const seen = new Set<string>();
while (sequences.length < titleCount) {
  const length = 8 + Math.floor(random() * 15);
  const body = [openings[Math.floor(random() ** 2 * openings.length)]!];
  while (body.length < length - 3) body.push(randomToken());
  const key = body.join(",");
  if (seen.has(key)) continue;
  seen.add(key);
  sequences.push([QUOTE, ...body, QUOTE_NEWLINE, EOS]);
  titles.push(`title ${sequences.length}`);
}
const tokens = sequences.reduce((n, s) => n + s.length, 0);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function time<T>(fn: () => T): [T, number[]] {
  let out = fn(); // warm-up (JIT)
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    out = fn();
    ms.push(performance.now() - t0);
  }
  return [out, ms];
}

const [trie, buildMs] = time(() => TitleTrie.build({ sequences, titles, eos: EOS }));
const [bytes, writeMs] = time(() => titleTrieToBinary(trie));
const [, loadMs] = time(() => titleTrieFromBinary(bytes));

// The hot path: one allowedTokens + one next per step, walking every title from the root.
const [, walkMs] = time(() => {
  let checksum = 0;
  for (const s of sequences) {
    let node = trie.root;
    for (const t of s) {
      checksum += trie.allowedTokens(node).length;
      node = trie.next(node, t);
    }
  }
  return checksum;
});

const f = (xs: number[]): string =>
  `median ${median(xs).toFixed(2)} ms (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;
console.log(
  `titles ${titleCount}, tokens ${tokens} (mean ${(tokens / titleCount).toFixed(1)}/title), nodes ${trie.nodeCount}, max depth ${trie.maxDepth}`,
);
console.log(`build         ${f(buildMs)}`);
console.log(`serialise     ${f(writeMs)}  → ${(bytes.length / 1024).toFixed(0)} KiB`);
console.log(`load (+check) ${f(loadMs)}`);
console.log(`walk all      ${f(walkMs)}  (${((median(walkMs) * 1e6) / tokens).toFixed(0)} ns per step)`);
