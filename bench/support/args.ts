/** `--name value` options for the benchmarks (no framework: each bench reads a handful). */
export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

export function intOption(name: string, fallback: number): number {
  const v = Number(option(name, String(fallback)));
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${option(name, "")}`);
  return v;
}

export function listOption(name: string, fallback: string): string[] {
  return option(name, fallback)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Deterministic sample of `k` of `n` indices (mulberry32 + partial Fisher–Yates), sorted. */
export function sampleIndices(n: number, k: number, seed: number): number[] {
  let state = seed;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const idx = Array.from({ length: n }, (_, i) => i);
  const m = Math.min(k, n);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, m).sort((a, b) => a - b);
}
