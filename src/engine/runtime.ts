/** Runtime facts and settings of the tensor engine: threads, libtorch build, CUDA. */
import { N, nativeInfo } from "./native.js";
import { collectiveBackends, type CollectiveBackend } from "./collectives.js";

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
export function cudaAvailable(): boolean {
  return nativeInfo.cuda;
}
/** Waits for queued GPU work (for timing); a no-op on CPU-only builds. */
export function synchronize(): void {
  N.synchronize();
}
/** The best device available: "cuda" when libtorch has a GPU, else "cpu". `LATENTR3_DEVICE` overrides. */
export function defaultDevice(): string {
  return process.env.LATENTR3_DEVICE ?? (nativeInfo.cuda ? "cuda" : "cpu");
}
