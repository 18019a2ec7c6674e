/**
 * Reading a run's `metrics.jsonl` (one JSON object per training step) for plots and reports.
 *
 * Tolerant where a killed run leaves damage, strict elsewhere: a last line with no newline after it
 * that does not parse is a write cut short, and is skipped (reported in `truncatedLastLine`); any
 * other malformed line is an error naming the file and line, since it means the log is not ours or
 * was corrupted and plotting it would mislead.
 */
import { readFileSync } from "node:fs";

/** One logged step: `step` plus any numeric series (loss, reward, advantage, lr, ...). */
export interface TrainingRow {
  step: number;
  [series: string]: number;
}

export interface MetricsLog {
  rows: TrainingRow[];
  /** True when an unterminated, unparsable last line (a killed run's partial write) was skipped. */
  truncatedLastLine: boolean;
}

export class MetricsLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetricsLogError";
  }
}

/**
 * Parses metrics.jsonl text. Fields that are not finite numbers (a `phase` string, nested objects)
 * are left out of the rows, since only numbers can be plotted; `step` must be a finite number.
 */
export function parseMetricsJsonl(text: string, source = "metrics.jsonl"): MetricsLog {
  const lines = text.split("\n");
  const rows: TrainingRow[] = [];
  let truncatedLastLine = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const where = `${source}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      // Only the very last piece can be an unfinished write: every finished line ends with "\n".
      if (i === lines.length - 1) {
        truncatedLastLine = true;
        continue;
      }
      throw new MetricsLogError(
        `${where}: not valid JSON (${(err as Error).message}); expected one JSON object per line`,
      );
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new MetricsLogError(
        `${where}: expected a JSON object like {"step": 1, "loss": 2.3}, got ${line.slice(0, 60)}`,
      );
    }
    const row: Record<string, number> = {};
    for (const [key, v] of Object.entries(value)) if (typeof v === "number" && Number.isFinite(v)) row[key] = v;
    if (row.step === undefined) throw new MetricsLogError(`${where}: missing numeric "step"`);
    rows.push(row as TrainingRow);
  }
  return { rows, truncatedLastLine };
}

export function readMetricsJsonl(path: string): MetricsLog {
  return parseMetricsJsonl(readFileSync(path, "utf8"), path);
}

/** Names of the numeric series other than `step`, in order of first appearance. */
export function seriesNames(rows: readonly TrainingRow[]): string[] {
  const names = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (key !== "step") names.add(key);
  return [...names];
}
