/**
 * Locates the real datasets (`../shared/data` next to the repository, or $LATENTR3_SHARED_DATA).
 * A fresh clone does not have them: tests that need them skip with a message saying so.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("package.json not found above the test file");
    dir = up;
  }
  return dir;
}

/** Folder of the shared real data, or undefined when absent. */
export function sharedDataDir(): string | undefined {
  const dir = process.env.LATENTR3_SHARED_DATA ?? resolve(repoRoot(), "../shared/data");
  return existsSync(dir) ? dir : undefined;
}

export const SHARED_DATA_MISSING =
  "real data not found at ../shared/data (set LATENTR3_SHARED_DATA to its folder); skipping real-data checks";
