/** Optimizers are libtorch's own (AdamW, SGD), with parameter groups and grad-norm clipping. */
import { N, type OptimizerHandle } from "./native.js";
import type { Tensor } from "./tensor.js";

export interface ParamGroup {
  params: Tensor[];
  lr?: number;
  weightDecay?: number;
  /** Adam and AdamW only. */
  betas?: [number, number];
  eps?: number;
  /** SGD only. */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

export type OptimizerKind = "adamw" | "adam" | "sgd";

export class Optimizer {
  readonly handle: OptimizerHandle;
  readonly kind: OptimizerKind;
  readonly params: readonly Tensor[];
  /** Each group's learning rate at construction; schedules scale these. */
  readonly baseLrs: readonly number[];

  constructor(kind: OptimizerKind, groups: ParamGroup[]) {
    if (groups.length === 0 || groups.every((g) => g.params.length === 0)) {
      throw new Error(`${kind}: no parameters to optimize`);
    }
    this.kind = kind;
    this.handle = N.optimizer(
      kind,
      groups.map((g) => ({ ...g, params: g.params.map((p) => p.handle) })),
    ) as OptimizerHandle;
    this.params = groups.flatMap((g) => g.params);
    this.baseLrs = groups.map((_, i) => N.optimizer_lr(this.handle, i) as number);
  }

  step(): void {
    N.optimizer_step(this.handle);
  }
  /** Drops the gradients (set to none, as PyTorch ≥ 2 does by default). */
  zeroGrad(): void {
    N.optimizer_zero_grad(this.handle);
  }
  get groupCount(): number {
    return this.baseLrs.length;
  }
  lr(group = 0): number {
    return N.optimizer_lr(this.handle, group) as number;
  }
  setLr(lr: number, group?: number): void {
    const groups = group === undefined ? this.baseLrs.map((_, i) => i) : [group];
    for (const g of groups) N.optimizer_set_lr(this.handle, g, lr);
  }
  /** Multiplies every group's base learning rate by `factor` (what a schedule produces). */
  scaleLr(factor: number): void {
    this.baseLrs.forEach((base, g) => N.optimizer_set_lr(this.handle, g, base * factor));
  }
  /** Writes the optimizer state (moments, step counts) in libtorch's archive format. */
  save(path: string): void {
    N.optimizer_save(this.handle, path);
  }
  load(path: string): void {
    N.optimizer_load(this.handle, path);
  }
}

export function adamW(groups: ParamGroup[] | Tensor[], defaults: Omit<ParamGroup, "params"> = {}): Optimizer {
  return new Optimizer("adamw", normalise(groups, defaults));
}

/**
 * Adam with L2 weight decay (`weightDecay · w` added to the gradient before the moments), as
 * `torch.optim.Adam`: what the sequential-recommendation baselines' papers train with.
 */
export function adam(groups: ParamGroup[] | Tensor[], defaults: Omit<ParamGroup, "params"> = {}): Optimizer {
  return new Optimizer("adam", normalise(groups, defaults));
}

export function sgd(groups: ParamGroup[] | Tensor[], defaults: Omit<ParamGroup, "params"> = {}): Optimizer {
  return new Optimizer("sgd", normalise(groups, defaults));
}

function normalise(groups: ParamGroup[] | Tensor[], defaults: Omit<ParamGroup, "params">): ParamGroup[] {
  if (groups.length > 0 && !("params" in (groups[0] as object))) {
    return [{ ...defaults, params: groups as Tensor[] }];
  }
  return (groups as ParamGroup[]).map((g) => ({ ...defaults, ...g }));
}

/** Rescales gradients so their global norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, normType = 2): number {
  return N.clip_grad_norm(
    params.map((p) => p.handle),
    maxNorm,
    normType,
  ) as number;
}
