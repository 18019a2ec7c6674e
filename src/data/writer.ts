/**
 * Writes examples as CSV in either layout, byte-compatible with the reference: D3 files are what
 * Python's `csv.writer` produces (CRLF, minimal quoting, Python reprs in list cells); MiniOneRec
 * files use LF as the published ones do. Files are written to a temporary name and renamed, so
 * a killed run never leaves a half-written split that looks complete.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { once } from "node:events";
import { join } from "node:path";
import { writeCatalogue } from "./catalogue.js";
import { formatCsvRow } from "./csv.js";
import { exampleToRow, HEADERS, type CsvLayout } from "./layouts.js";
import type { SplitExamples } from "./sequences.js";
import type { Example, Item } from "./types.js";

export const LINE_TERMINATORS: Record<CsvLayout, string> = { d3: "\r\n", minionerec: "\n" };

/** Whole file as a string (small data, tests). */
export function formatExamplesCsv(
  examples: Iterable<Example>,
  layout: CsvLayout,
  lineTerminator = LINE_TERMINATORS[layout],
): string {
  let out = formatCsvRow(HEADERS[layout], lineTerminator);
  for (const ex of examples) out += formatCsvRow(exampleToRow(ex, layout), lineTerminator);
  return out;
}

/** Streams examples to `path` (atomically: temp file + rename). Returns the number of rows written. */
export async function writeExamplesCsv(
  path: string,
  examples: Iterable<Example> | AsyncIterable<Example>,
  layout: CsvLayout,
  lineTerminator = LINE_TERMINATORS[layout],
): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp, { encoding: "utf8" });
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  failed.catch(() => undefined); // observed through the races below; avoid an unhandled rejection
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await Promise.race([once(out, "drain"), failed]);
  };
  let rows = 0;
  await write(formatCsvRow(HEADERS[layout], lineTerminator));
  for await (const ex of examples) {
    await write(formatCsvRow(exampleToRow(ex, layout), lineTerminator));
    rows++;
  }
  out.end();
  await Promise.race([once(out, "finish"), failed]);
  await rename(tmp, path);
  return rows;
}

export interface DatasetFolderFiles {
  info: string;
  train: string;
  valid: string;
  test: string;
}

/** A preprocessed dataset as the reference lays it out: `info/{stem}.txt` and `{train,valid,test}/{stem}.csv` (D3). */
export async function writeDatasetFolder(
  outDir: string,
  stem: string,
  catalogue: readonly Item[],
  split: SplitExamples,
): Promise<DatasetFolderFiles> {
  const files = {
    info: join(outDir, "info", `${stem}.txt`),
    train: join(outDir, "train", `${stem}.csv`),
    valid: join(outDir, "valid", `${stem}.csv`),
    test: join(outDir, "test", `${stem}.csv`),
  };
  for (const d of ["info", "train", "valid", "test"]) await mkdir(join(outDir, d), { recursive: true });
  await writeCatalogue(files.info, catalogue);
  for (const s of ["train", "valid", "test"] as const) await writeExamplesCsv(files[s], split[s], "d3");
  return files;
}
