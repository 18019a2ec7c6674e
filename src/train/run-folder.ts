/**
 * A run folder: config.json (everything needed to reproduce), metrics.jsonl (one line per logged
 * step, appended), checkpoints/ and reports. Checkpoint and config writes are atomic.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic-file.js";

export class RunFolder {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  writeConfig(config: unknown): void {
    writeJsonAtomic(this.path("config.json"), config);
  }

  readConfig<T>(): T | undefined {
    const p = this.path("config.json");
    return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as T) : undefined;
  }

  /** Complete rows in metrics.jsonl (counted once, then tracked as rows are logged). */
  private rows: number | undefined;

  /** Appends one metrics row. */
  logMetrics(row: Record<string, number | string>): void {
    const rows = this.metricsRows();
    appendFileSync(this.path("metrics.jsonl"), JSON.stringify(row) + "\n");
    this.rows = rows + 1;
  }

  /**
   * How many rows have been logged. A checkpoint records it, so a resumed run keeps exactly the
   * rows logged before its checkpoint: a step number alone cannot tell a validation row written
   * just before a kill (same step as the checkpoint, but after it) from one written before it.
   */
  metricsRows(): number {
    this.rows ??= this.readRows().length;
    return this.rows;
  }

  /**
   * Rewrites metrics.jsonl keeping the first `rows` rows (or, for checkpoints that do not record
   * it, rows with step ≤ `step`), so a run resumed from a checkpoint drops the rows a killed process
   * logged after it, including a line cut off by the kill.
   */
  truncateMetrics(keep: { rows: number } | { step: number }): void {
    const rows = this.readRows();
    const kept =
      "rows" in keep
        ? rows.slice(0, keep.rows)
        : rows.filter((line) => {
            const row = JSON.parse(line) as { step?: number };
            return typeof row.step !== "number" || row.step <= keep.step;
          });
    writeFileAtomic(this.path("metrics.jsonl"), kept.map((l) => l + "\n").join(""));
    this.rows = kept.length;
  }

  /** Removes metrics.jsonl (a fresh run in a used folder); true if there was one. */
  clearMetrics(): boolean {
    const p = this.path("metrics.jsonl");
    const existed = existsSync(p);
    rmSync(p, { force: true });
    this.rows = 0;
    return existed;
  }

  /** Complete rows of metrics.jsonl: newline-terminated lines that parse as JSON. */
  private readRows(): string[] {
    const p = this.path("metrics.jsonl");
    if (!existsSync(p)) return [];
    const lines = readFileSync(p, "utf8").split("\n");
    lines.pop(); // after the last newline: empty, or a line cut off by a kill
    return lines.filter((line) => {
      if (!line.trim()) return false;
      try {
        JSON.parse(line);
        return true;
      } catch {
        return false;
      }
    });
  }
}
