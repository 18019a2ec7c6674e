/** Multi-process data parallelism on libtorch's c10d (Gloo on CPU, NCCL on CUDA), launched like torchrun. */
export {
  distributedEnv,
  isRankZeroProcess,
  workerEnv,
  DEFAULT_MASTER_ADDR,
  DEFAULT_MASTER_PORT,
  type DistributedEnv,
} from "./env.js";
export { DistributedSampler, shardOf, unshard } from "./sampler.js";
export {
  ProcessGroup,
  DISTRIBUTED_CONFIG,
  chooseBackend,
  rankDevice,
  timeoutFromEnv,
  DEFAULT_TIMEOUT_MS,
} from "./process-group.js";
export { DataParallel, type DataParallelOptions } from "./data-parallel.js";
