/**
 * Streaming example reader for D3 and MiniOneRec CSV files: the layout is detected from the
 * header, rows are converted one at a time, and bad rows either stop the read with an error
 * naming file, line and field, or (with `skipBadRows`) are counted per reason.
 */
import { readCsvRecords } from "./csv.js";
import { BadRowError, DataFormatError, SkipCounts } from "./errors.js";
import { detectLayout, rowToExample, type CsvLayout } from "./layouts.js";
import type { Catalogue, Example } from "./types.js";

export interface ReadOptions {
  /** Resolve every id against this catalogue (an unknown id is a bad row). */
  catalogue?: Catalogue;
  /** With a catalogue: also require row titles to equal the catalogue titles (default true). */
  checkTitles?: boolean;
  /** Count and skip bad rows instead of throwing on the first one. A wrong header always throws. */
  skipBadRows?: boolean;
}

/** An async iterable of examples that also reports the layout and the rows skipped so far. */
export class ExampleStream implements AsyncIterable<Example> {
  /** Known once the header has been read. */
  layout: CsvLayout | undefined;
  readonly skipped = new SkipCounts();
  /** Data rows seen (good and skipped). */
  rowsRead = 0;
  private started = false;

  constructor(
    readonly path: string,
    private readonly options: ReadOptions = {},
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Example> {
    if (this.started) throw new Error(`${this.path}: an ExampleStream can be iterated only once`);
    this.started = true;
    let offset = 0;
    for await (const record of readCsvRecords(this.path)) {
      if (this.layout === undefined) {
        if (record.error) {
          throw new DataFormatError(
            { file: this.path, line: record.line },
            `malformed header: ${record.error.problem}`,
            record.error.expected,
          );
        }
        this.layout = detectLayout(record.fields, this.path);
        offset = record.fields[0] === "" || record.fields[0] === "Unnamed: 0" ? 1 : 0;
        continue;
      }
      this.rowsRead++;
      try {
        if (record.error) {
          throw new BadRowError(
            "csv-syntax",
            { file: this.path, line: record.line },
            `malformed CSV: ${record.error.problem}`,
            record.error.expected,
          );
        }
        yield rowToExample(record.fields, {
          file: this.path,
          line: record.line,
          layout: this.layout,
          offset,
          ...(this.options.catalogue ? { catalogue: this.options.catalogue } : {}),
          ...(this.options.checkTitles !== undefined ? { checkTitles: this.options.checkTitles } : {}),
        });
      } catch (err) {
        if (err instanceof BadRowError && this.options.skipBadRows) this.skipped.add(err);
        else throw err;
      }
    }
    if (this.layout === undefined) {
      throw new DataFormatError({ file: this.path, line: 1 }, "the file is empty", "a header row");
    }
  }
}

/** Streams the examples of one CSV file. Iterate once with `for await`. */
export function readExamples(path: string, options: ReadOptions = {}): ExampleStream {
  return new ExampleStream(path, options);
}

/** Reads a whole CSV file into memory (fine for the evaluation splits; stream the big train files). */
export async function readAllExamples(
  path: string,
  options: ReadOptions = {},
): Promise<{ examples: Example[]; layout: CsvLayout; skipped: SkipCounts }> {
  const stream = readExamples(path, options);
  const examples: Example[] = [];
  for await (const ex of stream) examples.push(ex);
  return { examples, layout: stream.layout!, skipped: stream.skipped };
}
