/** `latentr3 info`: which libtorch, threads and device; with --smoke, one tiny training step end to end. */
import type { CommandSpec } from "./command.js";
import { boolean, configTable } from "../util/config-table.js";
import { adamW, crossEntropy, engineInfo, randint, tidy } from "../engine/index.js";
import { presetConfig } from "../llm/config.js";
import { Qwen2Model } from "../llm/qwen2.js";

const INFO_OPTIONS = configTable("info", {
  smoke: boolean("also run a forward+backward+AdamW step of a tiny Qwen2 model"),
});

export const infoCommand: CommandSpec = {
  path: ["info"],
  summary: "print the tensor engine's libtorch version, CUDA support, distributed backends and thread settings",
  options: [INFO_OPTIONS],
  examples: ["latentr3 info", "latentr3 info --smoke"],
  run(args) {
    const info = engineInfo();
    console.log(
      `libtorch ${info.version} (CUDA ${info.cuda ? `yes, ${info.cudaDevices} device(s)` : "no"}, fused attention ${info.fusedAttention ? "yes" : "no"})`,
    );
    console.log(
      `threads: intra-op ${info.intraOpThreads}, OMP_NUM_THREADS=${info.ompThreads}, OPENBLAS_NUM_THREADS=${info.blasThreads}`,
    );
    console.log(`distributed backends: ${info.distributedBackends.join(", ") || "none (addon built without c10d)"}`);
    if (!INFO_OPTIONS.from(args.values).smoke) return;
    const model = Qwen2Model.create(presetConfig("tiny", 512), { seed: 0 });
    const optimizer = adamW(model.parameters(), { lr: 1e-3 });
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const start = performance.now();
      losses.push(
        tidy(() => {
          const ids = randint(0, 512, [4, 32]);
          const logits = model.forward({ inputIds: ids }).logits!;
          const loss = crossEntropy(logits.narrow(1, 0, 31).reshape([-1, 512]), ids.narrow(1, 1, 31).reshape([-1]));
          loss.backward();
          return loss.item();
        }),
      );
      optimizer.step();
      optimizer.zeroGrad();
      console.log(
        `smoke step ${step + 1}: loss ${losses[step]!.toFixed(4)} (${(performance.now() - start).toFixed(0)} ms)`,
      );
    }
    model.dispose();
    if (!losses.every(Number.isFinite)) throw new Error("smoke test produced a non-finite loss");
    console.log("smoke test passed");
  },
};
