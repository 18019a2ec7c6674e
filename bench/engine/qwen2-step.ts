/**
 * GitHub issue 2: the cost of our binding. One forward + backward + AdamW step of a Qwen2-shaped model
 * (vocab 8000, d 256, 4 layers, 4 query / 2 KV heads, intermediate 1024, tied embeddings, batch 8 x
 * seq 128, LM cross-entropy) through our addon, next to the same step in Python PyTorch
 * (bench/python/engine_bench.py) on the same libtorch, under each thread setting. Target: ours/PyTorch
 * at most 1.10. Each (setting, side) runs in a fresh child process, sides alternating every round.
 *
 * Both sides run on the same glibc malloc thresholds (bench/common/malloc.ts); `--malloc tuned,system`
 * adds the A/B against glibc's defaults. Minor page faults per step and peak RSS are reported per side.
 *
 *   npm run build && node dist/bench/engine/qwen2-step.js [--rounds 3] [--steps 8] [--warmup 2]
 *       [--settings 1/2,2/1,2/2,1/1] [--malloc tuned,system] [--profile 3]
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { argNumber, argValue } from "../common/args.js";
import { PYTHON, repoRoot, runJson } from "../common/child.js";
import { SHAPE_KEYS, assertSameModel, compare, type Comparison, type PairedRuns } from "../common/compare.js";
import { machineFacts } from "../common/machine.js";
import { assertSameAllocator, mallocEnv, parseMallocModes, type MallocMode } from "../common/malloc.js";
import { fmt, median } from "../common/stats.js";
import { DEFAULT_SETTINGS, label, parseSettings, threadEnv, type ThreadSetting } from "../common/threads.js";

const argv = process.argv.slice(2);
const rounds = argNumber(argv, "rounds", 3);
const steps = argNumber(argv, "steps", 8);
const warmup = argNumber(argv, "warmup", 2);
const profileSteps = argNumber(argv, "profile", 3);
const settingsArg = argValue(argv, "settings");
const settings: ThreadSetting[] = settingsArg ? parseSettings(settingsArg) : DEFAULT_SETTINGS;
const mallocModes = parseMallocModes(argValue(argv, "malloc"));

type Run = Record<string, unknown>;
interface Cell {
  setting: ThreadSetting;
  malloc: MallocMode;
  step: PairedRuns;
  forward: PairedRuns;
  faults: PairedRuns;
  rssMb: PairedRuns;
  profile?: Run;
}
const cellLabel = (c: Cell) => `${label(c.setting)}${mallocModes.length > 1 ? `, malloc ${c.malloc}` : ""}`;
const stepArgs = ["--steps", String(steps), "--warmup", String(warmup)];
const ourWorker = join(repoRoot(), "dist", "bench", "engine", "qwen2-step-worker.js");
const pyScript = join(repoRoot(), "bench", "python", "engine_bench.py");

function runOurs(c: Cell, profile: boolean): Run {
  const extra = profile && profileSteps > 0 ? ["--profile", String(profileSteps)] : [];
  return runJson(process.execPath, [ourWorker, ...stepArgs, ...extra], mallocEnv(threadEnv(c.setting), c.malloc));
}
function runTorch(c: Cell): Run {
  return runJson(PYTHON, [pyScript, "--json", "--skip-sgemm", ...stepArgs], mallocEnv(threadEnv(c.setting), c.malloc));
}

const machine = machineFacts();
console.log(`machine: ${machine.cpu}, nproc ${machine.nproc}, load ${machine.load1}, node ${machine.node}`);
console.log(
  `OPENBLAS_CORETYPE=${machine.openblasCoretype ?? "(unset)"}; ${rounds} rounds x ${steps} steps (+${warmup} warm-up)`,
);

const empty = (): PairedRuns => ({ ours: [], torch: [] });
const cells: Cell[] = settings.flatMap((setting) =>
  mallocModes.map((malloc) => ({ setting, malloc, step: empty(), forward: empty(), faults: empty(), rssMb: empty() })),
);
for (let r = 0; r < rounds; r++) {
  cells.forEach((c, i) => {
    const last = r === rounds - 1;
    // Alternate who goes first, so neither side always gets the cooler (or hotter) half of a round.
    const oursFirst = (r + i) % 2 === 0;
    const o = oursFirst ? runOurs(c, last) : undefined;
    const p = runTorch(c);
    const ours = o ?? runOurs(c, last);
    const pyTrain = p.train as Run;
    assertSameModel(ours.model as Run, pyTrain.model as Run, [...SHAPE_KEYS, "batch", "seq"]);
    assertSameAllocator((ours.engine as Run).allocator, p.allocator, c.malloc);
    const [oursSteps, torchSteps] = [ours.step_ms as number[], (pyTrain.step_ms as { all: number[] }).all];
    c.step.ours.push(oursSteps);
    c.step.torch.push(torchSteps);
    c.forward.ours.push(ours.forward_ms as number[]);
    c.forward.torch.push((pyTrain.forward_ms as { all: number[] }).all);
    c.faults.ours.push(ours.step_faults as number[]);
    c.faults.torch.push(pyTrain.step_faults as number[]);
    c.rssMb.ours.push([ours.max_rss_mb as number]);
    c.rssMb.torch.push([pyTrain.max_rss_mb as number]);
    if (ours.profile) c.profile = ours.profile as Run;
    console.log(
      `round ${r + 1} ${cellLabel(c)}: median step ours ${fmt(median(oursSteps), 0)} ms, PyTorch ${fmt(median(torchSteps), 0)} ms; ` +
        `faults/step ${fmt(median(ours.step_faults as number[]), 0)} / ${fmt(median(pyTrain.step_faults as number[]), 0)}` +
        ` (initial losses ${fmt(ours.initial_loss as number, 3)} / ${fmt(pyTrain.initial_loss as number, 3)}; load ${fmt(loadavg()[0]!, 2)})`,
    );
  });
}

const results = cells.map((c) => ({
  cell: c,
  step: compare(c.step),
  forward: compare(c.forward),
  faults: compare(c.faults),
  rssMb: compare(c.rssMb),
}));
const row = (c: Comparison) =>
  `${fmt(c.ours.min, 0)} / ${fmt(c.ours.median, 0)} | ${fmt(c.torch.min, 0)} / ${fmt(c.torch.median, 0)} | ` +
  `${fmt(c.ratioMedian, 2)} | ${fmt(c.ratioMin, 2)} | ${fmt(c.ratioPaired, 2)}`;
console.log("\nfwd+bwd+AdamW step, ms (min / median over all timed steps of all rounds); ratio = ours / PyTorch");
console.log(
  "| threads | ours min / median | PyTorch min / median | ratio median | ratio min | ratio paired | minor faults/step ours / PyTorch | peak RSS MB ours / PyTorch |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${cellLabel(r.cell)} | ${row(r.step)} | ${fmt(r.faults.ours.median, 0)} / ${fmt(r.faults.torch.median, 0)} | ` +
      `${fmt(r.rssMb.ours.max, 0)} / ${fmt(r.rssMb.torch.max, 0)} |`,
  );
}
console.log("\nforward only (no grad), ms");
console.log("| threads | ours min / median | PyTorch min / median | ratio median | ratio min | ratio paired |");
console.log("|---|---|---|---|---|---|");
for (const r of results) console.log(`| ${cellLabel(r.cell)} | ${row(r.forward)} |`);
if (mallocModes.length > 1) {
  // The allocator A/B on each side: tuned median / system median, from the same interleaved rounds.
  console.log("\nallocator A/B: median step in mode tuned / in mode system (bench/common/malloc.ts)");
  for (const s of settings) {
    const [t, d] = (["tuned", "system"] as const).map((m) =>
      results.find((r) => r.cell.setting === s && r.cell.malloc === m)!,
    );
    if (!t || !d) continue;
    console.log(
      `| ${label(s)} | ours ${fmt(t.step.ours.median / d.step.ours.median, 2)} | PyTorch ${fmt(t.step.torch.median / d.step.torch.median, 2)} |`,
    );
  }
}
// Under load from other processes the two can disagree: the min shows the setting's speed when the
// cores are free, the median what a run actually got.
const best = results.reduce((a, b) => (b.step.ours.median < a.step.ours.median ? b : a));
const bestMin = results.reduce((a, b) => (b.step.ours.min < a.step.ours.min ? b : a));
console.log(`\nfastest cell for our step: by median ${cellLabel(best.cell)}, by min ${cellLabel(bestMin.cell)}`);

for (const { cell } of results) {
  const p = cell.profile;
  if (!p) continue;
  const ops = p.ops as { op: string; calls: number; ms: number }[];
  const stepMs = p.stepMs as number;
  const nativeMs = p.nativeMs as number;
  console.log(
    `\nprofile ${cellLabel(cell)} (${p.steps} steps): ${fmt(p.callsPerStep as number, 0)} native calls/step, ` +
      `step ${fmt(stepMs, 1)} ms, inside native ${fmt(nativeMs, 1)} ms, JS and event loop ${fmt(stepMs - nativeMs, 2)} ms ` +
      `(${fmt((100 * (stepMs - nativeMs)) / stepMs, 2)}%)`,
  );
  console.log(
    `  top: ${ops
      .slice(0, 8)
      .map((o) => `${o.op} ${fmt(o.ms, 1)} ms/${fmt(o.calls, 0)}`)
      .join(", ")}`,
  );
}

console.log(
  JSON.stringify({
    bench: "qwen2_step",
    machine,
    loadAfter: Number(loadavg()[0]!.toFixed(2)),
    rounds,
    steps,
    warmup,
    results: results.map((r) => ({
      omp: r.cell.setting.omp,
      blas: r.cell.setting.blas,
      malloc: r.cell.malloc,
      step: r.step,
      forward: r.forward,
      faultsPerStep: { ours: r.faults.ours, torch: r.faults.torch },
      peakRssMb: { ours: r.rssMb.ours.max, torch: r.rssMb.torch.max },
      profile: r.cell.profile && { ...r.cell.profile, ops: undefined },
    })),
    best: { median: best.cell.setting, min: bestMin.cell.setting },
  }),
);
