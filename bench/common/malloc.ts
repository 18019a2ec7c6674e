/**
 * The allocator A/B of the side-by-side benchmarks. Our addon raises glibc's mmap and trim thresholds
 * when it loads (native/src/allocator.cc) and the Python side applies the same thresholds
 * (bench/python/bench_common.py), so both sides run on the same allocator settings; with
 * `LATENTR3_MALLOC=system` both keep glibc's defaults. `--malloc tuned,system` runs every cell both ways.
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

interface AllocatorReport {
  tuned: boolean;
  mmapThreshold: number;
  trimThreshold: number;
}

/** Fails when the two sides ran on different allocator settings: their page faults would not compare. */
export function assertSameAllocator(ours: unknown, torch: unknown, mode: MallocMode): void {
  const [o, t] = [ours as AllocatorReport, torch as AllocatorReport];
  const same = o.tuned === t.tuned && o.mmapThreshold === t.mmapThreshold && o.trimThreshold === t.trimThreshold;
  const wanted = (mode === "tuned") === o.tuned;
  if (!same || !wanted) {
    throw new Error(
      `allocator settings differ (mode ${mode}): ours ${JSON.stringify(ours)}, PyTorch ${JSON.stringify(torch)}`,
    );
  }
}
