/**
 * `latentr3 launch [--nproc N --nnodes M --node-rank R --master-addr HOST --master-port P] -- <command…>`:
 * this node's workers of a data-parallel job, each running `latentr3 <command…>` (src/pipeline/launch.ts).
 */
import { fileURLToPath } from "node:url";
import type { CommandSpec } from "./command.js";
import { launch, LAUNCH_CONFIG } from "../pipeline/launch.js";

const CLI_MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

export const launchCommand: CommandSpec = {
  path: ["launch"],
  summary: "run a latentr3 command data-parallel on N processes (one per GPU), like torchrun",
  description:
    "Starts --nproc workers of `latentr3 <command…>` with torchrun's variables (RANK, LOCAL_RANK, WORLD_SIZE,\n" +
    "MASTER_ADDR, MASTER_PORT); train and eval commands then split each batch (or the test users) across them,\n" +
    "over Gloo on CPU or NCCL on CUDA. Worker output is prefixed by rank; SIGINT/SIGTERM are forwarded; when a\n" +
    "worker fails, the others are stopped and the job exits non-zero with that worker's message.\n" +
    "On several nodes, run it on each with the same --nnodes/--master-addr/--master-port and its own --node-rank.\n" +
    "See docs/distributed.md.",
  options: [LAUNCH_CONFIG],
  positionals: [
    { name: "command", help: "the latentr3 command each worker runs, after --", required: true, variadic: true },
  ],
  examples: [
    "latentr3 launch --nproc 2 -- train sft --model runs/pretrain/model --out runs/bigrec",
    "latentr3 launch --nproc 4 -- eval --model runs/rl/model --out runs/rl/eval --device cuda",
    "latentr3 launch --nnodes 2 --node-rank 0 --nproc 8 --master-addr 10.0.0.1 -- train rl --model runs/latent-sft/model --out /shared/runs/rl",
  ],
  async run(args) {
    const config = LAUNCH_CONFIG.from(args.values);
    const words = args.positionals.command as string[];
    if (words[0] === "launch") throw new Error("the workers' command cannot be `launch` itself");
    const result = await launch({
      nprocPerNode: config.nproc,
      nnodes: config.nnodes,
      nodeRank: config.nodeRank,
      masterAddr: config.masterAddr,
      masterPort: config.masterPort,
      command: [process.execPath, CLI_MAIN, ...words],
    });
    if (result.failure) throw new Error(`the job failed: ${result.failure.message}`);
    if (result.interrupted) throw new Error(`the job was stopped by ${result.interrupted}`);
  },
};
