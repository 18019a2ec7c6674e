/**
 * What the decoding benchmarks share: the CDs data (or the synthetic dataset when the shared data is
 * absent, said loudly), a vocabulary compacted to that data, and small statistics helpers.
 */
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDataSource, corpusTexts, type DataSource } from "../../src/data/data-source.js";
import { engineInfo } from "../../src/engine/index.js";
import { ModelTokenizer } from "../../src/llm/model-tokenizer.js";
import { Tokenizer } from "../../src/llm/tokenizer.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("package.json not found above the benchmark file");
    dir = up;
  }
  return dir;
}

/** `amazon-cds` under $LATENTR3_SHARED_DATA or `../shared/data` next to the repository, if present. */
export function cdsDataDir(): string | undefined {
  const shared = process.env.LATENTR3_SHARED_DATA ?? resolve(repoRoot(), "../shared/data");
  const dir = join(shared, "amazon-cds");
  return existsSync(dir) ? dir : undefined;
}

export interface BenchData {
  source: DataSource;
  tokenizer: ModelTokenizer;
  /** True for the real CDs data, false for the synthetic fallback. */
  real: boolean;
  loadMs: number;
}

/** The CDs data and a vocabulary compacted to it; the synthetic dataset (with a message) when CDs is absent. */
export async function loadBenchData(): Promise<BenchData> {
  const t0 = performance.now();
  const dir = cdsDataDir();
  if (!dir) {
    console.error(
      "bench: real data not found at ../shared/data/amazon-cds (set LATENTR3_SHARED_DATA to the folder holding it); " +
        "using the synthetic dataset instead: numbers are not the CDs numbers",
    );
  }
  const source = await loadDataSource(dir ? { data: dir } : {});
  const tokenizer = ModelTokenizer.compacted(await Tokenizer.qwenDefault(), corpusTexts(source, "reference"));
  return { source, tokenizer, real: dir !== undefined, loadMs: performance.now() - t0 };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function min(xs: readonly number[]): number {
  return xs.reduce((m, x) => Math.min(m, x), Infinity);
}

/** Thread settings and the 1-minute load average, printed with every result (other jobs share our 2 cores). */
export function environment(): Record<string, unknown> {
  const info = engineInfo();
  return {
    date: new Date().toISOString(),
    omp: info.ompThreads,
    openblas: info.blasThreads,
    intraOp: info.intraOpThreads,
    load1: Number(loadavg()[0]!.toFixed(2)),
  };
}
