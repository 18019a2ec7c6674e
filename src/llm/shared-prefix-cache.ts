/**
 * The decoding cache of beam search with the prompt stored once per prompt. Every beam of a prompt
 * shares the prompt's keys/values, yet a plain cache holds them once per beam, appends by copying
 * the whole cache (cat) and reorders beams by copying it again (index_select): two copies of
 * rows × prompt length × head size per layer and step, 60% of decoding time on long Amazon prompts
 * (bench/latency). Here the prompt's keys/values stay [prompts, Hkv, P, D], never copied; only the
 * generated tokens' are kept per row, and attention is computed in two blocks, prompt and generated,
 * joined in one softmax. The prompt block reads each prompt's keys once for all of its beams: the
 * queries of a prompt's rows are laid out side by side ([prompts, Hkv, slots·groups, D]) as grouped
 * heads are. The same arithmetic as attention over the concatenated keys, in another order.
 */
import { cat, int64, zeros, type Tensor } from "../engine/index.js";
import type { KVCache } from "./kv-cache.js";

/** A layer's cache that computes the attention itself (rather than handing back keys/values to attend over). */
export interface AttendingCache {
  /** Stores this step's keys/values and returns `q`'s attention over the cache and them: [B, H, T, D]. */
  attend(layer: number, q: Tensor, k: Tensor, v: Tensor, mask: Tensor): Tensor;
}

export class SharedPrefixCache implements AttendingCache {
  private readonly prefixK: Tensor[];
  private readonly prefixV: Tensor[];
  private readonly genK: (Tensor | null)[];
  private readonly genV: (Tensor | null)[];
  /** The prompt of each row. */
  private rowPrompt: number[];
  /** Per (prompt, slot) the row whose query goes there, or `rows` (a zero row) for an empty slot. */
  private slotRow!: Tensor;
  /** Per row its (prompt, slot) position, prompt·slots + slot. */
  private rowSlot!: Tensor;
  private slots = 1;

  /** Takes over `primed`'s keys/values (one row per prompt) as the shared prompt; `primed` is left empty. */
  constructor(primed: KVCache) {
    this.prefixK = primed.keys.map((k) => k!.keep());
    this.prefixV = primed.values.map((v) => v!.keep());
    primed.keys.fill(null);
    primed.values.fill(null);
    this.genK = this.prefixK.map(() => null);
    this.genV = this.prefixK.map(() => null);
    this.rowPrompt = Array.from({ length: this.prompts }, (_, p) => p);
    this.layout();
  }

  private get prompts(): number {
    return this.prefixK[0]!.dim(0);
  }

  /** Cached positions: the prompt's and the generated ones. */
  get length(): number {
    return this.prefixK[0]!.dim(2) + (this.genK[0]?.dim(2) ?? 0);
  }

  get batchSize(): number {
    return this.rowPrompt.length;
  }

  /** Keeps rows `parents` (beam reordering / forking): row i becomes old row parents[i]. Rows of a prompt stay contiguous. */
  selectRows(parents: readonly number[]): void {
    const index = int64(parents as number[], undefined, this.prefixK[0]!.device);
    for (let l = 0; l < this.genK.length; l++) {
      const [k, v] = [this.genK[l], this.genV[l]];
      if (k && v) this.replace(l, k.indexSelect(0, index), v.indexSelect(0, index));
    }
    index.dispose();
    this.rowPrompt = parents.map((p) => this.rowPrompt[p]!);
    this.layout();
  }

  /** Recomputes the slot layout: slot s of prompt p holds p's s-th row. */
  private layout(): void {
    const rows = this.rowPrompt.length;
    const perPrompt = new Array<number>(this.prompts).fill(0);
    const rowSlot = this.rowPrompt.map((p) => perPrompt[p]!++);
    this.slots = Math.max(1, ...perPrompt);
    const slotRow = new Array<number>(this.prompts * this.slots).fill(rows);
    rowSlot.forEach((s, r) => (slotRow[this.rowPrompt[r]! * this.slots + s] = r));
    this.slotRow?.dispose();
    this.rowSlot?.dispose();
    const device = this.prefixK[0]!.device;
    this.slotRow = int64(slotRow, undefined, device).keep();
    this.rowSlot = int64(
      rowSlot.map((s, r) => this.rowPrompt[r]! * this.slots + s),
      undefined,
      device,
    ).keep();
  }

  private replace(layer: number, k: Tensor, v: Tensor): void {
    this.genK[layer]?.dispose();
    this.genV[layer]?.dispose();
    this.genK[layer] = k.keep();
    this.genV[layer] = v.keep();
  }

  /** Rows [R, Hkv, n, X] → [prompts, Hkv, slots·n, X]: each prompt's rows side by side, empty slots zero. */
  private bySlot(x: Tensor): Tensor {
    const [, hkv, n, w] = x.shape as [number, number, number, number];
    const padded = cat([x, zeros([1, hkv, n, w], { dtype: x.dtype, device: x.device })], 0).indexSelect(
      0,
      this.slotRow,
    );
    return padded
      .reshape([this.prompts, this.slots, hkv, n, w])
      .permute(0, 2, 1, 3, 4)
      .reshape([this.prompts, hkv, this.slots * n, w]);
  }

  /** The inverse of `bySlot` for the rows that exist: [prompts, Hkv, slots·n, X] → [R, Hkv, n, X]. */
  private byRow(x: Tensor, n: number): Tensor {
    const [, hkv, , w] = x.shape as [number, number, number, number];
    return x
      .reshape([this.prompts, hkv, this.slots, n, w])
      .permute(0, 2, 1, 3, 4)
      .reshape([this.prompts * this.slots, hkv, n, w])
      .indexSelect(0, this.rowSlot);
  }

  attend(layer: number, q: Tensor, k: Tensor, v: Tensor, mask: Tensor): Tensor {
    const [rows, heads, t, d] = q.shape as [number, number, number, number];
    const kvHeads = k.dim(1);
    const gk = this.genK[layer];
    const gv = this.genV[layer];
    this.replace(layer, gk ? cat([gk, k], 2) : k, gv ? cat([gv, v], 2) : v);
    const genK = this.genK[layer]!;
    const genV = this.genV[layer]!;
    const prefixLength = this.prefixK[layer]!.dim(2);
    // Grouped-query heads folded into the query axis of their KV head, as Attention.forward does.
    const n = (heads / kvHeads) * t;
    const folded = q.reshape([rows, kvHeads, n, d]);
    const scale = 1 / Math.sqrt(d);
    const prompt = this.byRow(this.bySlot(folded).matmul(this.prefixK[layer]!.transpose(2, 3)), n);
    const generated = folded.matmul(genK.transpose(2, 3));
    // mask [R, 1, T, P+G] (true = may attend) is the same for every head of a query position.
    const foldedMask = t > 1 && n > t ? mask.repeat([1, 1, n / t, 1]) : mask;
    const probs = cat([prompt, generated], 3)
      .mul(scale)
      .maskedFill(foldedMask.logicalNot(), -Infinity)
      .softmax(3, "f32")
      .to(q.dtype);
    const fromPrompt = this.byRow(this.bySlot(probs.narrow(3, 0, prefixLength)).matmul(this.prefixV[layer]!), n);
    const fromGenerated = probs.narrow(3, prefixLength, genK.dim(2)).matmul(genV);
    return fromPrompt.add(fromGenerated).reshape([rows, heads, t, d]);
  }

  dispose(): void {
    for (const x of [...this.prefixK, ...this.prefixV, ...this.genK, ...this.genV]) x?.dispose();
    this.slotRow.dispose();
    this.rowSlot.dispose();
  }
}
