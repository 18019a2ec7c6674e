/**
 * Streams a JSON-lines file (one object per line), plain or gzip-compressed (detected from the
 * `.gz` suffix), so multi-GB review dumps are never held in memory as text.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { DataFormatError } from "../errors.js";

export interface JsonLine {
  value: Record<string, unknown>;
  /** 1-based line number. */
  line: number;
}

function open(path: string): Readable {
  const file = createReadStream(path);
  if (!path.endsWith(".gz")) return file;
  const gunzip = createGunzip();
  file.on("error", (err) => gunzip.destroy(err));
  return file.pipe(gunzip);
}

/** Yields every non-blank line parsed as a JSON object; a bad line is an error naming file and line. */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  const lines = createInterface({ input: open(path), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DataFormatError(
        { file: path, line },
        `invalid JSON (${(err as Error).message})`,
        "one JSON object per line",
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new DataFormatError({ file: path, line }, "the line is not a JSON object", "one JSON object per line");
    }
    yield { value: value as Record<string, unknown>, line };
  }
}
