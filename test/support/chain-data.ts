/**
 * A synthetic dataset whose next item is a fixed function of the previous one: item i is always
 * followed by item (7·i + 3) mod N (a permutation when gcd(7, N) = 1). A model that learns the
 * transition predicts every target exactly; a model that cannot read the last item cannot.
 */
import type { Example, Item } from "../../src/data/types.js";
import { Rng } from "../../src/data/rng.js";

export interface ChainData {
  items: Item[];
  train: Example[];
  valid: Example[];
  test: Example[];
}

export function nextInChain(id: number, n: number): number {
  return (7 * id + 3) % n;
}

/** Users with random start items and sequences of `length` items; rows are sliding windows (history ≤ 10). */
export function chainData(opts: { items?: number; users?: number; length?: number; seed?: number } = {}): ChainData {
  const n = opts.items ?? 50;
  const users = opts.users ?? 200;
  const length = opts.length ?? 12;
  const rng = new Rng(opts.seed ?? 5);
  const items: Item[] = Array.from({ length: n }, (_, id) => ({ id, title: `item ${id}` }));
  const rowsOf = (u: number): Example[] => {
    const seq = [rng.int(n)];
    while (seq.length < length) seq.push(nextInChain(seq[seq.length - 1]!, n));
    return seq.slice(1).map((id, t) => ({
      userId: `u${u}`,
      history: seq.slice(Math.max(0, t + 1 - 10), t + 1).map((h) => items[h]!),
      target: items[id]!,
    }));
  };
  const all = Array.from({ length: users }, (_, u) => rowsOf(u));
  const cut = Math.floor(users * 0.7);
  const mid = Math.floor(users * 0.85);
  return {
    items,
    train: all.slice(0, cut).flat(),
    // Held-out users, one row each (their last), so selection and test never share a user with training.
    valid: all.slice(cut, mid).map((rows) => rows[rows.length - 1]!),
    test: all.slice(mid).map((rows) => rows[rows.length - 1]!),
  };
}
