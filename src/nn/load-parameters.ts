/**
 * Loading a store's parameters from checkpoint tensors by name (names are the checkpoint's names, see
 * param-store.ts), with strict checks: every parameter present with its shape, no unknown tensors.
 */
import { noGrad, type Tensor } from "../engine/index.js";
import { loadEntry } from "../engine/tensor-io.js";
import type { TensorEntry } from "../engine/safetensors.js";
import type { ParamStore } from "./param-store.js";

/**
 * Copies every parameter of `store` from `entries`. `where` names the checkpoint in errors; tensors
 * whose name starts with one of `tolerated` may be present without a matching parameter.
 */
export function loadParameters(
  store: ParamStore,
  entries: ReadonlyMap<string, TensorEntry>,
  where: string,
  tolerated: readonly string[] = [],
): void {
  const missing = [...store.params.keys()].filter((n) => !entries.has(n));
  if (missing.length > 0) {
    throw new Error(
      `${where}: the checkpoint lacks ${missing.length} parameter(s): ${missing.slice(0, 20).join(", ")}${missing.length > 20 ? ", …" : ""}`,
    );
  }
  const unexpected = [...entries.keys()].filter((n) => !store.params.has(n) && !tolerated.some((p) => n.startsWith(p)));
  if (unexpected.length > 0) {
    throw new Error(
      `${where}: the checkpoint has ${unexpected.length} tensor(s) the model does not: ${unexpected.slice(0, 20).join(", ")}`,
    );
  }
  for (const [name, param] of store.params) copyEntry(param, name, entries.get(name)!, store, where);
}

/**
 * Copies each named entry into the store's parameter of that name (a partial load: LoRA factors,
 * LatentRATT); a name the store lacks or a shape mismatch is an error naming `where`.
 */
export function loadNamedParameters(store: ParamStore, entries: Iterable<[string, TensorEntry]>, where: string): void {
  for (const [name, entry] of entries) {
    const param = store.params.get(name);
    if (!param) throw new Error(`${where}: holds ${name}, which the model does not have`);
    copyEntry(param, name, entry, store, where);
  }
}

function copyEntry(param: Tensor, name: string, entry: TensorEntry, store: ParamStore, where: string): void {
  if (entry.shape.join(",") !== param.shape.join(",")) {
    throw new Error(
      `${where}: ${name} has shape [${entry.shape}] in the checkpoint but the config implies [${param.shape}]`,
    );
  }
  const loaded = loadEntry(entry, { device: store.device, dtype: store.dtype });
  noGrad(() => param.copy_(loaded));
  loaded.dispose();
}
