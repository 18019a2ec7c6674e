/**
 * Per-layer key/value cache for incremental decoding. Appending concatenates (so gradients can
 * flow through cached prompt states when training the latent path); beam search reorders and
 * expands rows with index_select.
 */
import { Tensor, cat, int64 } from "../engine/index.js";

/** Where a layer's attention puts this step's keys/values and reads back everything to attend over. */
export interface KVAppend {
  append(layer: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor };
}

/** Cached keys/values followed by this step's ([B, Hkv, T, D], concatenated along T). */
export function appendKV(past: { k: Tensor; v: Tensor } | null, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
  return past ? { k: cat([past.k, k], 2), v: cat([past.v, v], 2) } : { k, v };
}

export class KVCache implements KVAppend {
  keys: (Tensor | null)[];
  values: (Tensor | null)[];

  constructor(readonly layers: number) {
    this.keys = new Array<Tensor | null>(layers).fill(null);
    this.values = new Array<Tensor | null>(layers).fill(null);
  }

  /** Number of cached positions (0 when empty). */
  get length(): number {
    const k = this.keys[0];
    return k ? k.dim(2) : 0;
  }

  get batchSize(): number {
    const k = this.keys[0];
    return k ? k.dim(0) : 0;
  }

  /** Appends this step's k/v ([B, Hkv, T, D]) for `layer`; returns the full k/v to attend over. */
  append(layer: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const next = appendKV(this.past(layer), k, v);
    this.replace(layer, next.k, next.v);
    return next;
  }

  /** The cached keys/values of `layer`, or null before its first append. */
  past(layer: number): { k: Tensor; v: Tensor } | null {
    const k = this.keys[layer];
    const v = this.values[layer];
    return k && v ? { k, v } : null;
  }

  /** Sets `layer`'s cached keys/values (kept), freeing the previous ones. */
  replace(layer: number, k: Tensor, v: Tensor): void {
    const pk = this.keys[layer];
    const pv = this.values[layer];
    this.keys[layer] = k.keep();
    this.values[layer] = v.keep();
    if (pk && pk !== k) pk.dispose();
    if (pv && pv !== v) pv.dispose();
  }

  /** Keeps rows `rows` (beam reordering / expansion): row i of the result is old row rows[i]. */
  selectRows(rows: Tensor | readonly number[]): void {
    const index = Array.isArray(rows) ? int64(rows as number[], undefined, this.keys[0]?.device) : (rows as Tensor);
    for (let l = 0; l < this.layers; l++) {
      const k = this.keys[l];
      const v = this.values[l];
      if (k && v) this.replace(l, k.indexSelect(0, index), v.indexSelect(0, index));
    }
    if (index !== rows) index.dispose();
  }

  /** Repeats every row `times` times consecutively (one prompt → its beams). */
  repeatRows(times: number): void {
    const n = this.batchSize;
    this.selectRows(Array.from({ length: n * times }, (_, i) => Math.floor(i / times)));
  }

  /** Detaches cached tensors from the autograd graph (after a no-grad prefill they already are). */
  detach(): void {
    for (let l = 0; l < this.layers; l++) {
      const k = this.keys[l];
      const v = this.values[l];
      if (k && v) this.replace(l, k.detach(), v.detach());
    }
  }

  /**
   * An independent cache over the same cached states (autograd links kept). Safe because appending
   * concatenates into new tensors and never writes into shared storage.
   */
  fork(): KVCache {
    const c = new KVCache(this.layers);
    for (let l = 0; l < this.layers; l++) {
      const k = this.keys[l];
      const v = this.values[l];
      c.keys[l] = k ? k.view(k.shape).keep() : null;
      c.values[l] = v ? v.view(v.shape).keep() : null;
    }
    return c;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
  }
}
