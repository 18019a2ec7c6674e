/**
 * The allocator A/B of the side-by-side benchmarks (`--malloc tuned,system`).
 * - tuned (the default): our addon's caching allocator keeps large tensor blocks mapped for reuse
 *   (native/src/allocator.cc); the Python side, which cannot use it, gets glibc's mmap and trim
 *   thresholds raised, which keeps its freed blocks in the heap instead (bench/python/bench_common.py).
 *   Both switch off glibc's fastbins. Neither side then pays a page fault per 4 KiB per step.
 * - system: `LATENTR3_MALLOC=system` on both sides: glibc's defaults, libtorch's own CPU allocator.
 */

export type MallocMode = "tuned" | "system";

export function parseMallocModes(text: string | undefined): MallocMode[] {
  const modes = (text ?? "tuned").split(",");
  for (const m of modes) {
    if (m !== "tuned" && m !== "system") throw new Error(`--malloc: "${m}" is not tuned or system`);
  }
  return modes as MallocMode[];
}

/** The child environment for a mode; glibc's own MALLOC_* variables are dropped so the mode decides. */
export function mallocEnv(env: NodeJS.ProcessEnv, mode: MallocMode): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.MALLOC_MMAP_THRESHOLD_;
  delete out.MALLOC_TRIM_THRESHOLD_;
  if (mode === "system") out.LATENTR3_MALLOC = "system";
  else delete out.LATENTR3_MALLOC;
  return out;
}

/** Fails unless both sides ran in the requested mode with the same fastbin setting. */
export function assertSameAllocator(ours: unknown, torch: unknown, mode: MallocMode): void {
  const o = ours as { caching: boolean; maxFast: number };
  const t = torch as { tuned: boolean; maxFast: number };
  const tuned = mode === "tuned";
  if (o.caching !== tuned || t.tuned !== tuned || o.maxFast !== t.maxFast) {
    throw new Error(
      `allocators not in mode ${mode} on both sides: ours ${JSON.stringify(ours)}, PyTorch ${JSON.stringify(torch)}`,
    );
  }
}
