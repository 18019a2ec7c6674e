/**
 * One worker of bench/distributed/sft-scaling.ts: SFT steps of a freshly created model over the
 * embedded synthetic data, timed by phase. Run alone (one process) or under the launcher (one rank
 * of a data-parallel job); every rank walks the same global batches and takes its strided share.
 *
 * Each step is the data-parallel trainer's step (src/train/supervised.ts) with the phases timed:
 *   compute   forward + backward of this rank's micro-batches
 *   wait      a barrier: time until the slowest rank has finished computing (load imbalance)
 *   allreduce the gradient all-reduce itself (dp.syncGradients)
 *   update    grad-norm clip + AdamW step + zero grad
 * A single process skips the barrier and the all-reduce (both are no-ops there).
 * Rank 0 prints one JSON line with every timed step.
 *
 *   node dist/bench/distributed/sft-step-worker.js --preset tiny --batch 16 --micro 8 --steps 8 --warmup 2
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { adamW, clipGradNorm, tidy, getNumThreads } from "../../src/engine/index.js";
import { corpusTexts, loadDataSource } from "../../src/data/data-source.js";
import { DataParallel } from "../../src/distributed/index.js";
import { Recommender } from "../../src/latent/recommender.js";
import { ModelTokenizer } from "../../src/llm/model-tokenizer.js";
import { Tokenizer } from "../../src/llm/tokenizer.js";
import { sftTask } from "../../src/train/sft.js";
import { argNumber, argValue } from "../common/args.js";

const argv = process.argv.slice(2);
const preset = argValue(argv, "preset") ?? "tiny";
const batchSize = argNumber(argv, "batch", 16);
const micro = argNumber(argv, "micro", 8);
const steps = argNumber(argv, "steps", 8);
const warmup = argNumber(argv, "warmup", 2);
const latents = argNumber(argv, "latent", 0);

const dp = DataParallel.fromEnv({ device: "cpu" });
const source = await loadDataSource();
const tokenizer = ModelTokenizer.compacted(await Tokenizer.qwenDefault(), corpusTexts(source, "reference"));
const rec = Recommender.create(preset, tokenizer, { numLatents: latents, phrase: source.phrase }, { seed: 0 });
rec.model.store.setTrainable("", true);
const task = sftTask(rec, source.splits.train, []);
const optimizer = adamW(task.trainable, { lr: 1e-4 });
const batches = task.batches(0, batchSize, 42);
const now = () => performance.now();

const timed: { compute: number; wait: number; allreduce: number; update: number; total: number }[] = [];
let supervisedTokens = 0;
let processedTokens = 0;
for (let step = 0; step < warmup + steps; step++) {
  const batch = batches[step % batches.length]!;
  const batchTokens = batch.reduce((n, e) => n + task.tokens(e), 0);
  const t0 = now();
  const share = dp.shard(batch);
  for (let i = 0; i < share.length; i += micro) {
    tidy(() =>
      task
        .lossSum(share.slice(i, i + micro))
        .div(batchTokens)
        .backward(),
    );
  }
  const t1 = now();
  dp.barrier();
  const t2 = now();
  dp.syncGradients(task.trainable);
  const t3 = now();
  clipGradNorm(task.trainable, 1);
  optimizer.step();
  optimizer.zeroGrad();
  const t4 = now();
  await yieldToEventLoop();
  if (step >= warmup) {
    timed.push({ compute: t1 - t0, wait: t2 - t1, allreduce: t3 - t2, update: t4 - t3, total: now() - t0 });
    supervisedTokens += batchTokens;
    processedTokens += batch.reduce((n, e) => n + e.prompt.length + e.target.length, 0);
  }
}

if (dp.isRankZero) {
  console.log(
    JSON.stringify({
      worldSize: dp.worldSize,
      preset,
      parameters: rec.model.store.numParameters(),
      batchSize,
      micro,
      intraOpThreads: getNumThreads(),
      blasThreads: process.env.OPENBLAS_NUM_THREADS,
      supervisedTokens,
      processedTokens,
      steps: timed,
    }),
  );
}
dp.close();
