/**
 * Child process of conv-signals.test.ts: Caser's convolutions (an L × d "image" read by full-width
 * horizontal filters and L × 1 vertical filters), forward and backward, for a fixed number of steps.
 * The parent runs it under the V8 profiler, whose SIGPROF lands mid-kernel about once a millisecond.
 */
import { conv2d, manualSeed, randn, tidy } from "../../src/engine/index.js";

const steps = Number(process.argv[2] ?? 200);
const [batch, L, d] = [512, 5, 64];
manualSeed(0);
const weights = [randn([4, 1, L, 1]), ...Array.from({ length: L }, (_, h) => randn([16, 1, h + 1, d]))];
for (const w of weights) w.setRequiresGrad();
for (let step = 0; step < steps; step++) {
  tidy(() => {
    const image = randn([batch, 1, L, d]);
    const [vertical, ...horizontal] = weights.map((w) => conv2d(image, w));
    const loss = [vertical!.square().mean(), ...horizontal.map((h) => h.relu().amax(2).mean())].reduce((a, b) =>
      a.add(b),
    );
    loss.backward();
  });
}
process.stdout.write(JSON.stringify({ steps }) + "\n");
