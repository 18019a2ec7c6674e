/**
 * Thread settings of a benchmark run. OPENBLAS_NUM_THREADS is read when the BLAS library loads and
 * our engine reads OMP_NUM_THREADS / LATENTR3_THREADS when the addon loads, so each setting runs in
 * its own child process, and PyTorch's child gets exactly the same variables.
 */

export interface ThreadSetting {
  /** OpenMP / ATen intra-op threads. */
  omp: number;
  /** OpenBLAS threads (Debian's libtorch does its matmuls in OpenBLAS). */
  blas: number;
}

/** The splits that matter on a 2-core machine; 1/2 is the engine's default. */
export const DEFAULT_SETTINGS: ThreadSetting[] = [
  { omp: 1, blas: 2 },
  { omp: 2, blas: 1 },
  { omp: 2, blas: 2 },
  { omp: 1, blas: 1 },
];

export function label(s: ThreadSetting): string {
  return `OMP ${s.omp} / BLAS ${s.blas}`;
}

/** Parses "1/2,2/1" (omp/blas pairs). */
export function parseSettings(text: string): ThreadSetting[] {
  return text.split(",").map((pair) => {
    const [omp, blas] = pair.split("/").map(Number);
    if (!Number.isInteger(omp) || !Number.isInteger(blas) || omp! < 1 || blas! < 1) {
      throw new Error(`bad thread setting "${pair}" (expected OMP/BLAS, e.g. 1/2)`);
    }
    return { omp: omp!, blas: blas! };
  });
}

/**
 * The child's environment: the caller's, with both thread variables set and LATENTR3_THREADS removed
 * (it would override OMP_NUM_THREADS on our side only and make the comparison unequal).
 */
export function threadEnv(s: ThreadSetting): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(s.omp),
    OPENBLAS_NUM_THREADS: String(s.blas),
  };
  delete env.LATENTR3_THREADS;
  return env;
}
