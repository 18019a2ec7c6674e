/** Small shared helpers for tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { tidy, type Tensor } from "../../src/engine/index.js";

/** Largest absolute elementwise difference between two tensors of equal shape. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.float().sub(b.float()).abs().amax().item());
}

const created: string[] = [];
process.on("exit", () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test process exits. */
export function tempDir(prefix = "test"): string {
  const dir = mkdtempSync(join(tmpdir(), `latentr3-${prefix}-`));
  created.push(dir);
  return dir;
}

/** A fresh temporary folder, removed when `fn` finishes. */
export async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "latentr3-test-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The repository root (tests run from dist/test/...). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** A fresh temporary folder with an explicit `cleanup` (also removed at exit if cleanup is skipped). */
export function tempFolder(prefix: string): { dir: string; cleanup: () => void } {
  const dir = tempDir(prefix);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
