/**
 * Streams a line-per-record file, plain or gzip-compressed (detected from the `.gz` suffix), so
 * multi-GB review dumps are never held in memory as text: JSON lines (Amazon) or any other
 * per-line format through `readTextLines` (the Steam files hold Python literals).
 */
import { createReadStream, statSync, type ReadStream } from "node:fs";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { DataFormatError } from "../errors.js";
import { Progress } from "../../util/progress.js";

export interface JsonLine {
  value: Record<string, unknown>;
  /** 1-based line number. */
  line: number;
}

function open(path: string, file: ReadStream): Readable {
  if (!path.endsWith(".gz")) return file;
  const gunzip = createGunzip();
  file.on("error", (err) => gunzip.destroy(err));
  return file.pipe(gunzip);
}

/** Files at least this large (on disk) print a progress line while read: the review dumps take minutes. */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Yields every non-blank line with its 1-based number. Progress counts bytes of the file on disk
 * (compressed bytes for .gz), the only total known before the end.
 */
export async function* readTextLines(
  path: string,
  progressMinBytes = PROGRESS_MIN_BYTES,
): AsyncGenerator<{ text: string; line: number }> {
  const file = createReadStream(path);
  const size = statSync(path).size;
  const progress = size >= progressMinBytes ? new Progress(`reading ${basename(path)} (bytes)`, size) : undefined;
  const lines = createInterface({ input: open(path, file), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (progress && line % 10000 === 0) progress.update(Math.min(file.bytesRead, size - 1), { lines: line });
    if (text.trim() !== "") yield { text, line };
  }
  progress?.update(size, { lines: line });
  progress?.finish();
}

/** Yields every non-blank line parsed as a JSON object; a bad line is an error naming file and line. */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  for await (const { text, line } of readTextLines(path)) {
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
