/**
 * sgemm and dispatch overhead: our addon vs Python PyTorch over the same libtorch, per thread setting.
 *
 *   npm run build:ts && node dist/bench/engine/sgemm.js [--n 1024] [--reps 15]
 *
 * For each {intra-op/OMP threads, OpenBLAS threads} setting, one Node child and one Python child
 * (/usr/bin/python3, or $PYTHON) measure f32 matmul n×n×n on resident tensors (warm-up, then the
 * median of `reps` calls) and the per-op cost of adding two [8,256] tensors (ours: op + dispose, the
 * price of a tidy-managed op; PyTorch: the op, freed by refcount). Settings need separate processes
 * because OpenBLAS reads OPENBLAS_NUM_THREADS once, when it loads. Prints a table and a JSON line.
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";

interface Measurement {
  engine: string;
  version: string;
  intraOpThreads: number;
  /** From the median time. */
  gflops: number;
  /** From the fastest call: the least disturbed estimate on a busy machine. */
  bestGflops: number;
  dispatchUs: number;
}

interface Setting {
  omp: number;
  blas: number;
}

const SETTINGS: Setting[] = [
  { omp: 1, blas: 2 },
  { omp: 2, blas: 1 },
  { omp: 2, blas: 2 },
  { omp: 1, blas: 1 },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

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
  const { Generator, randn, engineInfo } = await import("../../src/engine/index.js");
  const g = new Generator(0);
  const a = randn([N, N], { generator: g });
  const b = randn([N, N], { generator: g });
  for (let i = 0; i < WARMUP; i++) a.matmul(b).dispose();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = process.hrtime.bigint();
    const c = a.matmul(b);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    c.dispose();
  }
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
    gflops: (2 * N ** 3) / median(times) / 1e9,
    bestGflops: (2 * N ** 3) / Math.min(...times) / 1e9,
    dispatchUs: median(perOp),
  };
}

function childEnv(s: Setting): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(s.omp),
    OPENBLAS_NUM_THREADS: String(s.blas),
  };
  delete env.LATENTR3_THREADS; // the engine would prefer it over OMP_NUM_THREADS
  return env;
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
  const header = [
    "OMP/intra-op",
    "OpenBLAS",
    "ours GFLOP/s med (best)",
    "PyTorch GFLOP/s med (best)",
    "ours/PT",
    "ours µs/op",
    "PyTorch µs/op",
    "ours/PT",
  ];
  console.log(header.join(" | "));
  console.log(header.map((h) => "-".repeat(h.length)).join(" | "));
  const gflops = (m: Measurement | null): string => (m ? `${fmt(m.gflops)} (${fmt(m.bestGflops)})` : "–");
  const results = [];
  for (const s of SETTINGS) {
    const ours = runOurs(s);
    const py = runPython(s);
    results.push({ ...s, ours, pytorch: py });
    const cells = [
      String(s.omp),
      String(s.blas),
      gflops(ours),
      gflops(py),
      fmt(py ? ours.gflops / py.gflops : undefined, 2),
      fmt(ours.dispatchUs, 2),
      fmt(py?.dispatchUs, 2),
      fmt(py ? ours.dispatchUs / py.dispatchUs : undefined, 2),
    ];
    console.log(cells.map((c, i) => c.padStart(header[i]!.length)).join(" | "));
  }
  const loadAfter = loadavg()[0]!;
  console.log(
    JSON.stringify({ bench: "engine/sgemm", n: N, reps: REPS, cpus: cpus().length, load, loadAfter, results }),
  );
}

await main();
