/** `latentr3 demo`: the whole pipeline on the embedded synthetic data (or --data / --model). */
import type { CommandSpec } from "./command.js";
import { dataSourceFrom, deviceFrom } from "./options.js";
import { DATA_SOURCE_CONFIG } from "../data/data-source.js";
import { DEVICE_CONFIG } from "../engine/index.js";
import { DISTRIBUTED_CONFIG, isRankZeroProcess } from "../distributed/index.js";
import { DEMO_CONFIG, demoFolderClaim, demoOptions, runDemo } from "../pipeline/demo.js";
import { runDemoSeeds } from "../pipeline/seeds.js";
import { RUN_CONFIG, checkRunFolder } from "../train/run-folder.js";

export const demoCommand: CommandSpec = {
  path: ["demo"],
  summary: "run the whole system: pretrain, BIGRec/latent SFT, LR-GRPO + ablations, evaluation, one report.html",
  description:
    "Default: the embedded synthetic dataset and a small model pretrained from scratch (about 15 minutes on 2 cores).\n" +
    "--data DIR runs it on a real D3/MiniOneRec dataset, --model DIR starts from real Qwen2/Qwen2.5 weights.\n" +
    "Stages live in sub-folders of --out; --resume skips finished stages and continues a killed one.",
  options: [DEMO_CONFIG, DATA_SOURCE_CONFIG, DEVICE_CONFIG, DISTRIBUTED_CONFIG, RUN_CONFIG],
  examples: [
    "latentr3 demo",
    "latentr3 demo --out runs/demo --resume",
    "latentr3 demo --data ../shared/data/amazon-cds --seeds 1,2,3 --out runs/cds-seeds",
    "latentr3 demo --data ../shared/data/amazon-cds --preset small --out runs/cds-demo",
    "latentr3 demo --model /models/Qwen2.5-1.5B-Instruct --data ../shared/data/amazon-cds --device cuda",
    "latentr3 launch --nproc 2 -- demo --quick --out runs/demo-2",
  ],
  async run(args) {
    const demo = DEMO_CONFIG.from(args.values);
    const run = RUN_CONFIG.from(args.values);
    const data = DATA_SOURCE_CONFIG.from(args.values).data;
    if (demo.seeds.length === 0 && (demo.sharePretraining || demo.ablations === "first-seed"))
      throw new Error(
        `demo: --share-pretraining and --ablations first-seed share work between seeds and need --seeds (e.g. --seeds 1,2,3)`,
      );
    if (demo.sharePretraining && demo.model)
      throw new Error(`demo: --share-pretraining has nothing to share with --model (no pretraining stage)`);
    checkRunFolder(demo.out, demoFolderClaim({ ...run, model: demo.model, data, seeds: demo.seeds.length > 0 }));
    const device = deviceFrom(args);
    const source = await dataSourceFrom(args);
    const options = demoOptions(demo, { source, device, ...DISTRIBUTED_CONFIG.from(args.values), ...run });
    if (demo.seeds.length > 0) {
      const { text } = await runDemoSeeds(options, demo.seeds.map(Number), {
        baseline: demo.baseline,
        ablationsFirstSeedOnly: demo.ablations === "first-seed",
        sharePretraining: demo.sharePretraining,
      });
      if (!isRankZeroProcess()) return;
      console.log(text);
      console.log(`per-seed reports: ${options.out}/seed-<s>/report.html; summary: ${options.out}/seeds.txt`);
      return;
    }
    const { report, summary } = await runDemo(options);
    if (!isRankZeroProcess()) return;
    const took = `${(summary.seconds / 60).toFixed(1)} min${summary.resumed ? " (resumed: finished stages skipped)" : ""}`;
    console.log(`demo finished in ${took}; report: ${report}`);
  },
};
