/**
 * Loads the libtorch addon once and declares its raw interface. Everything above this file uses
 * the typed `Tensor` façade instead; this module is the only place that knows op names as strings.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";

/** Opaque native tensor handle (a type-tagged N-API External). */
export type Handle = { readonly __brand: "TensorHandle" };
export type GeneratorHandle = { readonly __brand: "GeneratorHandle" };
export type OptimizerHandle = { readonly __brand: "OptimizerHandle" };

export interface NativeInfo {
  version: string;
  major: number;
  minor: number;
  cuda: boolean;
  cudaDevices: number;
  fusedAttention: boolean;
  cxx11Abi: number;
  /**
   * Tensor storage of 128 KiB and more goes through the addon's caching allocator
   * (native/src/allocator.cc): freed blocks stay mapped for the next request they fit, so a
   * training step reuses the previous step's memory instead of faulting in fresh pages. The addon also
   * switches off glibc's fastbins (`maxFast` 0). `LATENTR3_MALLOC=system` leaves both to libtorch and
   * glibc; `reason` then says so.
   */
  allocator: { caching: boolean; minCached: number; maxFast: number; reason: string };
}

/** The addon's functions; argument order mirrors `native/src/*.cc`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeFn = (...args: any[]) => any;
export interface NativeModule extends Record<string, NativeFn | NativeInfo> {
  info: NativeInfo;
}

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "native", "binding.gyp"))) return dir;
    dir = resolve(dir, "..");
  }
  throw new Error(
    "latentr3: cannot locate the package root (native/binding.gyp) from " + fileURLToPath(import.meta.url),
  );
}

/**
 * Thread defaults measured on our 2-core machines (bench/engine): ATen's intra-op pool at 1 thread
 * and OpenBLAS at 2 threads; OpenMP 2 + BLAS 2 oversubscribe and run about 1.6x slower.
 * OPENBLAS_NUM_THREADS is read when the BLAS library loads, so it must be set before the addon is.
 */
function applyThreadDefaults(): void {
  process.env.OPENBLAS_NUM_THREADS ??= "2";
  process.env.OMP_NUM_THREADS ??= "1";
}

function load(): NativeModule {
  applyThreadDefaults();
  const root = findRepoRoot();
  const path = join(root, "native", "build", "Release", "latentr3_native.node");
  if (!existsSync(path)) {
    throw new Error(
      `latentr3: the native addon is not built (${path} is missing). Run \`npm run build:native\` ` +
        "(needs libtorch: apt-get install libtorch-dev, a Python torch, or LIBTORCH=/path/to/libtorch).",
    );
  }
  const require = createRequire(import.meta.url);
  const mod = require(path) as NativeModule;
  const threads = Number(process.env.LATENTR3_THREADS ?? process.env.OMP_NUM_THREADS ?? "1");
  if (Number.isInteger(threads) && threads > 0) (mod.set_num_threads as NativeFn)(threads);
  return mod;
}

/** The thread variables as this process was started with, before the defaults above filled them in. */
export const startupThreadEnv = Object.freeze({
  OMP_NUM_THREADS: process.env.OMP_NUM_THREADS,
  OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS,
});

const mod = load();

/** Calls a native op by name. */
export const N = mod as unknown as Record<string, NativeFn>;
export const nativeInfo: NativeInfo = mod.info;
