/**
 * Streaming example reader for D3 and MiniOneRec CSV files: the layout is detected from the
 * header, rows are converted one at a time, and bad rows either stop the read with an error
 * naming file, line and field, or (with `skipBadRows`) are counted per reason.
 */
import { readCsvRecords } from "./csv.js";
import { BadRowError, DataFormatError, SkipCounts } from "./errors.js";
import { detectLayout, rowToExample, type CsvLayout } from "./layouts.js";
import type { Catalogue, Example } from "./types.js";

const REPLACEMENT_CHARACTER = "\uFFFD";

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
    let header: string[] = [];
    for await (const record of readCsvRecords(this.path)) {
      // The decoder turns bytes that are not UTF-8 into U+FFFD: report them, never keep them.
      const badField = record.fields.findIndex((f) => f.includes(REPLACEMENT_CHARACTER));
      if (this.layout === undefined) {
        if (badField >= 0) {
          throw new DataFormatError(
            { file: this.path, line: record.line },
            `the header's column ${badField + 1} holds bytes that are not valid UTF-8`,
            "a UTF-8 file",
          );
        }
        if (record.error) {
          throw new DataFormatError(
            { file: this.path, line: record.line },
            `malformed header: ${record.error.problem}`,
            record.error.expected,
          );
        }
        this.layout = detectLayout(record.fields, this.path);
        header = record.fields;
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
        if (badField >= 0) {
          throw new BadRowError(
            "encoding",
            { file: this.path, line: record.line, field: header[badField] ?? `column ${badField + 1}` },
            "bytes that are not valid UTF-8 (or a U+FFFD replacement character)",
            "UTF-8 text",
            record.fields[badField],
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
