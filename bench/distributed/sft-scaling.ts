/**
 * GitHub issue 13: data-parallel SFT on one machine. The same global batches, trained by
 *   A. one process with 2 BLAS threads (the engine's default split on 2 cores: OMP 1 / BLAS 2), and
 *   B. two processes with 1 thread each (OMP 1 / BLAS 1), a Gloo data-parallel job over loopback,
 * side by side in rounds that alternate which goes first. Reports supervised tokens/s (the
 * trainer's tok/s) and all tokens processed per second, B / A, and B's step time by phase: compute,
 * waiting for the slower rank, the gradient all-reduce, and the optimizer update.
 *
 *   npm run build && nice -n 10 node dist/bench/distributed/sft-scaling.js [--presets tiny,small]
 *       [--rounds 3] [--batch 16] [--micro 8] [--steps 8] [--warmup 2]
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { launch } from "../../src/pipeline/launch.js";
import { argNumber, argValue } from "../common/args.js";
import { repoRoot, runJson } from "../common/child.js";
import { machineFacts } from "../common/machine.js";
import { fmt, median } from "../common/stats.js";
import { threadEnv } from "../common/threads.js";

const argv = process.argv.slice(2);
const presets = (argValue(argv, "presets") ?? "tiny,small").split(",");
const rounds = argNumber(argv, "rounds", 3);
const common = ["--batch", "--micro", "--steps", "--warmup"].flatMap((flag) => {
  const fallback = { "--batch": 16, "--micro": 8, "--steps": 8, "--warmup": 2 }[flag]!;
  return [flag, String(argNumber(argv, flag.slice(2), fallback))];
});
const worker = join(repoRoot(), "dist", "bench", "distributed", "sft-step-worker.js");
const port = argNumber(argv, "port", 29611);

interface Phase {
  compute: number;
  wait: number;
  allreduce: number;
  update: number;
  total: number;
}
interface WorkerResult {
  worldSize: number;
  parameters: number;
  supervisedTokens: number;
  processedTokens: number;
  steps: Phase[];
}

function single(preset: string): WorkerResult {
  return runJson(
    process.execPath,
    [worker, "--preset", preset, ...common],
    threadEnv({ omp: 1, blas: 2 }),
  ) as unknown as WorkerResult;
}

async function twoRanks(preset: string): Promise<WorkerResult> {
  let text = "";
  const stdout = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const env = threadEnv({ omp: 1, blas: 1 }) as Record<string, string>;
  const result = await launch({
    nprocPerNode: 2,
    masterPort: port,
    command: [process.execPath, worker, "--preset", preset, ...common],
    env,
    stdout,
  });
  if (result.exitCode !== 0) throw new Error(`2-rank run failed: ${result.failure?.message ?? result.exitCode}`);
  const line = text.split("\n").find((l) => l.startsWith("[rank 0] {"));
  if (!line) throw new Error(`rank 0 printed no JSON line:\n${text.slice(-2000)}`);
  return JSON.parse(line.slice("[rank 0] ".length)) as WorkerResult;
}

const facts = machineFacts();
console.log(
  `machine: ${facts.cpu}, nproc ${facts.nproc}, node ${facts.node}, load(1 min) at start ${facts.load1}, ${facts.date}`,
);
console.log(
  `global batch ${common.join(" ")}; A = 1 process, OMP 1 / BLAS 2; B = 2 processes (Gloo), OMP 1 / BLAS 1 each`,
);

for (const preset of presets) {
  const steps: Record<"A" | "B", Phase[]> = { A: [], B: [] };
  const tokens: Record<"A" | "B", { supervised: number; processed: number }> = {
    A: { supervised: 0, processed: 0 },
    B: { supervised: 0, processed: 0 },
  };
  let parameters = 0;
  for (let round = 0; round < rounds; round++) {
    const order: ("A" | "B")[] = round % 2 === 0 ? ["A", "B"] : ["B", "A"];
    const perStep: Record<string, number> = {};
    for (const side of order) {
      const r = side === "A" ? single(preset) : await twoRanks(preset);
      parameters = r.parameters;
      steps[side].push(...r.steps);
      tokens[side].supervised += r.supervisedTokens;
      tokens[side].processed += r.processedTokens;
      perStep[side] = median(r.steps.map((s) => s.total));
    }
    console.log(
      `  ${preset} round ${round + 1}: median step A ${fmt(perStep.A!, 0)} ms, B ${fmt(perStep.B!, 0)} ms (load ${loadavg()[0]!.toFixed(2)})`,
    );
  }
  const stepMs = (side: "A" | "B") => median(steps[side].map((s) => s.total));
  const perStepTokens = (side: "A" | "B", kind: "supervised" | "processed") => tokens[side][kind] / steps[side].length;
  const rate = (side: "A" | "B", kind: "supervised" | "processed") => (perStepTokens(side, kind) * 1000) / stepMs(side);
  const phase = (k: keyof Phase) => median(steps.B.map((s) => s[k]));
  console.log(`\n${preset} (${(parameters / 1e6).toFixed(2)} M parameters), ${steps.A.length} timed steps per side:`);
  console.log(`| | A: 1 process × 2 threads | B: 2 processes × 1 thread | B / A |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| median step (ms) | ${fmt(stepMs("A"), 0)} | ${fmt(stepMs("B"), 0)} | ${fmt(stepMs("B") / stepMs("A"), 2)} |`,
  );
  for (const kind of ["supervised", "processed"] as const) {
    console.log(
      `| ${kind} tokens/s | ${fmt(rate("A", kind), 0)} | ${fmt(rate("B", kind), 0)} | ${fmt(rate("B", kind) / rate("A", kind), 2)} |`,
    );
  }
  const total = phase("total");
  console.log(`B's step by phase (medians, ms; share of the median step):`);
  for (const k of ["compute", "wait", "allreduce", "update"] as const) {
    console.log(`  ${k.padEnd(9)} ${fmt(phase(k), 1).padStart(8)}  ${fmt((100 * phase(k)) / total, 1)}%`);
  }
  console.log(`  gradient bytes per all-reduce: ${((parameters * 4) / 2 ** 20).toFixed(1)} MiB (f32)`);
}
console.log(`load(1 min) at end ${loadavg()[0]!.toFixed(2)}`);
