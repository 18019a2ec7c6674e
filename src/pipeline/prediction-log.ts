/**
 * The decoded rankings of an evaluation, kept on disk as they are made, so a killed evaluation
 * resumes where it stopped (`--resume`) instead of decoding every test user again: thousands of
 * users with beam search are minutes on our tiny models and hours on a 1.5B one. While decoding,
 * each rank appends every finished batch to its own `predictions.partial-<rank>.jsonl`; at the end
 * rank 0 writes them all, in test order, to `predictions.jsonl` (kept: what each user was
 * recommended) and the partial files go. Which weights decoded them is the evaluation's business
 * (stages.ts records a fingerprint in config.json); here every line is checked against the test
 * split, so predictions of other data are never mixed in.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { join } from "node:path";
import type { Example } from "../data/types.js";
import { writeFileAtomic } from "../util/atomic-file.js";

export const PREDICTIONS_JSONL = "predictions.jsonl";
/** The per-rank files of an unfinished evaluation, as a run-folder artifact pattern. */
export const PARTIAL_PREDICTIONS = "predictions.partial-*";

const PARTIAL_FILE = /^predictions\.partial-\d+\.jsonl$/;

/** One test user's line: the row in the evaluated test list, who it is, and the ranked titles. */
interface PredictionLine {
  row: number;
  user: string;
  target: number;
  titles: readonly string[];
}

function line(test: readonly Example[], row: number, titles: readonly string[]): string {
  const e = test[row]!;
  return JSON.stringify({ row, user: e.userId, target: e.target.id, titles } satisfies PredictionLine) + "\n";
}

function partialFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => PARTIAL_FILE.test(name)) : [];
}

/**
 * The rankings an interrupted evaluation left in `dir`, by row of `test`. A line cut off by the kill
 * (no newline yet) is ignored; any other line must parse and name the same user and target as the
 * test split's row, else the data changed since and the evaluation has to start over.
 */
export function readPartialPredictions(dir: string, test: readonly Example[]): Map<number, string[]> {
  const done = new Map<number, string[]>();
  for (const name of partialFiles(dir)) {
    const path = join(dir, name);
    const lines = readFileSync(path, "utf8").split("\n");
    lines.pop(); // after the last newline: empty, or a line cut off by a kill
    lines.forEach((text, i) => {
      const where = `${path} line ${i + 1}`;
      let p: Partial<PredictionLine>;
      try {
        p = JSON.parse(text) as Partial<PredictionLine>;
      } catch (err) {
        throw new Error(`${where}: not JSON (${(err as Error).message}); start over with --overwrite`);
      }
      const row = p.row;
      if (typeof row !== "number" || !Number.isInteger(row) || row < 0 || row >= test.length) {
        throw new Error(
          `${where}: "row" is ${JSON.stringify(row)}, expected an integer in [0, ${test.length}) (the evaluated test users); start over with --overwrite`,
        );
      }
      const e = test[row]!;
      if (p.user !== e.userId || p.target !== e.target.id) {
        throw new Error(
          `${where}: row ${row} is user ${JSON.stringify(p.user)} with target ${JSON.stringify(p.target)}, but the test split's row ${row} is user ${JSON.stringify(e.userId)} with target ${e.target.id}: the data changed since; start over with --overwrite`,
        );
      }
      if (!Array.isArray(p.titles) || !p.titles.every((t) => typeof t === "string")) {
        throw new Error(`${where}: "titles" must be a list of strings; start over with --overwrite`);
      }
      done.set(row, p.titles);
    });
  }
  return done;
}

/** Appends finished batches to one rank's partial file. */
export class PartialPredictionWriter {
  private readonly path: string;

  constructor(
    dir: string,
    rank: number,
    private readonly test: readonly Example[],
  ) {
    this.path = join(dir, `predictions.partial-${rank}.jsonl`);
    // A kill mid-append leaves a line without its newline: cut it, or the next batch would extend it.
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, "utf8");
      if (!text.endsWith("\n")) truncateSync(this.path, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
    }
  }

  append(rows: readonly number[], titles: readonly (readonly string[])[]): void {
    appendFileSync(this.path, rows.map((row, k) => line(this.test, row, titles[k]!)).join(""));
  }
}

/** Writes every user's ranking to predictions.jsonl (atomically) and removes the partial files. */
export function writePredictions(dir: string, test: readonly Example[], titles: readonly (readonly string[])[]): void {
  writeFileAtomic(join(dir, PREDICTIONS_JSONL), titles.map((t, row) => line(test, row, t)).join(""));
  for (const name of partialFiles(dir)) rmSync(join(dir, name), { force: true });
}
