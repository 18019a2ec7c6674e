/**
 * Path-named parameter store (the tch-rs VarStore pattern): a module creates its parameters through
 * a path such as `root.sub("model").sub("layers").sub(0)`, so parameter names *are* the Hugging Face
 * checkpoint names and loading a checkpoint is a name lookup.
 */
import { Generator, Tensor, full, rand, randn, tidy, type DType, type Device } from "../engine/index.js";

export type Init =
  { kind: "normal"; std: number } | { kind: "uniform"; bound: number } | { kind: "constant"; value: number };

export const normalInit = (std: number): Init => ({ kind: "normal", std });
/** U(-bound, bound): PyTorch's default for Linear / Conv / GRU weights and biases. */
export const uniformInit = (bound: number): Init => ({ kind: "uniform", bound });
export const zerosInit: Init = { kind: "constant", value: 0 };
export const onesInit: Init = { kind: "constant", value: 1 };

export class ParamStore {
  readonly params = new Map<string, Tensor>();
  readonly generator: Generator;

  constructor(
    readonly device: Device = "cpu",
    readonly dtype: DType = "f32",
    seed = 0,
  ) {
    this.generator = new Generator(seed);
  }

  root(): ParamPath {
    return new ParamPath(this, []);
  }

  /** Creates (or returns, if it exists) the parameter `name`. Parameters are kept out of `tidy` scopes. */
  create(name: string, shape: readonly number[], init: Init): Tensor {
    const existing = this.params.get(name);
    if (existing) {
      if (existing.shape.join(",") !== shape.join(",")) {
        throw new Error(`parameter ${name} exists with shape [${existing.shape}] but [${shape}] was requested`);
      }
      return existing;
    }
    let t: Tensor;
    if (init.kind !== "constant") {
      // Sample in f32 with the store's seeded generator so runs are reproducible across dtypes.
      t = tidy(() => {
        const f =
          init.kind === "normal"
            ? randn(shape, { generator: this.generator }).mul(init.std)
            : rand(shape, { generator: this.generator })
                .mul(2 * init.bound)
                .sub(init.bound);
        return f.to({ dtype: this.dtype, device: this.device });
      });
    } else {
      t = full(shape, init.value, { dtype: this.dtype, device: this.device });
    }
    t.keep().setRequiresGrad(true);
    this.params.set(name, t);
    return t;
  }

  /** Removes and frees the parameter `name` (e.g. LoRA factors once merged into their weight). */
  remove(name: string): void {
    const t = this.params.get(name);
    if (!t) throw new Error(`no parameter ${name} to remove`);
    t.dispose();
    this.params.delete(name);
  }

  /** Parameters whose name starts with `prefix` (all when omitted), in creation order. */
  parameters(prefix = ""): Tensor[] {
    return [...this.params.entries()].filter(([n]) => n.startsWith(prefix)).map(([, t]) => t);
  }

  namedParameters(prefix = ""): [string, Tensor][] {
    return [...this.params.entries()].filter(([n]) => n.startsWith(prefix));
  }

  /** Switches gradient tracking for every parameter under `prefix` (freezing = false). */
  setTrainable(prefix: string, trainable: boolean): void {
    for (const [, t] of this.namedParameters(prefix)) t.setRequiresGrad(trainable);
  }

  numParameters(prefix = ""): number {
    return this.parameters(prefix).reduce((n, t) => n + t.size, 0);
  }

  /** Frees every parameter's storage. */
  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
  }
}

export class ParamPath {
  constructor(
    readonly store: ParamStore,
    readonly parts: readonly string[],
  ) {}

  sub(name: string | number): ParamPath {
    return new ParamPath(this.store, [...this.parts, String(name)]);
  }

  /** Full dotted name of a parameter under this path. */
  name(leaf: string): string {
    return [...this.parts, leaf].join(".");
  }

  param(leaf: string, shape: readonly number[], init: Init): Tensor {
    return this.store.create(this.name(leaf), shape, init);
  }
}
