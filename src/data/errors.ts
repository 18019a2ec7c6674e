/**
 * Errors for bad input files. Every data error says which file, which line, which field,
 * what was found and what was expected, so a user can open the file and fix it.
 */

/** Why a row was rejected; also the key of the skip counts when rows are skipped. */
export type BadRowReason =
  | "csv-syntax"
  | "encoding"
  | "column-count"
  | "bad-literal"
  | "bad-number"
  | "length-mismatch"
  | "empty-history"
  | "missing-from-catalogue"
  | "title-mismatch";

export const BAD_ROW_REASONS: readonly BadRowReason[] = [
  "csv-syntax",
  "encoding",
  "column-count",
  "bad-literal",
  "bad-number",
  "length-mismatch",
  "empty-history",
  "missing-from-catalogue",
  "title-mismatch",
];

/** Where a problem is: file path, 1-based physical line where the record starts, optional column name. */
export interface DataLocation {
  file: string;
  line: number;
  field?: string;
}

function shorten(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** A problem in an input file that is not specific to one row (wrong header, unreadable file layout). */
export class DataFormatError extends Error {
  readonly file: string;
  readonly line: number;
  readonly field: string | undefined;
  readonly expected: string;

  constructor(location: DataLocation, problem: string, expected: string) {
    const where = `${location.file}:${location.line}${location.field ? ` (field "${location.field}")` : ""}`;
    super(`${where}: ${problem}; expected ${expected}`);
    this.name = "DataFormatError";
    this.file = location.file;
    this.line = location.line;
    this.field = location.field;
    this.expected = expected;
  }
}

/** A single row that cannot become a correct Example. With `skipBadRows` these are counted instead of thrown. */
export class BadRowError extends DataFormatError {
  readonly reason: BadRowReason;
  readonly found: string | undefined;

  constructor(reason: BadRowReason, location: DataLocation, problem: string, expected: string, found?: string) {
    super(location, found === undefined ? problem : `${problem}: got ${JSON.stringify(shorten(found))}`, expected);
    this.name = "BadRowError";
    this.reason = reason;
    this.found = found;
  }
}

/** Rows skipped per reason, plus the first error of each reason so a summary can show an example. */
export class SkipCounts {
  private readonly counts = new Map<BadRowReason, number>();
  private readonly firstErrors = new Map<BadRowReason, BadRowError>();

  add(error: BadRowError): void {
    this.counts.set(error.reason, (this.counts.get(error.reason) ?? 0) + 1);
    if (!this.firstErrors.has(error.reason)) this.firstErrors.set(error.reason, error);
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  count(reason: BadRowReason): number {
    return this.counts.get(reason) ?? 0;
  }

  first(reason: BadRowReason): BadRowError | undefined {
    return this.firstErrors.get(reason);
  }

  /** Reason → count, only reasons that occurred, in the fixed reason order. */
  toJSON(): Partial<Record<BadRowReason, number>> {
    const out: Partial<Record<BadRowReason, number>> = {};
    for (const r of BAD_ROW_REASONS) if (this.counts.has(r)) out[r] = this.counts.get(r)!;
    return out;
  }

  /** One line per reason with the first offending location, for logs. */
  summary(): string {
    if (this.total === 0) return "no rows skipped";
    return BAD_ROW_REASONS.filter((r) => this.counts.has(r))
      .map((r) => `${this.counts.get(r)} row(s) skipped: ${r} (first: ${this.firstErrors.get(r)!.message})`)
      .join("\n");
  }
}
