/**
 * Which examples train, select and test a model. With a train split: train / valid / test as given.
 * Without one (the shared real data keeps only valid and test): train on valid minus its last 10%
 * by target timestamp, select on that 10%, test on test — the protocol in docs/data.md.
 */
import type { LoadedDataset } from "./dataset.js";
import type { Example } from "./types.js";

export interface ExperimentSplits {
  train: Example[];
  valid: Example[];
  test: Example[];
  /** Human-readable description of where each part came from. */
  protocol: string;
}

export function experimentSplits(ds: LoadedDataset, holdout = 0.1): ExperimentSplits {
  const { train, valid, test } = ds.splits;
  if (!test) throw new Error(`${ds.files.dir}: no test split (test/${ds.files.stem}.csv)`);
  if (train && valid) return { train, valid, test, protocol: "train / valid / test splits as given" };
  if (!valid) throw new Error(`${ds.files.dir}: needs a train or valid split to train on`);
  const source = train ?? valid;
  // Stable sort by target timestamp (rows are already chronological in the reference files).
  const ordered = source
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.timestamp ?? a.i) - (b.e.timestamp ?? b.i) || a.i - b.i)
    .map((x) => x.e);
  const cut = Math.floor(ordered.length * (1 - holdout));
  return {
    train: ordered.slice(0, cut),
    valid: ordered.slice(cut),
    test,
    protocol: `no train split: trained on ${train ? "train" : "valid"} minus its last ${Math.round(holdout * 100)}% by timestamp (held out for model selection), tested on test`,
  };
}
