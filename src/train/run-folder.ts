/**
 * A run folder: config.json (everything needed to reproduce), metrics.jsonl (one line per logged
 * step, appended), checkpoints/ and reports. Checkpoint and config writes are atomic.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
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

  /** Appends one metrics row; rows carry the step so a resumed run can drop rows past its checkpoint. */
  logMetrics(row: Record<string, number | string>): void {
    appendFileSync(this.path("metrics.jsonl"), JSON.stringify(row) + "\n");
  }

  /**
   * Rewrites metrics.jsonl keeping only rows with step ≤ `step` (and a complete last line), so a run
   * resumed from a checkpoint does not keep the rows a killed process logged after it.
   */
  truncateMetrics(step: number): void {
    const p = this.path("metrics.jsonl");
    if (!existsSync(p)) return;
    const kept = readFileSync(p, "utf8")
      .split("\n")
      .filter((line) => {
        if (!line.trim()) return false;
        try {
          const row = JSON.parse(line) as { step?: number };
          return typeof row.step !== "number" || row.step <= step;
        } catch {
          return false; // a line cut off by the kill
        }
      });
    writeFileAtomic(p, kept.map((l) => l + "\n").join(""));
  }
}
