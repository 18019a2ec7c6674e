/**
 * The training step both TypeScript benchmarks time, written to do exactly the work of
 * bench/python/bench_common.py `make_train_step`: a fixed random batch, forward with logits at every
 * position, mean next-token cross-entropy over logits[:, :-1] vs ids[:, 1:], backward, AdamW
 * (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01), gradients set to none, loss read back.
 */
import {
  Generator,
  adamW,
  crossEntropy,
  noGrad,
  randint,
  tidy,
  type Optimizer,
  type Tensor,
} from "../../src/engine/index.js";
import type { Qwen2Model } from "../../src/llm/qwen2.js";
import { minorFaults } from "./faults.js";

export interface TrainStep {
  /** One optimisation step; returns the loss. */
  step(): number;
  /** Forward only, no autograd (what engine_bench.py times as "forward only"). */
  forward(): void;
  readonly ids: Tensor;
  readonly optimizer: Optimizer;
  dispose(): void;
}

export function makeTrainStep(model: Qwen2Model, batch: number, seq: number, seed = 1): TrainStep {
  const vocab = model.config.vocab_size;
  const ids = randint(0, vocab, [batch, seq], { generator: new Generator(seed) }).keep();
  const optimizer = adamW(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
  const step = (): number =>
    tidy(() => {
      optimizer.zeroGrad();
      const logits = model.forward({ inputIds: ids, logits: "all" }).logits!;
      const loss = crossEntropy(
        logits.narrow(1, 0, seq - 1).reshape([-1, vocab]),
        ids.narrow(1, 1, seq - 1).reshape([-1]),
      );
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  const forward = (): void => tidy(() => noGrad(() => void model.forward({ inputIds: ids, logits: "all" })));
  return { step, forward, ids, optimizer, dispose: () => ids.dispose() };
}

/** Times of the timed runs (ms) and the minor page faults each of them took. */
export interface Timed {
  ms: number[];
  faults: number[];
}

/**
 * Runs `fn` `warmup` times untimed, then `repeats` times timed. Each run includes a turn of the event
 * loop (`setImmediate`), as a real training loop must take one so Node can finalize native handles; it
 * is counted, not hidden.
 */
export async function timeRuns(fn: () => unknown, warmup: number, repeats: number): Promise<Timed> {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  for (let i = 0; i < warmup; i++) {
    fn();
    await turn();
  }
  const out: Timed = { ms: [], faults: [] };
  for (let i = 0; i < repeats; i++) {
    const f0 = minorFaults();
    const t0 = performance.now();
    fn();
    await turn();
    out.ms.push(performance.now() - t0);
    out.faults.push(minorFaults() - f0);
  }
  return out;
}
