/**
 * LatentRATT: the single-head attention read-out that turns the LLM's final (post-norm) hidden
 * states into a latent thought vector (spec §3.2). Q/K/V are Linear(d, d) with bias; its own RoPE
 * (base 1000, full width, absolute padded positions); the query is the last position; keys/values
 * are the real positions (mask = 1); scale 1/√d. No output projection, norm or residual.
 */
import { Tensor, applyRotary, arange, scaledDotProductAttention } from "../engine/index.js";
import { Linear, RotaryEmbedding, type ParamPath } from "../nn/index.js";

export const LATENT_RATT_PREFIX = "latent_ratt";
export const LATENT_RATT_ROPE_BASE = 1000;

/** LatentRATT's Q/K/V projections under `path` (created, or found when they already exist). */
function projections(path: ParamPath, dim: number, std: number): [Linear, Linear, Linear] {
  const linear = (name: string) => new Linear(path.sub(name), dim, dim, { bias: true, std });
  return [linear("q_proj"), linear("k_proj"), linear("v_proj")];
}

export class LatentRATT {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly rotary: RotaryEmbedding;

  constructor(
    path: ParamPath,
    readonly dim: number,
    std: number,
  ) {
    [this.q, this.k, this.v] = projections(path, dim, std);
    this.rotary = new RotaryEmbedding(dim, LATENT_RATT_ROPE_BASE, path.store.device);
  }

  /**
   * hidden [B, L, d] (left-padded rows; the query is column L−1), mask [B, L] (1 = real) → latent [B, d].
   */
  forward(hidden: Tensor, mask: Tensor): Tensor {
    const [b, l] = [hidden.dim(0), hidden.dim(1)];
    const positions = arange(0, l, 1, { device: hidden.device }).unsqueeze(0); // absolute padded index
    const { cos, sin } = this.rotary.tables(positions, hidden.dtype); // [1, 1, L, d]
    const q = applyRotary(
      this.q.forward(hidden.narrow(1, l - 1, 1)).unsqueeze(1),
      cos.narrow(2, l - 1, 1),
      sin.narrow(2, l - 1, 1),
    );
    const k = applyRotary(this.k.forward(hidden).unsqueeze(1), cos, sin); // [B, 1, L, d]
    const v = this.v.forward(hidden).unsqueeze(1);
    const keyMask = mask.ne(0).view([b, 1, 1, l]);
    return scaledDotProductAttention(q, k, v, { mask: keyMask }).view([b, this.dim]);
  }

  /** Adds LatentRATT's parameters to a store without building the module (so a checkpoint loads them by name). */
  static declareParameters(path: ParamPath, dim: number, std: number): void {
    projections(path, dim, std);
  }

  dispose(): void {
    this.rotary.dispose();
  }
}
