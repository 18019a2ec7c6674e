/**
 * Atomic file replacement: write into a temporary file in the destination's folder, fsync it, rename it
 * over the destination, then fsync the folder. A reader sees the old file or the new one, never a torn one;
 * a crash leaves at most a stray `.NAME.*.tmp` next to it.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** `writeSync` until every byte of `data` is written (a single call may write fewer). */
export function writeFully(fd: number, data: Uint8Array): void {
  const chunk = 1 << 30;
  let done = 0;
  while (done < data.byteLength) {
    const len = Math.min(chunk, data.byteLength - done);
    done += writeSync(fd, data, done, len);
  }
}

/** Runs `write(fd)` on a fresh temporary file, then atomically renames it to `path`. */
export function writeAtomic(path: string, write: (fd: number) => void): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o644);
  let renamed = false;
  try {
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to clean up
      }
    }
  }
  syncDirectory(dir);
}

/** Best-effort fsync of a folder so a rename inside it is durable (not supported on every platform). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `data` to `path` atomically, creating the folder if needed. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  writeAtomic(path, (fd) => writeFully(fd, bytes));
}

/** Pretty-printed JSON, written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
