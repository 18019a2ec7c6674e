/** Facts about the machine a benchmark ran on, printed with every result so numbers are never context-free. */
import { availableParallelism, cpus, loadavg } from "node:os";

export interface MachineFacts {
  date: string;
  cpu: string;
  nproc: number;
  node: string;
  /** 1-minute load average when the benchmark started: other work on a shared VM skews everything. */
  load1: number;
  /** Set by some images (e.g. OPENBLAS_CORETYPE=Haswell pins OpenBLAS to its AVX2 kernels). */
  openblasCoretype: string | null;
}

export function machineFacts(): MachineFacts {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown",
    nproc: availableParallelism(),
    node: process.version,
    load1: Number(loadavg()[0]!.toFixed(2)),
    openblasCoretype: process.env.OPENBLAS_CORETYPE ?? null,
  };
}
