/**
 * Running the compiled CLI (`dist/src/cli/main.js`) as a child process from tests: to completion,
 * or killed with SIGKILL once a training run has written a given checkpoint (a real crash: no
 * exit handlers, no flushed buffers).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./helpers.js";

export const CLI_MAIN = join(repoRoot, "dist", "src", "cli", "main.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** One line per step in progress output, so a test log shows where a run was. */
const CLI_ENV = { ...process.env, LATENTR3_PROGRESS_INTERVAL: "0" };

/**
 * Runs `latentr3 ...args`. With `killAtCheckpoint`, polls `<runDir>/checkpoints/latest.json` and
 * sends SIGKILL as soon as it names a step ≥ that number.
 */
export function runCli(
  args: readonly string[],
  opts: { killAtCheckpoint?: { runDir: string; step: number } } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: CLI_ENV });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    const kill = opts.killAtCheckpoint;
    if (kill) {
      const latest = join(kill.runDir, "checkpoints", "latest.json");
      timer = setInterval(() => {
        if (!existsSync(latest)) return;
        let step = -1;
        try {
          step = (JSON.parse(readFileSync(latest, "utf8")) as { step: number }).step;
        } catch {
          return; // written atomically, but be tolerant of a read racing the rename
        }
        if (step >= kill.step) {
          clearInterval(timer);
          child.kill("SIGKILL");
        }
      }, 10);
    }
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The step a run resumed from, parsed from its "resumed from step-… (step N" log line. */
export function resumedStep(stderr: string): number | undefined {
  const m = /resumed from step-\d+ \(step (\d+)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}
