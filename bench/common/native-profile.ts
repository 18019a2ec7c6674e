/**
 * Counts and times every call into the native addon, to split a step into time spent inside libtorch
 * and time spent in JS (wrappers, scopes, model code). It patches the shared op table in place, so it
 * is for profiling runs only: the two `performance.now()` calls per op add about 0.1 µs each.
 */
import { N } from "../../src/engine/native.js";

export interface OpStat {
  op: string;
  calls: number;
  ms: number;
}

const stats = new Map<string, OpStat>();
let installed = false;

export function installNativeProfiler(): void {
  if (installed) return;
  installed = true;
  for (const [op, fn] of Object.entries(N)) {
    if (typeof fn !== "function") continue;
    const stat: OpStat = { op, calls: 0, ms: 0 };
    stats.set(op, stat);
    N[op] = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return fn(...args);
      } finally {
        stat.ms += performance.now() - t0;
        stat.calls++;
      }
    };
  }
}

export function resetNativeProfile(): void {
  for (const s of stats.values()) {
    s.calls = 0;
    s.ms = 0;
  }
}

/** Ops with at least one call, most time first. */
export function nativeProfile(): OpStat[] {
  return [...stats.values()].filter((s) => s.calls > 0).sort((a, b) => b.ms - a.ms);
}
