/** The tensor engine: a typed TypeScript façade over libtorch. */
export { Tensor, Generator, isDtype, type TensorLike } from "./tensor.js";
export type { DType, Device, AnyTypedArray } from "./dtype.js";
export { bytesPerElement, isFloat } from "./dtype.js";
export { tidy, dispose, noGrad, enableGrad, liveTensorCount } from "./scope.js";
export * from "./create.js";
export * from "./functional.js";
export { Optimizer, adamW, adam, sgd, clipGradNorm, type ParamGroup, type OptimizerKind } from "./optim.js";
export * from "./schedule.js";
export * from "./runtime.js";
export { gradientCheckpoint, isTrainingForward, liveCheckpointNodes } from "./grad-checkpoint.js";
export { autocast, type AutocastDtype } from "./autocast.js";
export {
  CollectiveGroup,
  collectiveBackends,
  type CollectiveBackend,
  type CollectiveGroupOptions,
} from "./collectives.js";
