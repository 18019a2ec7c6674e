/**
 * Child process of memory.test.ts: trains a small MLP for 200 warm-up steps plus STEPS measured steps
 * (fwd + bwd + clip + AdamW, each step inside `tidy`, one event-loop turn per step) and prints one
 * JSON line with the RSS growth over the measured steps. `leak` keeps one activation per step alive.
 */
import { setImmediate as turn } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import {
  Generator,
  adamW,
  clipGradNorm,
  crossEntropy,
  linear,
  liveTensorCount,
  randint,
  randn,
  tidy,
  engineInfo,
  type Tensor,
} from "../../src/engine/index.js";

export const [IN, HIDDEN, CLASSES, BATCH] = [64, 512, 64, 128];
export const STEPS = 1000;
const WARMUP = 200;

/** A two-layer MLP classifier trained with AdamW; `onActivation` lets a test leak on purpose. */
export function mlp(onActivation: (h: Tensor) => void = () => undefined): { step: () => number; tensors: Tensor[] } {
  const g = new Generator(0);
  const param = (shape: number[], scale: number): Tensor =>
    tidy(() => randn(shape, { generator: g }).mul(scale).setRequiresGrad().keep());
  const params = [param([HIDDEN, IN], 0.1), param([HIDDEN], 0), param([CLASSES, HIDDEN], 0.05), param([CLASSES], 0)];
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  const x = randn([BATCH, IN], { generator: g }).keep();
  const y = randint(0, CLASSES, [BATCH], { generator: g }).keep();
  const opt = adamW(params, { lr: 1e-3, weightDecay: 0.01 });
  const step = (): number =>
    tidy(() => {
      opt.zeroGrad();
      const h = linear(x, w1, b1).silu();
      onActivation(h);
      const loss = crossEntropy(linear(h, w2, b2), y);
      loss.backward();
      clipGradNorm(params, 1);
      opt.step();
      return loss.item();
    });
  return { step, tensors: [...params, x, y] };
}

async function main(): Promise<void> {
  const leaked: Tensor[] = [];
  // detach() shares the activation's storage, so a leak keeps exactly one activation alive per step.
  const { step } = mlp(process.argv[2] === "leak" ? (h) => leaked.push(h.detach().keep()) : undefined);
  const firstLoss = step();
  for (let i = 1; i < WARMUP; i++) {
    step();
    await turn();
  }
  const live = liveTensorCount() - leaked.length;
  const rss = process.memoryUsage().rss;
  let lastLoss = NaN;
  for (let i = 0; i < STEPS; i++) {
    lastLoss = step();
    await turn();
  }
  const result = {
    rssGrowth: process.memoryUsage().rss - rss,
    liveBefore: live,
    liveAfter: liveTensorCount() - leaked.length,
    firstLoss,
    lastLoss,
    caching: engineInfo().allocator.caching,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

// Run only as a script, not when memory.test.ts imports mlp() from here.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
