/**
 * RFC-4180 CSV, streaming: records are produced chunk by chunk so a multi-GB file is never
 * held in memory. Accepts CRLF, LF or lone CR between records; quoted fields may hold commas,
 * doubled quotes and newlines. Strict about malformed quoting (a quote inside an unquoted field,
 * text after a closing quote, a file ending inside quotes) because lenient parsing of such rows
 * silently produces wrong examples; the bad record is reported and parsing resumes at the next line.
 *
 * The writer mirrors Python's `csv.writer` (excel dialect, QUOTE_MINIMAL) so files written here
 * are byte-identical to the reference preprocessing output.
 */
import { createReadStream } from "node:fs";

export interface CsvRecord {
  fields: string[];
  /** 1-based physical line on which the record starts. */
  line: number;
  /** Set when the record is malformed; `fields` then holds what was read before the problem. */
  error?: { problem: string; expected: string };
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** Saw a quote inside a quoted field: either the first half of `""` or the closing quote. */
  QuotedQuote,
  /** Recovering from a syntax error: drop everything up to the end of the physical line. */
  Skip,
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

/** Incremental CSV tokenizer: feed text chunks with `push`, then call `finish` once. */
export class CsvParser {
  private state = State.FieldStart;
  private field = "";
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private lastWasCR = false;
  /** A record just ended on CR: a following LF belongs to the same line break. */
  private swallowLF = false;
  private error: CsvRecord["error"] = undefined;
  private out: CsvRecord[] = [];

  push(chunk: string): CsvRecord[] {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      if (this.swallowLF) {
        this.swallowLF = false;
        if (c === LF) {
          this.lastWasCR = false;
          i++;
          this.recordLine = this.line;
          continue;
        }
      }
      switch (this.state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.state = State.Quoted;
            this.lastWasCR = false;
            i++;
            break;
          }
          // An unquoted field starts with this character: reprocess it in the Unquoted state.
          this.state = State.Unquoted;
          break;
        case State.Unquoted: {
          let j = i;
          while (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === COMMA || d === CR || d === LF || d === QUOTE) break;
            j++;
          }
          if (j > i) {
            this.field += chunk.slice(i, j);
            this.lastWasCR = false;
          }
          i = j;
          if (i >= n) break;
          const d = chunk.charCodeAt(i);
          if (d === COMMA) {
            this.endField();
            i++;
          } else if (d === QUOTE) {
            this.fail(
              "a double quote inside an unquoted field",
              'fields containing " to be wrapped in quotes with inner quotes doubled ("")',
            );
            i++;
          } else {
            i = this.newline(chunk, i);
          }
          break;
        }
        case State.Quoted: {
          let j = chunk.indexOf('"', i);
          if (j === -1) j = n;
          this.countLines(chunk, i, j);
          this.field += chunk.slice(i, j);
          i = j;
          if (i < n) {
            this.state = State.QuotedQuote;
            this.lastWasCR = false;
            i++;
          }
          break;
        }
        case State.QuotedQuote:
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            this.lastWasCR = false;
            i++;
          } else if (c === COMMA) {
            this.endField();
            this.lastWasCR = false;
            i++;
          } else if (c === CR || c === LF) {
            i = this.newline(chunk, i);
          } else {
            this.fail(
              `text ${JSON.stringify(chunk[i])} after the closing quote of a field`,
              "a comma or end of line after a closing quote",
            );
          }
          break;
        case State.Skip:
          if (c === CR || c === LF) {
            i = this.newline(chunk, i);
          } else {
            this.lastWasCR = false;
            i++;
          }
          break;
      }
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Flushes the last record (a file need not end with a newline). */
  finish(): CsvRecord[] {
    if (this.state === State.Quoted) {
      this.error ??= {
        problem: "the file ends inside a quoted field (unbalanced double quote)",
        expected: "every opening quote to be closed",
      };
      this.endRecord();
    } else if (this.state !== State.FieldStart || this.fields.length > 0 || this.field !== "") {
      this.endRecord();
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  private countLines(chunk: string, from: number, to: number): void {
    for (let k = from; k < to; k++) {
      const d = chunk.charCodeAt(k);
      if (d === CR) {
        this.line++;
        this.lastWasCR = true;
      } else {
        if (d === LF && !this.lastWasCR) this.line++;
        this.lastWasCR = false;
      }
    }
  }

  /** Handles a CR or LF outside quotes: ends the record. Returns the next index. */
  private newline(chunk: string, i: number): number {
    const c = chunk.charCodeAt(i);
    this.countLines(chunk, i, i + 1);
    this.endRecord();
    if (c === CR) this.swallowLF = true;
    this.recordLine = this.line;
    return i + 1;
  }

  private fail(problem: string, expected: string): void {
    this.error ??= { problem, expected };
    this.state = State.Skip;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = "";
    this.state = State.FieldStart;
  }

  private endRecord(): void {
    const blank =
      this.fields.length === 0 &&
      this.field === "" &&
      (this.state === State.FieldStart || this.state === State.Unquoted);
    if (this.state !== State.Skip) this.fields.push(this.field);
    // Blank lines carry no record (as Python's csv.DictReader skips them).
    if (!blank || this.error) {
      const record: CsvRecord = { fields: this.fields, line: this.recordLine };
      if (this.error) record.error = this.error;
      this.out.push(record);
    }
    this.fields = [];
    this.field = "";
    this.error = undefined;
    this.state = State.FieldStart;
  }
}

/** Parses a whole CSV string (tests, small files). */
export function parseCsv(text: string): CsvRecord[] {
  const parser = new CsvParser();
  return [...parser.push(text.replace(/^\uFEFF/, "")), ...parser.finish()];
}

/** Streams the records of a CSV file (UTF-8, optional BOM) without loading it whole. */
export async function* readCsvRecords(path: string, chunkBytes = 1 << 20): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser();
  let first = true;
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: chunkBytes })) {
    let text = chunk as string;
    if (first) {
      text = text.replace(/^\uFEFF/, "");
      first = false;
    }
    yield* parser.push(text);
  }
  yield* parser.finish();
}

/** One field as Python's csv.writer writes it under QUOTE_MINIMAL. */
export function formatCsvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** One record with its terminator; excel dialect uses CRLF. */
export function formatCsvRow(fields: readonly string[], lineTerminator = "\r\n"): string {
  // A lone empty field must be quoted, else the row would read back as a blank line.
  if (fields.length === 1 && fields[0] === "") return `""${lineTerminator}`;
  return fields.map(formatCsvField).join(",") + lineTerminator;
}
