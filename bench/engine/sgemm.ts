/**
 * sgemm and dispatch overhead: our addon vs Python PyTorch over the same libtorch, per thread setting.
 *
 *   npm run build:ts && node dist/bench/engine/sgemm.js [--n 1024] [--reps 15]
 *
 * For each {intra-op/OMP threads, OpenBLAS threads} setting, one Node child and one Python child
 * (/usr/bin/python3, or $PYTHON) measure f32 matmul n×n×n on resident tensors (warm-up, then the
 * median of `reps` calls) in two variants that both sides run alike:
 *   - alloc: every call returns a fresh output (ours: `a.mm(b)` then dispose; PyTorch:
 *     `torch.mm(a, b)`, freed by refcount);
 *   - out: every call writes into one preallocated output (ours: `a.mm(b, c)`; PyTorch:
 *     `torch.mm(a, b, out=c)`).
 * Minor page faults per call are reported for both. Dispatch is the per-op cost of adding two [8,256]
 * tensors (ours: op + dispose, the price of a tidy-managed op; PyTorch: the op, freed by refcount).
 * Both children run on the same glibc malloc settings (bench/common/malloc.ts). Settings need separate
 * processes because OpenBLAS reads OPENBLAS_NUM_THREADS once, when it loads. Prints a table and a JSON line.
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { argValue } from "../common/args.js";
import { assertSameAllocator, mallocEnv, parseMallocModes } from "../common/malloc.js";
import { parseSettings, threadEnv, type ThreadSetting } from "../common/threads.js";

interface Gemm {
  /** From the median time. */
  gflops: number;
  /** From the fastest call: the least disturbed estimate on a busy machine. */
  bestGflops: number;
  /** Median minor page faults per call. */
  faults: number;
}

interface Measurement {
  engine: string;
  version: string;
  intraOpThreads: number;
  allocator: unknown;
  alloc: Gemm;
  out: Gemm;
  dispatchUs: number;
}

type Setting = ThreadSetting;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SETTINGS: Setting[] = parseSettings(argValue(process.argv, "settings") ?? "1/2,2/1,2/2,1/1");
const [MALLOC] = parseMallocModes(argValue(process.argv, "malloc"));

const N = arg("n", 1024);
const WARMUP = arg("warmup", 3);
const REPS = arg("reps", 15);
const ROUNDS = arg("rounds", 7);
const ITERS = arg("iters", 5000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs inside a child whose thread variables are already set; imports the engine only here. */
async function measureOurs(): Promise<Measurement> {
  const { Generator, randn, zeros, engineInfo } = await import("../../src/engine/index.js");
  const g = new Generator(0);
  const a = randn([N, N], { generator: g });
  const b = randn([N, N], { generator: g });
  const c = zeros([N, N]);
  const gemm = (call: () => void): Gemm => {
    for (let i = 0; i < WARMUP; i++) call();
    const times: number[] = [];
    const faults: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const f0 = process.resourceUsage().minorPageFault;
      const t0 = process.hrtime.bigint();
      call();
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
      faults.push(process.resourceUsage().minorPageFault - f0);
    }
    const flop = 2 * N ** 3;
    return { gflops: flop / median(times) / 1e9, bestGflops: flop / Math.min(...times) / 1e9, faults: median(faults) };
  };
  const alloc = gemm(() => a.mm(b).dispose());
  const out = gemm(() => a.mm(b, c));
  const x = randn([8, 256], { generator: g });
  const y = randn([8, 256], { generator: g });
  for (let i = 0; i < ITERS; i++) x.add(y).dispose();
  const perOp: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERS; i++) x.add(y).dispose();
    perOp.push(Number(process.hrtime.bigint() - t0) / 1e3 / ITERS);
  }
  const info = engineInfo();
  return {
    engine: "latentr3",
    version: info.version,
    intraOpThreads: info.intraOpThreads,
    allocator: info.allocator,
    alloc,
    out,
    dispatchUs: median(perOp),
  };
}

function childEnv(s: Setting): NodeJS.ProcessEnv {
  return mallocEnv(threadEnv(s), MALLOC);
}

function lastJsonLine(out: string, what: string): Measurement {
  const line = out.trim().split("\n").pop();
  if (!line?.startsWith("{")) throw new Error(`${what} printed no result:\n${out}`);
  return JSON.parse(line) as Measurement;
}

function runOurs(s: Setting): Measurement {
  const self = fileURLToPath(import.meta.url);
  const args = [self, "--child", "--n", N, "--warmup", WARMUP, "--reps", REPS, "--rounds", ROUNDS, "--iters", ITERS];
  const run = spawnSync(process.execPath, args.map(String), { env: childEnv(s), encoding: "utf8" });
  if (run.status !== 0) throw new Error(`our benchmark child failed:\n${run.stderr}`);
  return lastJsonLine(run.stdout, "our benchmark child");
}

function runPython(s: Setting): Measurement | null {
  const python = process.env.PYTHON ?? "/usr/bin/python3";
  const script = fileURLToPath(new URL("../../../bench/python/sgemm.py", import.meta.url));
  const run = spawnSync(python, [script, N, WARMUP, REPS, ROUNDS, ITERS].map(String), {
    env: childEnv(s),
    encoding: "utf8",
  });
  if (run.status !== 0) {
    console.error(`PyTorch side skipped: ${python} ${script} failed: ${(run.stderr || String(run.error)).trim()}`);
    return null;
  }
  return lastJsonLine(run.stdout, "the PyTorch child");
}

function fmt(x: number | undefined, digits = 1): string {
  return x === undefined ? "–" : x.toFixed(digits);
}

async function main(): Promise<void> {
  if (process.argv.includes("--child")) {
    process.stdout.write(JSON.stringify(await measureOurs()) + "\n");
    return;
  }
  console.log(`sgemm f32 ${N}³ (median of ${REPS}) and add [8,256] dispatch (median of ${ROUNDS}×${ITERS})`);
  // Other processes on a 2-core machine change these numbers a lot; say how busy it was.
  const load = loadavg()[0]!;
  console.log(`${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, load average ${load.toFixed(2)}`);
  if (load > 0.5) console.log("warning: the machine is busy; the numbers below are depressed and noisy");
  console.log("");
  console.log(
    `malloc: ${MALLOC} on both sides (bench/common/malloc.ts); GFLOP/s median (best); faults = minor page faults per call`,
  );
  const header = [
    "OMP/BLAS",
    "alloc: ours",
    "PyTorch",
    "ours/PT",
    "faults ours/PT",
    "out=: ours",
    "PyTorch",
    "ours/PT",
    "faults ours/PT",
    "add µs/op ours",
    "PyTorch",
    "ours/PT",
  ];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  const gflops = (m: Gemm | undefined): string => (m ? `${fmt(m.gflops)} (${fmt(m.bestGflops)})` : "–");
  const ratio = (a: number, b: number | undefined) => fmt(b === undefined ? undefined : a / b, 2);
  const results = [];
  for (const [i, s] of SETTINGS.entries()) {
    // Alternate who goes first, so neither side always gets the quieter half.
    const early = i % 2 === 0 ? runOurs(s) : undefined;
    const py = runPython(s);
    const ours = early ?? runOurs(s);
    if (py) assertSameAllocator(ours.allocator, py.allocator, MALLOC);
    results.push({ ...s, ours, pytorch: py });
    const cells = [
      `${s.omp}/${s.blas}`,
      gflops(ours.alloc),
      gflops(py?.alloc),
      ratio(py?.alloc.gflops ?? NaN, ours.alloc.gflops),
      `${fmt(ours.alloc.faults, 0)} / ${fmt(py?.alloc.faults, 0)}`,
      gflops(ours.out),
      gflops(py?.out),
      ratio(py?.out.gflops ?? NaN, ours.out.gflops),
      `${fmt(ours.out.faults, 0)} / ${fmt(py?.out.faults, 0)}`,
      fmt(ours.dispatchUs, 2),
      fmt(py?.dispatchUs, 2),
      ratio(ours.dispatchUs, py?.dispatchUs),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
  console.log("ours/PT of GFLOP/s columns is our time / PyTorch's time (PyTorch GFLOP/s / ours): < 1 = we are faster");
  const loadAfter = loadavg()[0]!;
  console.log(
    JSON.stringify({
      bench: "engine/sgemm",
      n: N,
      reps: REPS,
      malloc: MALLOC,
      cpus: cpus().length,
      load,
      loadAfter,
      results,
    }),
  );
}

await main();
