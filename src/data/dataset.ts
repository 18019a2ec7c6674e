/**
 * A dataset folder as the reference lays it out: `info/<stem>.txt` and `{train,valid,test}/<stem>.csv`
 * (any split may be missing; the shared real data has no train split). Also maps the stem to the
 * category name used for the prompt phrase.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { readCatalogue, type ItemCatalogue } from "./catalogue.js";
import { readAllExamples, type ReadOptions } from "./reader.js";
import type { SkipCounts } from "./errors.js";
import type { CsvLayout } from "./layouts.js";
import type { Example } from "./types.js";

export const SPLITS = ["train", "valid", "test"] as const;
export type Split = (typeof SPLITS)[number];

export interface DatasetFiles {
  dir: string;
  /** File name without extension shared by the info file and the splits, e.g. `CDs_and_Vinyl_5_2015-10-2018-11`. */
  stem: string;
  info: string;
  splits: Partial<Record<Split, string>>;
}

/** Finds the info file and the split CSVs of a dataset folder; errors say what is missing. */
export function locateDataset(dir: string, stem?: string): DatasetFiles {
  const infoDir = join(dir, "info");
  const expected = "expected a dataset folder with info/<stem>.txt and {train,valid,test}/<stem>.csv";
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder (${expected})`);
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: is a file, not a folder (${expected})`);
  if (!existsSync(infoDir) || !statSync(infoDir).isDirectory()) {
    throw new Error(`${dir}: not a dataset folder: it has no info/ folder (${expected})`);
  }
  const stems = readdirSync(infoDir)
    .filter((f) => f.endsWith(".txt"))
    .map((f) => f.slice(0, -4))
    .sort();
  if (stems.length === 0) throw new Error(`${infoDir}: no <stem>.txt info file`);
  let chosen = stem;
  if (chosen === undefined) {
    if (stems.length > 1)
      throw new Error(`${infoDir}: several info files (${stems.join(", ")}); pass the stem to choose one`);
    chosen = stems[0]!;
  } else if (!stems.includes(chosen)) {
    throw new Error(`${infoDir}: no ${chosen}.txt (found ${stems.join(", ")})`);
  }
  const splits: Partial<Record<Split, string>> = {};
  for (const split of SPLITS) {
    const path = join(dir, split, `${chosen}.csv`);
    if (existsSync(path)) splits[split] = path;
  }
  return { dir, stem: chosen, info: join(infoDir, `${chosen}.txt`), splits };
}

export interface LoadedDataset {
  files: DatasetFiles;
  catalogue: ItemCatalogue;
  layout: CsvLayout | undefined;
  splits: Partial<Record<Split, Example[]>>;
  skipped: Partial<Record<Split, SkipCounts>>;
}

/** Loads the catalogue and every present split into memory, checking each row against the catalogue. */
export async function loadDataset(
  dir: string,
  options: Omit<ReadOptions, "catalogue"> & { stem?: string } = {},
): Promise<LoadedDataset> {
  const files = locateDataset(dir, options.stem);
  const catalogue = await readCatalogue(files.info);
  const splits: Partial<Record<Split, Example[]>> = {};
  const skipped: Partial<Record<Split, SkipCounts>> = {};
  let layout: CsvLayout | undefined;
  for (const split of SPLITS) {
    const path = files.splits[split];
    if (!path) continue;
    const read = await readAllExamples(path, { ...options, catalogue });
    splits[split] = read.examples;
    skipped[split] = read.skipped;
    layout = read.layout;
  }
  return { files, catalogue, layout, splits, skipped };
}

/** `CDs_and_Vinyl_5_2015-10-2018-11` → `CDs_and_Vinyl`: the longest known category prefixing the stem. */
export function categoryFromStem(stem: string, known: readonly string[]): string | undefined {
  const name = basename(stem);
  let best: string | undefined;
  for (const c of known) {
    if ((name === c || name.startsWith(`${c}_`)) && (!best || c.length > best.length)) best = c;
  }
  return best;
}
