/**
 * AlphaRec's user–item training graph and its LightGCN propagation (He et al., SIGIR 2020, as
 * AlphaRec's code uses it): the symmetric normalised adjacency Â = D^-1/2 A D^-1/2 of the bipartite
 * graph, applied K times to the layer-0 representations, and the mean of the K + 1 layer outputs.
 *
 * Node layout: users 0..U (0 = a user training never saw: no edges), then items 0..N at U + 1 + i
 * (item 0 = padding: no edges). An isolated node keeps its layer-0 row in layer 0 and is zero after,
 * exactly what Â gives a node without edges (its degree's inverse square root is set to 0, as in
 * the original code).
 *
 * Â is applied as index_select over the edge sources, a multiply by the edge weights and index_add
 * into the destinations, so autograd flows through it with existing engine ops.
 */
import { int64, stack, tensor, zeros, type Device, type Tensor } from "../../engine/index.js";

export class InteractionGraph {
  /** Number of nodes: (U + 1) users and (N + 1) items. */
  readonly nodes: number;
  /** Directed edges (both directions of every user–item pair) and their weights 1/√(d_u d_i). */
  private readonly src: Tensor;
  private readonly dst: Tensor;
  private readonly weight: Tensor;

  /**
   * `edgeUsers[e]`–`edgeItems[e]` are the distinct interactions (user index 1..U, item index 1..N);
   * a repeated pair is counted once (A is binary).
   */
  constructor(
    readonly numUsers: number,
    readonly numItems: number,
    readonly edgeUsers: Int32Array,
    readonly edgeItems: Int32Array,
    device: Device = "cpu",
  ) {
    if (edgeUsers.length !== edgeItems.length) {
      throw new Error(`interaction graph: ${edgeUsers.length} edge users but ${edgeItems.length} edge items`);
    }
    this.nodes = numUsers + 1 + numItems + 1;
    const userDegree = new Float64Array(numUsers + 1);
    const itemDegree = new Float64Array(numItems + 1);
    for (let e = 0; e < edgeUsers.length; e++) {
      const [u, i] = [edgeUsers[e]!, edgeItems[e]!];
      if (!(u >= 1 && u <= numUsers) || !(i >= 1 && i <= numItems)) {
        throw new Error(
          `interaction graph: edge ${e} (user ${u}, item ${i}) is outside users 1..${numUsers}, items 1..${numItems}`,
        );
      }
      userDegree[u]!++;
      itemDegree[i]!++;
    }
    const e = edgeUsers.length;
    const src = new Array<number>(2 * e);
    const dst = new Array<number>(2 * e);
    const w = new Float32Array(2 * e);
    for (let k = 0; k < e; k++) {
      const u = edgeUsers[k]!;
      const i = numUsers + 1 + edgeItems[k]!;
      const weight = 1 / Math.sqrt(userDegree[u]! * itemDegree[edgeItems[k]!]!);
      [src[k], dst[k], w[k]] = [u, i, weight];
      [src[e + k], dst[e + k], w[e + k]] = [i, u, weight];
    }
    this.src = int64(src, [2 * e], device).keep();
    this.dst = int64(dst, [2 * e], device).keep();
    this.weight = tensor(w, { shape: [2 * e, 1], device }).keep();
  }

  /** The distinct (user, item) pairs of training rows: each row's user with its history items and target. */
  static fromRows(
    rows: readonly { user: number; history: ArrayLike<number>; target: number }[],
    numUsers: number,
    numItems: number,
    device: Device = "cpu",
  ): InteractionGraph {
    const seen = new Set<number>();
    const users: number[] = [];
    const items: number[] = [];
    for (const row of rows) {
      if (row.user === 0) continue; // a row without a known user adds no edges
      for (const item of [...Array.from(row.history), row.target]) {
        const key = row.user * (numItems + 1) + item;
        if (seen.has(key)) continue;
        seen.add(key);
        users.push(row.user);
        items.push(item);
      }
    }
    return new InteractionGraph(numUsers, numItems, Int32Array.from(users), Int32Array.from(items), device);
  }

  /** Â x for node rows x [V, D]. */
  step(x: Tensor): Tensor {
    const messages = x.indexSelect(0, this.src).mul(this.weight);
    return zeros([this.nodes, x.dim(1)], { dtype: x.dtype, device: x.device }).indexAdd(0, this.dst, messages);
  }

  /** LightGCN: mean of x, Âx, …, Â^K x. */
  propagate(x: Tensor, layers: number): Tensor {
    const outputs = [x];
    for (let k = 0; k < layers; k++) outputs.push(this.step(outputs[k]!));
    return layers === 0 ? x : stack(outputs, 1).mean(1);
  }

  /** Mean of `itemRows` [N + 1, F] over each user's items → [U + 1, F] (row 0 and users without items: zero). */
  userMeans(itemRows: Tensor): Tensor {
    const u = int64(Array.from(this.edgeUsers), [this.edgeUsers.length], itemRows.device);
    const i = int64(Array.from(this.edgeItems), [this.edgeItems.length], itemRows.device);
    const opts = { dtype: itemRows.dtype, device: itemRows.device };
    const sums = zeros([this.numUsers + 1, itemRows.dim(1)], opts).indexAdd(0, u, itemRows.indexSelect(0, i));
    const counts = zeros([this.numUsers + 1, 1], opts).indexAdd(0, u, zeros([u.dim(0), 1], opts).add(1));
    return sums.div(counts.clamp(1));
  }

  dispose(): void {
    for (const t of [this.src, this.dst, this.weight]) t.dispose();
  }
}
