/** File-system helpers shared by tests: the repository root and throw-away temporary folders. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (tests run compiled from `dist/test/**`, three levels below it for this file). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** A fresh temporary folder, removed by the returned `cleanup`. */
export function tempFolder(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `latentr3-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
