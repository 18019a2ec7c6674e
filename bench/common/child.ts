/** Runs one benchmark child (our Node worker or a Python script) and reads the JSON line it prints. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Python with torch: Debian's, unless LATENTR3_PYTHON names another (the `python3` on PATH may lack torch). */
export const PYTHON = process.env.LATENTR3_PYTHON ?? "/usr/bin/python3";

/** Repository root (the folder holding native/binding.gyp), from dist/bench/common or bench/common alike. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "native", "binding.gyp"))) return dir;
    dir = resolve(dir, "..");
  }
  throw new Error(`cannot find the repository root above ${fileURLToPath(import.meta.url)}`);
}

/** Runs `command args` with `env`; returns the last stdout line that parses as a JSON object. */
export function runJson(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Record<string, unknown> {
  const r = spawnSync(command, args, { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, cwd: repoRoot() });
  const what = [command, ...args].join(" ");
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status}:\n${r.stderr.slice(-2000)}`);
  const lines = r.stdout.trim().split("\n").reverse();
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // not the JSON line; keep looking
    }
  }
  throw new Error(`${what} printed no JSON line:\n${r.stdout.slice(-2000)}`);
}
