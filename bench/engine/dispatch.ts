/**
 * Where a small op's time goes: per-op CPU time of a few calls that each add one piece of the path
 * (N-API call → tensor argument check → result handle → kernel → Tensor wrapper → tidy scope), next to
 * PyTorch's `torch.add` and `narrow` on [8, 256] (bench/python/dispatch.py). CPU time of this process
 * (`process.cpuUsage`, `time.process_time`) rather than wall time, so other jobs on a shared machine
 * move the figures less; OMP 1 / BLAS 1 on both sides. Each figure: median (min) of 7 rounds.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/engine/dispatch.js [--iters 20000] [--malloc tuned]
 */
import { setImmediate as turn } from "node:timers/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { argNumber, argValue } from "../common/args.js";
import { PYTHON, repoRoot, runJson } from "../common/child.js";
import { mallocEnv, parseMallocModes } from "../common/malloc.js";
import { fmt, median } from "../common/stats.js";
import { threadEnv } from "../common/threads.js";

const argv = process.argv.slice(2);
const iters = argNumber(argv, "iters", 20000);
const [malloc] = parseMallocModes(argValue(argv, "malloc"));
type Figures = Record<string, { median: number; min: number }>;

async function ours(): Promise<Figures> {
  const { N } = await import("../../src/engine/native.js");
  const { randn, tidy } = await import("../../src/engine/index.js");
  const x = randn([8, 256]);
  const y = randn([8, 256]);
  const [xh, yh] = [x.handle, y.handle];
  const out: Figures = {};
  const time = async (name: string, fn: () => void, per = 1) => {
    for (let i = 0; i < iters; i++) fn();
    await turn();
    const us: number[] = [];
    for (let r = 0; r < 7; r++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < iters; i++) fn();
      await turn(); // finalizers of the emptied handles run here, and are counted
      const c = process.cpuUsage(c0);
      us.push((c.user + c.system) / iters / per);
    }
    out[name] = { median: median(us), min: Math.min(...us) };
  };
  await time("N-API call, no arguments (is_grad_enabled)", () => N.is_grad_enabled!());
  await time("+ one tensor argument (is_disposed)", () => N.is_disposed!(xh));
  await time("+ new handle, no kernel (narrow + dispose)", () => N.dispose!(N.narrow!(xh, 0, 0, 4)));
  await time("+ kernel (add + dispose)", () => N.dispose!(N.add!(xh, yh)));
  await time("+ Tensor wrapper (x.add(y).dispose())", () => x.add(y).dispose());
  await time("+ tidy scope, 10 ops per scope", () => tidy(() => void [...Array(10)].map(() => x.add(y))), 10);
  return out;
}

if (argv.includes("--child")) {
  console.log(JSON.stringify(await ours()));
} else {
  const env = mallocEnv(threadEnv({ omp: 1, blas: 1 }), malloc);
  console.log(`malloc ${malloc}; load ${fmt(loadavg()[0]!, 2)}; CPU µs per op, median (min) of 7 rounds × ${iters}`);
  const self = join(repoRoot(), "dist", "bench", "engine", "dispatch.js");
  const o = runJson(process.execPath, [self, "--child", "--iters", String(iters), "--malloc", malloc], env) as Figures;
  const p = runJson(PYTHON, [join(repoRoot(), "bench", "python", "dispatch.py"), String(iters)], env) as Figures;
  const cell = (f: { median: number; min: number } | undefined) => (f ? `${fmt(f.median, 3)} (${fmt(f.min, 3)})` : "–");
  console.log("| ours | µs/op | PyTorch | µs/op |");
  console.log("|---|---|---|---|");
  const [on, pn] = [Object.keys(o), Object.keys(p)];
  for (let i = 0; i < Math.max(on.length, pn.length); i++) {
    console.log(`| ${on[i] ?? ""} | ${cell(o[on[i]!])} | ${pn[i] ?? ""} | ${cell(p[pn[i]!])} |`);
  }
  console.log(JSON.stringify({ bench: "dispatch", malloc, iters, load: loadavg()[0], ours: o, pytorch: p }));
}
