/**
 * Atomic file writes: a reader (or a run killed mid-write) never sees a half-written artifact,
 * because the bytes go to a temporary file in the same folder and are then renamed over the target
 * (rename within one file system replaces the target in one step).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // pid + counter: two writers (or two writes in one process) never share a temporary name.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${tempCounter++}.tmp`);
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

let tempCounter = 0;
