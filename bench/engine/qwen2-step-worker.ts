/**
 * Child process of qwen2-step.ts: times our fwd+bwd+AdamW step of the Qwen2 benchmark shape under
 * the thread variables it was started with and prints one JSON line. With `--profile K` it then runs
 * K more steps through the native-call profiler (calls per step, time inside native calls vs in JS).
 */
import { engineInfo } from "../../src/engine/index.js";
import { presetConfig } from "../../src/llm/config.js";
import { Qwen2Model } from "../../src/llm/qwen2.js";
import { argNumber } from "../common/args.js";
import { peakRssMb } from "../common/faults.js";
import { installNativeProfiler, nativeProfile, resetNativeProfile } from "../common/native-profile.js";
import { makeTrainStep, timeRuns } from "../common/qwen2-train.js";

const argv = process.argv.slice(2);
const vocab = argNumber(argv, "vocab", 8000);
const batch = argNumber(argv, "batch", 8);
const seq = argNumber(argv, "seq", 128);
const steps = argNumber(argv, "steps", 8);
const warmup = argNumber(argv, "warmup", 2);
const profileSteps = argNumber(argv, "profile", 0);

// The shape (= the `small` preset): d 256, 4 layers, 4 query / 2 KV heads, intermediate 1024, tied.
const config = presetConfig("small", vocab, { max_position_embeddings: 512 });
const model = Qwen2Model.create(config, { seed: 0 });
const train = makeTrainStep(model, batch, seq);
const losses: number[] = [];
const stepRuns = await timeRuns(() => losses.push(train.step()), warmup, steps);
const forwardRuns = await timeRuns(() => train.forward(), 1, Math.max(3, Math.floor(steps / 2)));

let profile: Record<string, unknown> | undefined;
if (profileSteps > 0) {
  installNativeProfiler();
  resetNativeProfile();
  const { ms } = await timeRuns(() => train.step(), 0, profileSteps);
  const ops = nativeProfile();
  const per = (x: number) => x / profileSteps;
  const nativeMs = ops.reduce((s, o) => s + o.ms, 0);
  profile = {
    steps: profileSteps,
    stepMs: per(ms.reduce((a, b) => a + b, 0)),
    nativeMs: per(nativeMs),
    callsPerStep: per(ops.reduce((s, o) => s + o.calls, 0)),
    ops: ops.map((o) => ({ op: o.op, calls: per(o.calls), ms: per(o.ms) })),
  };
}

console.log(
  JSON.stringify({
    bench: "qwen2_step_ts",
    engine: engineInfo(),
    model: { ...config, batch, seq, params: model.store.numParameters() },
    step_ms: stepRuns.ms,
    step_faults: stepRuns.faults,
    forward_ms: forwardRuns.ms,
    forward_faults: forwardRuns.faults,
    max_rss_mb: peakRssMb(),
    initial_loss: losses[0],
    last_loss: losses[losses.length - 1],
    profile,
  }),
);
train.dispose();
model.dispose();
