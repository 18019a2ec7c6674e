/**
 * A torchrun-style launcher: starts this node's workers of a distributed job with RANK, LOCAL_RANK,
 * WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, prefixes their output with their
 * rank, forwards SIGINT/SIGTERM, and ends the whole job as soon as one worker fails: the others are
 * terminated (killed after a grace period) and the result names the failing rank with the last
 * lines it printed. Plain node:child_process; nothing here knows what the workers run.
 *
 * When one rank dies, its peers fail too, a moment later, in their next collective ("all_reduce
 * failed on rank 0 of 2 …"). The rank reported is the one that failed by itself: the first whose
 * last words are not such a collective failure, else the first to fail. Workers the launcher
 * stopped itself are never the cause.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import { DEFAULT_MASTER_ADDR, DEFAULT_MASTER_PORT, workerEnv } from "../distributed/env.js";
import { userThreadEnv } from "../engine/index.js";
import { configTable, int, string } from "../util/config-table.js";

/** `latentr3 launch`'s settings (torchrun's names). */
export const LAUNCH_CONFIG = configTable("launch", {
  nproc: int(1, "workers to start on this node (one per GPU, or CPU processes)", { min: 1 }),
  nnodes: int(1, "nodes in the job", { min: 1 }),
  nodeRank: int(0, "this node's index in [0, nnodes)", { min: 0 }),
  masterAddr: string(DEFAULT_MASTER_ADDR, "address of node 0, where rank 0 hosts the rendezvous store"),
  masterPort: int(DEFAULT_MASTER_PORT, "port of the rendezvous store on node 0", { min: 1, max: 65535 }),
});

/**
 * Thread counts for `nproc` workers sharing this machine's cores, unless the user set them (as
 * torchrun sets OMP_NUM_THREADS=1), so N workers do not each start a thread per core. One worker
 * keeps the engine's own defaults. `set` holds the variables the user (or `LaunchOptions.env`) gave.
 */
export function workerThreadEnv(
  nproc: number,
  set: { OMP_NUM_THREADS?: string; OPENBLAS_NUM_THREADS?: string },
): Record<string, string> {
  if (nproc === 1) return {};
  const each = String(Math.max(1, Math.floor(availableParallelism() / nproc)));
  return {
    ...(set.OMP_NUM_THREADS === undefined ? { OMP_NUM_THREADS: each } : {}),
    ...(set.OPENBLAS_NUM_THREADS === undefined ? { OPENBLAS_NUM_THREADS: each } : {}),
  };
}

export interface LaunchOptions {
  /** Workers on this node. */
  nprocPerNode: number;
  nnodes?: number;
  /** This node's index in [0, nnodes). */
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** The worker's program and arguments (argv[0] is the executable). */
  command: readonly string[];
  /** Extra environment for every worker (on top of this process's). */
  env?: Record<string, string>;
  /** Milliseconds between SIGTERM and SIGKILL when stopping workers (default 10 s). */
  graceMs?: number;
  /** Where prefixed worker output goes (default: this process's stdout/stderr). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface WorkerExit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchResult {
  /**
   * 0 when every worker succeeded; else the first failing worker's exit code (1 for a signal), or
   * 130 / 143 when the launcher itself got SIGINT / SIGTERM.
   */
  exitCode: number;
  workers: WorkerExit[];
  /** The first failing worker and why, e.g. "rank 1 exited with code 1: Error: …". */
  failure?: { rank: number; message: string };
  /** The signal that stopped the job, when the launcher was interrupted. */
  interrupted?: NodeJS.Signals;
}

/** Last lines a worker printed, kept to explain its failure. */
const TAIL_LINES = 20;

/** How a worker reports a collective that failed because of a peer (native/src/distributed.cc). */
const PEER_FAILURE = /failed on rank \d+ of \d+ \(/;

function validate(
  o: LaunchOptions,
): Required<Pick<LaunchOptions, "nnodes" | "nodeRank" | "masterAddr" | "masterPort">> {
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  const positive = (name: string, v: number, min: number, max = Infinity) => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new Error(`launch: ${name} must be an integer in [${min}, ${max === Infinity ? "∞" : max}], got ${v}`);
    }
  };
  positive("--nproc", o.nprocPerNode, 1);
  positive("--nnodes", nnodes, 1);
  positive("--node-rank", nodeRank, 0, nnodes - 1);
  const masterPort = o.masterPort ?? DEFAULT_MASTER_PORT;
  positive("--master-port", masterPort, 1, 65535);
  if (o.command.length === 0)
    throw new Error("launch: no worker command given (expected: launch [options] -- <command…>)");
  return { nnodes, nodeRank, masterAddr: o.masterAddr ?? DEFAULT_MASTER_ADDR, masterPort };
}

function describeExit(rank: number, code: number | null, signal: NodeJS.Signals | null, tail: string[]): string {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const last = tail.filter((l) => l.trim() !== "");
  return (
    `rank ${rank} ${how}` +
    (last.length > 0 ? `; its last output:\n${last.map((l) => `  [rank ${rank}] ${l}`).join("\n")}` : "")
  );
}

/** Starts the workers and resolves when all have exited (or the job was stopped). */
export async function launch(options: LaunchOptions): Promise<LaunchResult> {
  const { nnodes, nodeRank, masterAddr, masterPort } = validate(options);
  const n = options.nprocPerNode;
  const graceMs = options.graceMs ?? 10_000;
  const out = options.stdout ?? process.stdout;
  const err = options.stderr ?? process.stderr;
  const [program, ...args] = options.command as [string, ...string[]];

  return new Promise((resolve) => {
    const children: ChildProcess[] = [];
    const exits: (WorkerExit | undefined)[] = new Array(n).fill(undefined);
    const tails: string[][] = Array.from({ length: n }, () => []);
    const signalled = new Set<number>(); // local ranks the launcher itself stopped
    const failed: number[] = []; // local ranks that failed by themselves, in order
    let interrupted: NodeJS.Signals | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const stopAll = (signal: NodeJS.Signals) => {
      for (const [i, c] of children.entries()) {
        if (exits[i]) continue;
        signalled.add(i);
        c.kill(signal);
      }
      killTimer ??= setTimeout(() => {
        for (const [i, c] of children.entries()) if (!exits[i]) c.kill("SIGKILL");
      }, graceMs);
      killTimer.unref();
    };
    const onSignal = (signal: NodeJS.Signals) => {
      interrupted ??= signal;
      err.write(`launch: ${signal} received, stopping ${n} worker(s)\n`);
      stopAll(signal);
    };
    const onSigint = () => onSignal("SIGINT");
    const onSigterm = () => onSignal("SIGTERM");
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);

    const finish = () => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
      if (killTimer) clearTimeout(killTimer);
      const workers = exits as WorkerExit[];
      const cause = failed.find((i) => !tails[i]!.some((l) => PEER_FAILURE.test(l))) ?? failed[0];
      if (cause === undefined) {
        resolve({
          exitCode: interrupted ? 128 + (interrupted === "SIGINT" ? 2 : 15) : 0,
          workers,
          ...(interrupted ? { interrupted } : {}),
        });
        return;
      }
      const { rank, code, signal } = workers[cause]!;
      const failure = { rank, message: describeExit(rank, code, signal, tails[cause]!) };
      resolve({ exitCode: typeof code === "number" && code > 0 ? code : 1, workers, failure });
    };

    for (let localRank = 0; localRank < n; localRank++) {
      const vars = workerEnv({ nodeRank, localRank, nprocPerNode: n, nnodes, masterAddr, masterPort });
      const rank = Number(vars.RANK);
      const threads = workerThreadEnv(n, { ...userThreadEnv(), ...options.env });
      const child = spawn(program, args, {
        env: { ...process.env, ...options.env, ...threads, ...vars },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      const pipe = (stream: NodeJS.ReadableStream, to: NodeJS.WritableStream) => {
        createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
          to.write(`[rank ${rank}] ${line}\n`);
          tails[localRank]!.push(line);
          if (tails[localRank]!.length > TAIL_LINES) tails[localRank]!.shift();
        });
      };
      pipe(child.stdout!, out);
      pipe(child.stderr!, err);
      child.on("error", (e) => {
        // spawn failed (no such program): the close event follows.
        tails[localRank]!.push(`could not start ${program}: ${e.message}`);
      });
      child.on("close", (code, signal) => {
        exits[localRank] = { rank, code, signal };
        if (code !== 0 && !signalled.has(localRank) && !interrupted) {
          failed.push(localRank);
          if (failed.length === 1) {
            err.write(
              `launch: rank ${rank} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; stopping the other workers\n`,
            );
            stopAll("SIGTERM");
          }
        }
        if (exits.every((e) => e !== undefined)) finish();
      });
    }
  });
}
