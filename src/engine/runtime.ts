/** Runtime facts and settings of the tensor engine: threads, libtorch build, CUDA. */
import { N, nativeInfo, startupThreadEnv } from "./native.js";
import { collectiveBackends, type CollectiveBackend } from "./collectives.js";
import { configTable, optional } from "../util/config-table.js";

/** The device option every computing command takes. */
export const DEVICE_CONFIG = configTable("device", {
  device: optional("string", "cpu, cuda or cuda:N (default: cuda when libtorch has a GPU, else cpu)"),
});

/**
 * OMP_NUM_THREADS and OPENBLAS_NUM_THREADS as the user set them (undefined when not set): the
 * engine fills in its own defaults when it loads, which a launcher must not take for the user's.
 */
export function userThreadEnv(): { OMP_NUM_THREADS?: string; OPENBLAS_NUM_THREADS?: string } {
  return { ...startupThreadEnv };
}

export function setNumThreads(n: number): void {
  N.set_num_threads(n);
}
export function getNumThreads(): number {
  return N.get_num_threads() as number;
}
/**
 * libtorch version, CUDA availability, whether the fused attention kernel is compiled in, and the
 * c10d backends (gloo, nccl) available for multi-process training.
 */
export function engineInfo(): typeof nativeInfo & {
  distributedBackends: CollectiveBackend[];
  blasThreads: string | undefined;
  ompThreads: string | undefined;
  intraOpThreads: number;
} {
  return {
    ...nativeInfo,
    distributedBackends: collectiveBackends(),
    blasThreads: process.env.OPENBLAS_NUM_THREADS,
    ompThreads: process.env.OMP_NUM_THREADS,
    intraOpThreads: getNumThreads(),
  };
}
/**
 * Gives every free block the caching CPU allocator holds back to the kernel (memory in use stays);
 * returns the bytes released — the CPU counterpart of `torch.cuda.empty_cache()`, for a long-lived
 * process moving to different work. The demo does not call it: between its stages it raised page
 * faults and did not lower peak RSS (bench/README.md, "Allocator").
 */
export function releaseCachedMemory(): number {
  return N.allocator_release() as number;
}

/** Bytes the caching CPU allocator holds in free blocks. */
export function cachedMemory(): number {
  return N.allocator_cached() as number;
}

export function cudaAvailable(): boolean {
  return nativeInfo.cuda;
}
/** Waits for queued GPU work (for timing); a no-op on CPU-only builds. */
export function synchronize(): void {
  N.synchronize();
}
/** What is wrong with a device name on this libtorch, or undefined when it can be used. */
export function deviceProblem(device: string): string | undefined {
  const m = /^(cpu|cuda)(?::(\d+))?$/.exec(device);
  if (!m || (m[1] === "cpu" && m[2] !== undefined)) return `unknown device "${device}" (expected cpu, cuda or cuda:N)`;
  if (m[1] === "cpu") return undefined;
  if (!nativeInfo.cuda)
    return `this libtorch ${nativeInfo.version} has no CUDA support (build against a CUDA PyTorch: see README, "Building against another libtorch")`;
  const index = Number(m[2] ?? 0);
  if (index >= nativeInfo.cudaDevices)
    return `${device} asked for, but libtorch sees ${nativeInfo.cudaDevices} CUDA device(s) (cuda:0 … cuda:${nativeInfo.cudaDevices - 1})`;
  return undefined;
}

/** The best device available: "cuda" when libtorch has a GPU, else "cpu". `LATENTR3_DEVICE` overrides. */
export function defaultDevice(): string {
  return process.env.LATENTR3_DEVICE ?? (nativeInfo.cuda ? "cuda" : "cpu");
}
