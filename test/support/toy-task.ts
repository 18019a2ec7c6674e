/**
 * A toy supervised task for testing the training loop itself in milliseconds: linear regression
 * ŷ = w·x with squared error, one "token" per example. Validation sets are chosen per test to make
 * the validation loss improve, get worse, or stay constant.
 */
import { tensor, type Tensor } from "../../src/engine/index.js";
import { hashSeed, Rng } from "../../src/data/rng.js";
import { ParamStore, zerosInit } from "../../src/nn/index.js";
import type { SupervisedTask } from "../../src/train/supervised.js";

export interface Pair {
  x: number[];
  y: number;
}

export interface ToyTask extends SupervisedTask<Pair> {
  w: Tensor;
}

/** A fresh task (parameters at zero) over `train` and `valid`; a new one per simulated process. */
export function toyTask(train: readonly Pair[], valid: readonly Pair[]): ToyTask {
  const dim = train[0]!.x.length;
  const store = new ParamStore("cpu", "f32", 0);
  const w = store.create("w", [dim], zerosInit);
  return {
    label: "toy",
    store,
    w,
    trainable: [w],
    train,
    valid,
    // Shuffled each epoch, deterministic in (seed, epoch), like the real tasks.
    batches: (epoch, batchSize, seed) => {
      const order = new Rng(hashSeed(seed, "toy", epoch)).shuffle(train.map((_, i) => i));
      const out: Pair[][] = [];
      for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize).map((j) => train[j]!));
      return out;
    },
    tokens: () => 1,
    lossSum: (micro) => {
      const x = tensor(micro.map((p) => p.x));
      const y = tensor(micro.map((p) => p.y));
      return x.matmul(w).sub(y).square().sum();
    },
  };
}

/** n examples of y = slope·x on x = 1, 2, …, n (scaled down so Adam's steps are the scale that matters). */
export function line(n: number, slope: number): Pair[] {
  return Array.from({ length: n }, (_, i) => ({ x: [(i + 1) / n], y: (slope * (i + 1)) / n }));
}
