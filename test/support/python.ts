/**
 * Locating a Python with PyTorch for cross-check tests. `LATENTR3_PYTHON` overrides the default
 * `/usr/bin/python3` (Debian's python3-torch); tests skip with the returned reason when there is none.
 */
import { spawnSync } from "node:child_process";

export interface PythonTorch {
  python: string | undefined;
  /** Why there is no usable Python, when `python` is undefined. */
  reason: string;
}

let cached: PythonTorch | undefined;

export function findPythonTorch(): PythonTorch {
  if (cached) return cached;
  const python = process.env["LATENTR3_PYTHON"] ?? "/usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : (probe.stderr.trim().split("\n").pop() ?? `exit ${probe.status}`);
    cached = {
      python: undefined,
      reason: `no Python with torch at ${python} (${why}); set LATENTR3_PYTHON to run this check`,
    };
  } else {
    cached = { python, reason: `torch ${probe.stdout.trim()}` };
  }
  return cached;
}

/** Runs a Python script; throws with its output when it exits non-zero. */
export function runPython(python: string, args: string[]): string {
  const r = spawnSync(python, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${python} ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}
