/**
 * A run folder: config.json (everything needed to reproduce), metrics.jsonl (one line per logged
 * step, appended), checkpoints/ and reports. Checkpoint and config writes are atomic.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic-file.js";
import { boolean, configTable } from "../util/config-table.js";
import { readJsonFile } from "../util/json-file.js";
import { outputLocationProblem, pathsOverlap } from "../util/output-location.js";

function readRunConfig(path: string): { command?: string; settings?: unknown } | undefined {
  return existsSync(path) ? readJsonFile<{ command?: string; settings?: unknown }>(path, "run config") : undefined;
}

/** How a command treats its run folder. */
export const RUN_CONFIG = configTable("run folder", {
  resume: boolean("continue a killed run from its last checkpoint in --out (its settings must match the run's)"),
  overwrite: boolean("start over in a used --out of the same command: removes only the files that run wrote"),
});

/** What a command claims a run folder for. */
export interface RunClaim {
  /** The command that owns the folder ("train sft", "eval", "demo"), stored in config.json. */
  command: string;
  /** What defines the run (model, data, training settings …): must match on --resume. */
  settings: Record<string, unknown>;
  /** Folders the run reads, by option name: the output may not equal, contain or lie inside one. */
  inputs?: Record<string, string | undefined>;
  resume: boolean;
  overwrite: boolean;
  /** Entries the run writes in its folder: all that --overwrite removes ("name*" = every name with that prefix). */
  artifacts: readonly string[];
  /**
   * The file recording the command and settings (default config.json); an output that is itself a
   * model folder, whose config.json is the model's, records them in another.
   */
  record?: string;
}

/**
 * The checks that need no settings, so a command makes them before loading any data: a usable
 * location, no overlap with an input, and a used folder only when it is a run of the same command
 * continued (--resume) or started over (--overwrite).
 */
export function checkRunFolder(
  dir: string,
  claim: Omit<RunClaim, "settings">,
): { used: boolean; stored: { command?: string; settings?: unknown } | undefined } {
  if (claim.resume && claim.overwrite) {
    throw new Error(`--resume continues the run in --out ${dir} and --overwrite starts it over: pass one`);
  }
  const problem = outputLocationProblem(dir);
  if (problem) throw new Error(`--out ${dir}: ${problem}`);
  for (const [option, input] of Object.entries(claim.inputs ?? {})) {
    if (input !== undefined && pathsOverlap(dir, input)) {
      throw new Error(
        `--out ${dir} overlaps --${option} ${input}: a run must not write into (or around) what it reads`,
      );
    }
  }
  const used = existsSync(dir) && readdirSync(dir).length > 0;
  if (!used) return { used, stored: undefined };
  const stored = readRunConfig(join(dir, claim.record ?? "config.json"));
  if (stored?.command !== claim.command) {
    // A folder claimed under another record file (a merged model's) is still described by its run config.
    const other = stored?.command ?? readRunConfig(join(dir, "config.json"))?.command;
    const what = other ? `a \`${other}\` run` : "not a run folder";
    throw new Error(
      `--out ${dir} is not empty and is ${what}; \`${claim.command}\` writes only into a new folder or its own run (choose another --out)`,
    );
  }
  if (!claim.resume && !claim.overwrite) {
    throw new Error(
      `--out ${dir} holds an earlier \`${claim.command}\` run: pass --resume to continue it, or --overwrite to start over (removes its ${claim.artifacts.join(", ")})`,
    );
  }
  return { used, stored };
}

/** The files a training run writes. */
export const TRAINING_ARTIFACTS = ["config.json", "metrics.jsonl", "checkpoints", "model", "cost.json"] as const;

/** Dotted paths where two JSON values differ ("training.lr: 0.001 → 0.002"), at most `limit`. */
export function settingDifferences(before: unknown, after: unknown, path = "", limit = 8): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys
      .flatMap((k) => settingDifferences(before[k], after[k], path ? `${path}.${k}` : k, limit))
      .slice(0, limit);
  }
  const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [`${path || "settings"}: ${show(before)} → ${show(after)}`];
}

export class RunFolder {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Claims `dir` for a run (see `checkRunFolder`); on --resume the stored settings must equal the
   * requested ones (refused naming the differences); --overwrite removes only the run's own
   * artifacts. Returns the folder with the command and settings recorded in config.json.
   */
  static claim(dir: string, claim: RunClaim): RunFolder {
    const { used, stored } = checkRunFolder(dir, claim);
    if (used && claim.resume) {
      const differences = settingDifferences(stored?.settings, claim.settings);
      if (differences.length > 0) {
        throw new Error(
          `--resume: ${dir} holds a run with other settings (${differences.join("; ")}); resume with the run's settings, or start over with --overwrite`,
        );
      }
    } else if (used && claim.overwrite) {
      for (const name of readdirSync(dir)) {
        if (claim.artifacts.some((a) => (a.endsWith("*") ? name.startsWith(a.slice(0, -1)) : a === name))) {
          rmSync(join(dir, name), { recursive: true, force: true });
        }
      }
    }
    const run = new RunFolder(dir);
    if (!(used && claim.resume)) {
      writeJsonAtomic(run.path(claim.record ?? "config.json"), { command: claim.command, settings: claim.settings });
    }
    return run;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  writeConfig(config: unknown): void {
    writeJsonAtomic(this.path("config.json"), config);
  }

  /** Adds fields to config.json (keeping `command` and `settings`). */
  extendConfig(fields: Record<string, unknown>): void {
    this.writeConfig({ ...(this.readConfig<Record<string, unknown>>() ?? {}), ...fields });
  }

  readConfig<T>(): T | undefined {
    const p = this.path("config.json");
    return existsSync(p) ? readJsonFile<T>(p, "run config") : undefined;
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
