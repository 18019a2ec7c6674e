/**
 * Child process of sft-step.ts: one variant (precision × gradient checkpointing) of a supervised
 * training step of a preset model, timed, with the process's peak resident memory (VmHWM) over the
 * steps minus the resident memory before the first one: the step's working set (activations,
 * gradients, optimizer moments, allocator slack). Prints one JSON line.
 */
import { readFileSync } from "node:fs";
import { autocast, engineInfo } from "../../src/engine/index.js";
import { presetConfig } from "../../src/llm/config.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { argFlag, argNumber, argValue } from "../common/args.js";
import { makeTrainStep, timeRuns } from "../common/qwen2-train.js";

const argv = process.argv.slice(2);
const preset = argValue(argv, "preset") ?? "base";
const vocab = argNumber(argv, "vocab", 4000);
const batch = argNumber(argv, "batch", 8);
const seq = argNumber(argv, "seq", 128);
const steps = argNumber(argv, "steps", 3);
const precision = argValue(argv, "precision") ?? "fp32";
const checkpointing = argFlag(argv, "grad-checkpointing");

/** Resident set now and its high-water mark, in MiB (Linux /proc). */
function memory(): { rss: number; hwm: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)![1]) / 1024;
  return { rss: kib("VmRSS"), hwm: kib("VmHWM") };
}

const config = presetConfig(preset, vocab);
const model = Qwen2Model.create(config, { seed: 0 });
model.gradientCheckpointing = checkpointing;
const train = makeTrainStep(model, batch, seq);
const before = memory();
const run = () => (precision === "bf16" ? autocast("cpu", "bf16", () => train.step()) : train.step());
const losses: number[] = [];
const stepMs = await timeRuns(() => losses.push(run()), 1, steps);
const after = memory();
train.dispose();
console.log(
  JSON.stringify({
    bench: "sft_step_memory",
    engine: engineInfo(),
    preset,
    params: model.store.numParameters(),
    batch,
    seq,
    precision,
    checkpointing,
    step_ms: stepMs,
    loss: losses[0],
    rss_before_mib: before.rss,
    peak_mib: after.hwm,
    step_peak_mib: after.hwm - before.rss,
  }),
);
model.dispose();
