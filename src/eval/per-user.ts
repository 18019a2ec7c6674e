/**
 * Per-record results of an evaluation, saved as `per-user.jsonl` next to `report.json` so that two
 * runs on the same test records can be compared pair by pair (significance.ts) long after the models
 * are gone. One line per evaluated test row, in test-split order:
 *
 *   {"row":0,"user":"AVDLYN3JVVKNK","target":5425,"rank":3}
 *   {"row":1,"user":"A2…","target":17,"rank":null,"itemRank":null}
 *
 * `rank` is the 0-based position of the target *title* in the ranked list (hits by title, as every
 * metric here), null when it is not in the list: the record is a hit at K exactly when rank < K, and
 * its NDCG@K is 1/log2(rank + 2) then. `itemRank` is the same by item id, present only for
 * recommenders that rank item ids. A user with several test rows has several lines.
 *
 * In memory the rows travel with the report (`Report.perUser`); in `report.json` they are replaced
 * by a pointer `{ "file": "per-user.jsonl", "records": N }` (`toJSON`), which `readReport` follows.
 */
import { readFileSync } from "node:fs";
import { hitAtK, ndcgAtK } from "./metrics.js";

export const PER_USER_JSONL = "per-user.jsonl";

export interface UserResult {
  /** Index of the record in the evaluated test rows. */
  row: number;
  user: string;
  /** Target item id. */
  target: number;
  /** 0-based rank of the target title; null = not in the ranked list. */
  rank: number | null;
  /** 0-based rank of the target item id, for recommenders that rank item ids; null = not ranked. */
  itemRank?: number | null;
}

/** What `report.json` holds in place of the rows. */
export interface PerUserPointer {
  file: string;
  records: number;
}

export class PerUserResults {
  constructor(readonly records: readonly UserResult[]) {}

  /** Serialised as a pointer: the rows are written to their own file by `writeReport`. */
  toJSON(): PerUserPointer {
    return { file: PER_USER_JSONL, records: this.records.length };
  }

  /** Per-record HR@K (0/1) or NDCG@K by title, in record order. */
  values(kind: "hr" | "ndcg", k: number): number[] {
    const f = kind === "hr" ? hitAtK : ndcgAtK;
    return this.records.map((r) => f(r.rank ?? Infinity, k));
  }

  toJsonl(): string {
    return this.records.map((r) => JSON.stringify(r)).join("\n") + (this.records.length > 0 ? "\n" : "");
  }

  /** Parses `per-user.jsonl`; errors name the file, line and field. */
  static parse(text: string, source = PER_USER_JSONL): PerUserResults {
    const records: UserResult[] = [];
    text.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      const where = `${source}:${i + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
      }
      const r = value as Record<string, unknown>;
      const rankOk = (x: unknown) => x === null || (Number.isInteger(x) && (x as number) >= 0);
      if (typeof r !== "object" || r === null) throw new Error(`${where}: expected a JSON object`);
      if (!Number.isInteger(r.row))
        throw new Error(`${where} (field "row"): expected an integer, got ${JSON.stringify(r.row)}`);
      if (typeof r.user !== "string") throw new Error(`${where} (field "user"): expected a string`);
      if (!Number.isInteger(r.target)) throw new Error(`${where} (field "target"): expected an item id`);
      if (!rankOk(r.rank))
        throw new Error(`${where} (field "rank"): expected a rank ≥ 0 or null, got ${JSON.stringify(r.rank)}`);
      if (r.itemRank !== undefined && !rankOk(r.itemRank))
        throw new Error(`${where} (field "itemRank"): expected a rank ≥ 0 or null, got ${JSON.stringify(r.itemRank)}`);
      records.push(r as unknown as UserResult);
    });
    return new PerUserResults(records);
  }

  static read(path: string): PerUserResults {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new Error(`${path}: cannot read the per-user results named in report.json (${(err as Error).message})`);
    }
    return PerUserResults.parse(text, path);
  }
}

/** Why two runs' records cannot be paired, or undefined when they are the same test rows in the same order. */
export function pairingProblem(a: PerUserResults, b: PerUserResults): string | undefined {
  if (a.records.length !== b.records.length)
    return `${a.records.length} records against ${b.records.length} (evaluated on different test rows, e.g. another --limit)`;
  for (let i = 0; i < a.records.length; i++) {
    const x = a.records[i]!;
    const y = b.records[i]!;
    if (x.user !== y.user || x.target !== y.target)
      return `record ${i} differs (user ${x.user} → ${x.target} against ${y.user} → ${y.target}): not the same test rows`;
  }
  return undefined;
}
