/**
 * Which examples train, select and test a model. With a train split: train / valid / test as given.
 * Without one (the shared real data keeps only valid and test): train on valid minus its last 10%
 * by target timestamp, select on that 10%, test on test — the protocol in docs/data.md — and, by
 * default, add the training rows rebuilt from the histories of every valid and test row
 * (rebuild-from-history.ts) whose target precedes the selection split's earliest target.
 */
import type { LoadedDataset } from "./dataset.js";
import { rebuildFromHistories, type RebuiltRows } from "./rebuild-from-history.js";
import type { Example } from "./types.js";

export interface ExperimentSplits {
  train: Example[];
  valid: Example[];
  test: Example[];
  /** Human-readable description of where each part came from. */
  protocol: string;
  /** The rows rebuilt from histories, when they are part of `train`. */
  rebuilt?: RebuiltRows;
  /** Set when `test` holds the selection rows (selectionAsTest): what a report names its split. */
  evaluated?: "selection";
}

export interface ProtocolOptions {
  /** Share of the training source held out (its latest rows by target time) for model selection. */
  holdout?: number;
  /** Add rows rebuilt from histories when there is no train split (default true). */
  trainFromHistory?: boolean;
}

/** Stable sort by target timestamp; rows without one keep their place relative to each other. */
function byTime(rows: readonly Example[]): Example[] {
  return rows
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.timestamp ?? a.i) - (b.e.timestamp ?? b.i) || a.i - b.i)
    .map((x) => x.e);
}

const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

export function experimentSplits(ds: LoadedDataset, options: ProtocolOptions = {}): ExperimentSplits {
  const holdout = options.holdout ?? 0.1;
  const { train, valid, test } = ds.splits;
  if (!test) throw new Error(`${ds.files.dir}: no test split (test/${ds.files.stem}.csv)`);
  if (!valid) throw new Error(`${ds.files.dir}: needs a valid split (valid/${ds.files.stem}.csv) to select models on`);
  if (train) return { train, valid, test, protocol: "train / valid / test splits as given" };
  // Rows are already chronological in the reference files; the sort only makes that sure.
  const ordered = byTime(valid);
  const cut = Math.floor(ordered.length * (1 - holdout));
  const head = ordered.slice(0, cut);
  const selection = ordered.slice(cut);
  const heldOut = `valid minus its last ${Math.round(holdout * 100)}% by timestamp (held out for model selection)`;
  if (options.trainFromHistory === false) {
    return {
      train: head,
      valid: selection,
      test,
      protocol: `no train split: trained on ${heldOut}, tested on test (rows rebuilt from histories not used)`,
    };
  }
  // Nothing from the selection or test period may become a training target.
  const times = [...selection, ...test].flatMap((e) => (e.timestamp !== undefined ? [e.timestamp] : []));
  const cutoff = times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : undefined;
  const rebuilt = rebuildFromHistories([valid, test], cutoff !== undefined ? { cutoff } : {});
  const when =
    cutoff !== undefined
      ? `targets before ${day(cutoff)}, the selection split's first target`
      : "targets inside each user's earliest valid/test history (no timestamps)";
  return {
    train: byTime([...rebuilt.rows, ...head]),
    valid: selection,
    test,
    protocol:
      `no train split: trained on ${rebuilt.rows.length} rows rebuilt from the histories of valid and test ` +
      `(${when}; --train-from-history, the default) + ${head.length} rows of ${heldOut}, tested on test`,
    rebuilt,
  };
}

/**
 * The splits with the selection rows in test's place, so that `eval --split selection` scores a
 * candidate recipe on the rows that choose it and a choice never reads test.
 */
export function selectionAsTest(splits: ExperimentSplits): ExperimentSplits {
  return {
    ...splits,
    test: splits.valid,
    evaluated: "selection",
    protocol: `${splits.protocol}; evaluated on the ${splits.valid.length} selection rows, not on test`,
  };
}
