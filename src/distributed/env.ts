/**
 * The torchrun environment contract, so any scheduler (torchrun, Slurm scripts, Kubernetes
 * operators, our own `latentr3 launch`) can start workers: RANK, LOCAL_RANK, WORLD_SIZE,
 * LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT. A process without WORLD_SIZE is a single process.
 */

export interface DistributedEnv {
  /** Global rank in [0, worldSize). */
  rank: number;
  /** Rank on this node: which GPU the worker takes. */
  localRank: number;
  worldSize: number;
  /** Workers on this node. */
  localWorldSize: number;
  /** Host of rank 0's rendezvous store. */
  masterAddr: string;
  masterPort: number;
}

export const DEFAULT_MASTER_ADDR = "127.0.0.1";
export const DEFAULT_MASTER_PORT = 29500;

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number | undefined, min: number, max = Infinity): number {
  const raw = env[name];
  if (raw === undefined || raw === "") {
    if (fallback === undefined) throw new Error(`distributed environment: ${name} is not set (expected an integer)`);
    return fallback;
  }
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new Error(`distributed environment: ${name}=${JSON.stringify(raw)} is not an integer ${range}`);
  }
  return v;
}

/**
 * The worker's place in a distributed job, read from torchrun's variables; undefined when WORLD_SIZE
 * is unset (a plain single-process run). MASTER_ADDR and MASTER_PORT default to torchrun's
 * single-node defaults (127.0.0.1:29500).
 */
export function distributedEnv(env: Env = process.env): DistributedEnv | undefined {
  if (env.WORLD_SIZE === undefined || env.WORLD_SIZE === "") return undefined;
  const worldSize = integer(env, "WORLD_SIZE", undefined, 1);
  const rank = integer(env, "RANK", undefined, 0, worldSize - 1);
  const localWorldSize = integer(env, "LOCAL_WORLD_SIZE", worldSize, 1, worldSize);
  const localRank = integer(env, "LOCAL_RANK", rank % localWorldSize, 0, localWorldSize - 1);
  const masterAddr = env.MASTER_ADDR || DEFAULT_MASTER_ADDR;
  const masterPort = integer(env, "MASTER_PORT", DEFAULT_MASTER_PORT, 1, 65535);
  return { rank, localRank, worldSize, localWorldSize, masterAddr, masterPort };
}

/** Whether this process prints a command's closing line: rank 0 of a job, or a plain single process. */
export function isRankZeroProcess(env: Env = process.env): boolean {
  return (distributedEnv(env)?.rank ?? 0) === 0;
}

/** The variables that place worker `localRank` of node `nodeRank` in a job (what a launcher sets). */
export function workerEnv(o: {
  nodeRank: number;
  localRank: number;
  nprocPerNode: number;
  nnodes: number;
  masterAddr: string;
  masterPort: number;
}): Record<string, string> {
  return {
    RANK: String(o.nodeRank * o.nprocPerNode + o.localRank),
    LOCAL_RANK: String(o.localRank),
    WORLD_SIZE: String(o.nnodes * o.nprocPerNode),
    LOCAL_WORLD_SIZE: String(o.nprocPerNode),
    GROUP_RANK: String(o.nodeRank),
    MASTER_ADDR: o.masterAddr,
    MASTER_PORT: String(o.masterPort),
  };
}
