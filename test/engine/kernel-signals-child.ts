/**
 * Child process of kernel-signals.test.ts: `conv` runs Caser's convolutions (an L × d "image" read by
 * full-width horizontal filters and L × 1 vertical filters), `bf16-matmul` a two-layer bf16 MLP (the
 * CPU bf16 path, whose matmuls go to oneDNN), forward and backward, for a fixed number of steps. The
 * parent runs it under the V8 profiler, whose SIGPROF lands mid-kernel about once a millisecond.
 */
import { conv2d, manualSeed, randn, tidy, type Tensor } from "../../src/engine/index.js";

const kernel = process.argv[2];
const steps = Number(process.argv[3] ?? 200);
manualSeed(0);

function convStep(weights: Tensor[]): Tensor {
  const [batch, L, d] = [512, 5, 64];
  const image = randn([batch, 1, L, d]);
  const [vertical, ...horizontal] = weights.map((w) => conv2d(image, w));
  return [vertical!.square().mean(), ...horizontal.map((h) => h.relu().amax(2).mean())].reduce((a, b) => a.add(b));
}

function bf16MatmulStep([w1, w2]: Tensor[]): Tensor {
  const x = randn([512, 256]).to("bf16");
  return x.matmul(w1!).relu().matmul(w2!).to("f32").square().mean();
}

const [weights, step] =
  kernel === "conv"
    ? [[randn([4, 1, 5, 1]), ...Array.from({ length: 5 }, (_, h) => randn([16, 1, h + 1, 64]))], convStep]
    : kernel === "bf16-matmul"
      ? [[randn([256, 256]).to("bf16"), randn([256, 512]).to("bf16")], bf16MatmulStep]
      : (() => {
          throw new Error(`kernel-signals-child: unknown kernel ${kernel}; expected conv or bf16-matmul`);
        })();
for (const w of weights) w.setRequiresGrad();
for (let i = 0; i < steps; i++) tidy(() => step(weights).backward());
process.stdout.write(JSON.stringify({ kernel, steps }) + "\n");
