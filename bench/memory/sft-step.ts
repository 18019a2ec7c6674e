/**
 * GitHub issue 15: peak memory and step time of a training step of the `base` preset (d=512, 6 layers,
 * vocab compacted to --vocab 4000; batch 8 × 128 tokens, logits at every position, AdamW) with and
 * without gradient checkpointing, in fp32 and under bf16 autocast, side by side in one run. Each
 * variant runs in its own process (peak RSS is per process), in rotating order over --rounds rounds.
 *
 *   npm run build:ts && nice -n 10 node dist/bench/memory/sft-step.js [--preset base] [--rounds 2]
 *       [--steps 3] [--batch 8] [--seq 128] [--vocab 4000]
 */
import { join } from "node:path";
import { argNumber, argValue } from "../common/args.js";
import { repoRoot, runJson } from "../common/child.js";
import { machineFacts } from "../common/machine.js";
import { fmt, median } from "../common/stats.js";

const argv = process.argv.slice(2);
const rounds = argNumber(argv, "rounds", 2);
const passThrough = ["preset", "steps", "batch", "seq", "vocab"].flatMap((k) => {
  const v = argValue(argv, k);
  return v === undefined ? [] : [`--${k}`, v];
});
const variants = [
  { name: "fp32", args: ["--precision", "fp32"] },
  { name: "fp32 + checkpointing", args: ["--precision", "fp32", "--grad-checkpointing"] },
  { name: "bf16", args: ["--precision", "bf16"] },
  { name: "bf16 + checkpointing", args: ["--precision", "bf16", "--grad-checkpointing"] },
];
const worker = join(repoRoot(), "dist", "bench", "memory", "sft-step-worker.js");

const machine = machineFacts();
console.log(`machine: ${machine.cpu}, nproc ${machine.nproc}, load ${machine.load1}, node ${machine.node}`);
const results = new Map<string, { stepMs: number[]; peak: number[]; loss: number; params: number }>();
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length]!;
    const out = runJson(process.execPath, [worker, ...passThrough, ...v.args], process.env);
    const cell = results.get(v.name) ?? {
      stepMs: [],
      peak: [],
      loss: out.loss as number,
      params: out.params as number,
    };
    cell.stepMs.push(...(out.step_ms as number[]));
    cell.peak.push(out.step_peak_mib as number);
    results.set(v.name, cell);
    console.error(`round ${r + 1}: ${v.name} done`);
  }
}
const base = results.get("fp32")!;
console.log(
  `\nmodel: ${argValue(argv, "preset") ?? "base"} (${(base.params / 1e6).toFixed(1)}M parameters); load now ${machineFacts().load1}`,
);
console.log("| variant | step (median ms) | × fp32 time | step peak RSS (MiB, max) | × fp32 memory | first loss |");
console.log("|---|---|---|---|---|---|");
for (const v of variants) {
  const c = results.get(v.name)!;
  const ms = median(c.stepMs);
  const peak = Math.max(...c.peak);
  console.log(
    `| ${v.name} | ${fmt(ms, 0)} | ${fmt(ms / median(base.stepMs), 2)} | ${fmt(peak, 0)} | ${fmt(peak / Math.max(...base.peak), 2)} | ${c.loss.toFixed(4)} |`,
  );
}
