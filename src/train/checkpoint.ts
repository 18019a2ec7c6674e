/**
 * Training checkpoints that survive a kill at any moment: each checkpoint is a folder written
 * completely under a temporary name and renamed into place, then `latest.json` is replaced
 * atomically to point at it. A resumed run restores parameters, optimizer moments and the trainer
 * state (step, data position, early-stopping bookkeeping).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { noGrad, type Optimizer } from "../engine/index.js";
import { openSafetensors, writeSafetensors } from "../engine/safetensors.js";
import { loadEntry, toTensorData } from "../engine/tensor-io.js";
import type { ParamStore } from "../nn/index.js";
import { writeJsonAtomic } from "../util/atomic-file.js";

/** Which parameters a checkpoint holds: a name prefix ("" = all) or a predicate on names. */
export type ParamSelection = string | ((name: string) => boolean);

export interface CheckpointState {
  step: number;
  [key: string]: unknown;
}

export class CheckpointManager {
  readonly dir: string;

  constructor(
    runDir: string,
    /** How many step checkpoints to keep (the best one, if marked, is kept separately). */
    readonly keep = 2,
  ) {
    this.dir = join(runDir, "checkpoints");
    mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Saves parameters (all, those under a name prefix, or those a predicate selects), optimizer state
   * and trainer state.
   */
  save(
    name: string,
    store: ParamStore,
    optimizer: Optimizer | null,
    state: CheckpointState,
    select: ParamSelection = "",
  ): string {
    const final = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const named =
      typeof select === "string" ? store.namedParameters(select) : store.namedParameters().filter(([n]) => select(n));
    writeSafetensors(join(tmp, "params.safetensors"), toTensorData(named));
    if (optimizer) optimizer.save(join(tmp, "optimizer.pt"));
    writeJsonAtomic(join(tmp, "state.json"), state);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    writeJsonAtomic(join(this.dir, "latest.json"), { name, step: state.step });
    this.prune(name);
    return final;
  }

  /** The latest complete checkpoint's name, if any. */
  latest(): string | undefined {
    const p = join(this.dir, "latest.json");
    if (!existsSync(p)) return undefined;
    const { name } = JSON.parse(readFileSync(p, "utf8")) as { name: string };
    return existsSync(join(this.dir, name, "state.json")) ? name : undefined;
  }

  /** Restores parameters (by name) and optimizer state; returns the trainer state. */
  load<S extends CheckpointState>(name: string, store: ParamStore, optimizer: Optimizer | null): S {
    const dir = join(this.dir, name);
    const file = openSafetensors(join(dir, "params.safetensors"));
    try {
      for (const [pname, entry] of file.entries) {
        const param = store.params.get(pname);
        if (!param) throw new Error(`checkpoint ${dir} has parameter ${pname} that the model does not`);
        const t = loadEntry(entry, { device: store.device, dtype: store.dtype });
        noGrad(() => param.copy_(t));
        t.dispose();
      }
    } finally {
      file.close();
    }
    if (optimizer && existsSync(join(dir, "optimizer.pt"))) optimizer.load(join(dir, "optimizer.pt"));
    return JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as S;
  }

  /** Copies parameters only (e.g. the best checkpoint at the end of training). */
  loadParams(name: string, store: ParamStore): void {
    this.load(name, store, null);
  }

  /**
   * Removes every checkpoint (steps, best, latest.json, temporaries left by a kill): a fresh run in
   * a used folder must not resume from, or restore the "best" of, an earlier run. True if any existed.
   */
  clear(): boolean {
    const names = readdirSync(this.dir);
    for (const n of names) rmSync(join(this.dir, n), { recursive: true, force: true });
    return names.length > 0;
  }

  has(name: string): boolean {
    return existsSync(join(this.dir, name, "state.json"));
  }

  private prune(justWritten: string): void {
    const steps = readdirSync(this.dir)
      .filter((n) => /^step-\d+$/.test(n))
      .sort();
    for (const n of steps.slice(0, Math.max(0, steps.length - this.keep))) {
      if (n !== justWritten) rmSync(join(this.dir, n), { recursive: true, force: true });
    }
  }
}

export function stepName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}
