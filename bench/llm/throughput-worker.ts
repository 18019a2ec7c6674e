/**
 * Child process of throughput.ts: for one model config (a JSON file the parent wrote, which PyTorch's
 * side reads too), times training steps and KV-cached beam decoding through our engine and prints one
 * JSON line.
 */
import { readFileSync } from "node:fs";
import { engineInfo } from "../../src/engine/index.js";
import { validateConfig } from "../../src/llm/config.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { argNumber, argValue } from "../common/args.js";
import { peakRssMb } from "../common/faults.js";
import { makeTrainStep, timeRuns } from "../common/qwen2-train.js";
import { makeBeamDecode, type DecodeRun } from "./beam-decode.js";

const argv = process.argv.slice(2);
const configPath = argValue(argv, "config");
if (!configPath) throw new Error("throughput-worker: --config CONFIG.json is required");
const batch = argNumber(argv, "batch", 8);
const seq = argNumber(argv, "seq", 128);
const trainSteps = argNumber(argv, "train-steps", 5);
const warmup = argNumber(argv, "warmup", 1);
const beams = argNumber(argv, "beams", 8);
const prompt = argNumber(argv, "prompt", 128);
const newTokens = argNumber(argv, "new-tokens", 32);
const decodeRepeats = argNumber(argv, "decode-repeats", 3);

const config = validateConfig(JSON.parse(readFileSync(configPath, "utf8")), configPath);
const model = Qwen2Model.create(config, { seed: 0 });

const train = makeTrainStep(model, batch, seq);
const losses: number[] = [];
const trainRuns = await timeRuns(() => losses.push(train.step()), warmup, trainSteps);
train.dispose();

const decode = makeBeamDecode(model, beams, prompt, newTokens);
decode.run(); // warm-up, as the Python side does
const runs: DecodeRun[] = [];
for (let i = 0; i < decodeRepeats; i++) {
  runs.push(decode.run());
  await new Promise<void>((resolve) => setImmediate(resolve));
}
decode.dispose();

console.log(
  JSON.stringify({
    bench: "llm_ts",
    engine: engineInfo(),
    model: { ...config, params: model.store.numParameters() },
    training: { batch, seq, step_ms: trainRuns.ms, step_faults: trainRuns.faults, initial_loss: losses[0] },
    max_rss_mb: peakRssMb(),
    decoding: {
      beams,
      prompt,
      new_tokens: newTokens,
      prefill_ms: runs.map((r) => r.prefillMs),
      run_step_total_ms: runs.map((r) => r.stepMs.reduce((a, b) => a + b, 0)),
    },
  }),
);
model.dispose();
