/**
 * The evaluation report of one run: what was evaluated (run, method, model, dataset, split), the
 * metrics overall and per group, decoding latency, and the training curves from `metrics.jsonl`.
 * Written as `report.json` (for `latentr3 compare` and scripts) and `report.html` (for people), both
 * atomically, so a killed run never leaves a half-written report that compare would misread.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.js";
import { PER_USER_JSONL, PerUserResults } from "./per-user.js";
import { REPORT_SCHEMA, type LatencyFigures, type Report } from "./report-schema.js";
import { renderReport } from "./report-html.js";

export const REPORT_JSON = "report.json";
export const REPORT_HTML = "report.html";

/** Latency figures from a measured total and per-stage times. */
export function latencyFigures(
  users: number,
  totalMs: number,
  stages: Record<string, number> = {},
  extra: { device?: string; batchSize?: number } = {},
): LatencyFigures {
  return {
    users,
    totalMs,
    msPerUser: users > 0 ? totalMs / users : 0,
    usersPerSecond: totalMs > 0 ? (users * 1000) / totalMs : 0,
    stages: { ...stages },
    ...extra,
  };
}

/**
 * Writes `report.json` and `report.html` into `dir` (created if needed), and `per-user.jsonl` first
 * when the report has per-record results (so report.json never points to a missing file).
 */
export function writeReport(dir: string, report: Report): { json: string; html: string; perUser?: string } {
  const json = join(dir, REPORT_JSON);
  const html = join(dir, REPORT_HTML);
  const perUser = report.perUser ? join(dir, PER_USER_JSONL) : undefined;
  if (perUser) writeFileAtomic(perUser, report.perUser!.toJsonl());
  writeFileAtomic(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileAtomic(html, renderReport(report));
  return { json, html, ...(perUser ? { perUser } : {}) };
}

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}

/** Reads and checks `<dir>/report.json`; errors name the folder and what is wrong. */
export function readReport(dir: string): Report {
  const path = join(dir, REPORT_JSON);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code !== "ENOENT"
        ? (err as Error).message
        : existsSync(dir)
          ? "no report.json there (is it a run folder with a finished evaluation?)"
          : "no such run folder";
    throw new ReportError(`${dir}: ${why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReportError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const pointer = isObject(value) ? value.perUser : undefined;
  const report = parseReport(value, path);
  if (isObject(pointer)) {
    try {
      report.perUser = PerUserResults.read(join(dir, String(pointer.file)));
    } catch (err) {
      throw new ReportError((err as Error).message);
    }
    if (report.perUser.records.length !== pointer.records)
      throw new ReportError(
        `${join(dir, String(pointer.file))}: ${report.perUser.records.length} records, report.json says ${String(pointer.records)}`,
      );
  }
  return report;
}

/** Checks the shape of a parsed report; `source` names it in errors. */
export function parseReport(value: unknown, source: string): Report {
  const fail = (what: string): never => {
    throw new ReportError(`${source}: ${what}`);
  };
  if (!isObject(value)) return fail("expected a JSON object");
  if (value.schema !== REPORT_SCHEMA)
    fail(`unsupported schema ${JSON.stringify(value.schema)}; expected "${REPORT_SCHEMA}"`);
  for (const key of ["run", "method", "dataset", "split", "createdAt"]) {
    if (typeof value[key] !== "string") fail(`"${key}" must be a string`);
  }
  checkMetrics(value.metrics, "metrics", fail);
  if (!isObject(value.groups)) fail(`"groups" must be an object of metrics`);
  for (const [name, m] of Object.entries(value.groups as object)) checkMetrics(m, `groups.${name}`, fail);
  if (value.latency !== undefined) {
    const latency = value.latency;
    if (!isObject(latency)) return fail(`"latency" must be an object`);
    for (const key of ["users", "totalMs", "msPerUser", "usersPerSecond"]) {
      if (typeof latency[key] !== "number") fail(`"latency.${key}" must be a number`);
    }
    if (!isObject(latency.stages)) fail(`"latency.stages" must be an object of numbers`);
  }
  if (value.training !== undefined && !(isObject(value.training) && Array.isArray(value.training.rows))) {
    fail(`"training.rows" must be an array`);
  }
  if (value.listLength !== undefined && !(Number.isInteger(value.listLength) && (value.listLength as number) >= 0))
    fail(`"listLength" must be a non-negative integer`);
  if (value.perUser !== undefined) {
    const p = value.perUser;
    if (!isObject(p) || typeof p.file !== "string" || /[\\/]/.test(p.file) || !Number.isInteger(p.records))
      fail(
        `"perUser" must be {"file": a file name in the run folder, "records": integer} (the rows live in that file)`,
      );
    // The rows are not in the JSON: readReport loads them from the named file.
    const { perUser: _pointer, ...rest } = value;
    return rest as unknown as Report;
  }
  return value as unknown as Report;
}

function checkMetrics(m: unknown, where: string, fail: (what: string) => never): void {
  if (!isObject(m)) return fail(`"${where}" must be an object`);
  if (typeof m.records !== "number" || typeof m.invalid !== "number")
    fail(`"${where}" needs numeric "records" and "invalid"`);
  if (!Array.isArray(m.ks) || !m.ks.every((k) => typeof k === "number"))
    fail(`"${where}.ks" must be an array of numbers`);
  for (const table of ["hr", "ndcg"]) {
    const values = m[table];
    if (!isObject(values)) return fail(`"${where}.${table}" must be an object`);
    for (const k of m.ks as number[]) {
      if (typeof values[k] !== "number") fail(`"${where}.${table}" lacks a number for K=${k}`);
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
