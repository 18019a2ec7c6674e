/**
 * Runs a worker script under the launcher (`launch()` of src/pipeline/launch.ts) on a free loopback
 * port and collects what each rank printed. Workers report results as `RESULT <json>` lines.
 */
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { launch, type LaunchResult } from "../../src/pipeline/launch.js";

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface WorkersRun extends LaunchResult {
  stdout: string;
  stderr: string;
  /** The `RESULT` values each rank printed, by rank. */
  results: unknown[][];
}

/** Launches `nproc` copies of the compiled worker `script` (a URL next to the calling test). */
export async function launchWorkers(
  script: URL,
  nproc: number,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<WorkersRun> {
  const stdout = new Collect();
  const stderr = new Collect();
  const result = await launch({
    nprocPerNode: nproc,
    masterPort: await freePort(),
    command: [process.execPath, fileURLToPath(script), ...args],
    env: { LATENTR3_DIST_TIMEOUT: "60", ...env },
    graceMs: 2000,
    stdout,
    stderr,
  });
  const results: unknown[][] = Array.from({ length: nproc }, () => []);
  for (const line of stdout.text.split("\n")) {
    const m = /^\[rank (\d+)\] RESULT (.*)$/.exec(line);
    if (m) results[Number(m[1])]!.push(JSON.parse(m[2]!));
  }
  return { ...result, stdout: stdout.text, stderr: stderr.text, results };
}

/** Prints a result line for the test that launched this worker. */
export function report(value: unknown): void {
  process.stdout.write(`RESULT ${JSON.stringify(value)}\n`);
}
