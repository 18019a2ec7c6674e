/**
 * Rotary position embedding tables in the Hugging Face rotate-half convention:
 * inv_freq_i = base^(-2i/dim), angle = position · inv_freq, cos/sin = [cos(angle), cos(angle)].
 */
import { Tensor, cat, tensor } from "../engine/index.js";

export class RotaryEmbedding {
  readonly invFreq: Tensor;
  constructor(
    readonly dim: number,
    readonly base: number,
    device = "cpu",
  ) {
    // HF computes inv_freq in float32; computing it in double and rounding once differs by < 1 ulp.
    const values = Array.from({ length: dim / 2 }, (_, i) => 1 / Math.pow(base, (2 * i) / dim));
    this.invFreq = tensor(Float32Array.from(values), { device }).keep();
  }

  /** cos/sin for integer positions [B, T] → each [B, 1, T, dim] in `dtype` (ready to broadcast over heads). */
  tables(positions: Tensor, dtype: Tensor["dtype"]): { cos: Tensor; sin: Tensor } {
    const freqs = positions.to("f32").unsqueeze(-1).mul(this.invFreq); // [B, T, dim/2]
    const emb = cat([freqs, freqs], -1).unsqueeze(1); // [B, 1, T, dim]
    const cos = emb.cos().to(dtype);
    const sin = emb.sin().to(dtype);
    return { cos, sin };
  }

  dispose(): void {
    this.invFreq.dispose();
  }
}
