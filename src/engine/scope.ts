/**
 * Deterministic lifetime for native tensors. Node only finalizes native objects when the event loop
 * turns, so a synchronous training loop would otherwise hold every intermediate (≈130 MB per step in
 * the bake-off). `tidy` disposes every tensor created inside it except those it returns or `keep`s.
 */
import { N } from "./native.js";

/** Anything that owns a native handle and can release it now. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  readonly isKept: boolean;
}

// Open scopes, innermost last. Arrays, not Sets: a tensor is registered once, in the scope that creates
// it, and only ever moves up, so it cannot appear twice, and every op pays for this registration
// (bench/engine/dispatch.ts).
const scopes: Disposable[][] = [];

/** Registers a freshly created tensor with the innermost open scope, if any. */
export function track(t: Disposable): void {
  const top = scopes[scopes.length - 1];
  if (top) top.push(t);
}

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 4) return;
  if (typeof (value as Disposable).dispose === "function" && "isKept" in (value as object)) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, out, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor created during it, except tensors reachable from the return
 * value (arrays, Maps and plain objects are searched) and kept tensors. Returned tensors move to the
 * enclosing scope. `fn` must be synchronous: an async body would let unrelated work join the scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Disposable[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const t of scope) if (!t.isKept) t.dispose();
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    throw new Error("tidy(): the function returned a Promise; tidy only supports synchronous functions");
  }
  const escaping = new Set<Disposable>();
  collect(result, escaping);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (escaping.size > 0 && escaping.has(t)) parent?.push(t);
    else if (!t.isKept) t.dispose();
  }
  return result;
}

/** Disposes every tensor found in `value` (a tensor, array, Map or plain object of them). */
export function dispose(value: unknown): void {
  const found = new Set<Disposable>();
  collect(value, found);
  for (const t of found) t.dispose();
}

/** Runs `fn` with autograd recording switched off (inference, parameter updates, rewards). */
export function noGrad<T>(fn: () => T): T {
  const previous = N.set_grad_enabled(false) as boolean;
  try {
    return fn();
  } finally {
    N.set_grad_enabled(previous);
  }
}

/** Runs `fn` with autograd recording switched on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  const previous = N.set_grad_enabled(true) as boolean;
  try {
    return fn();
  } finally {
    N.set_grad_enabled(previous);
  }
}

/** Number of native tensors currently alive (not disposed and not yet garbage collected). */
export function liveTensorCount(): number {
  return N.live_tensors() as number;
}
