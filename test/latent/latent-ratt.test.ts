import { test } from "node:test";
import assert from "node:assert/strict";
import { noGrad, tensor, tidy } from "../../src/engine/index.js";
import { ParamStore } from "../../src/nn/index.js";
import { LatentRATT } from "../../src/latent/latent-ratt.js";

/** Plain-JS LatentRATT for one row: the spec's §3.2 equations, written independently of the engine. */
function referenceReadout(
  H: number[][],
  mask: number[],
  W: Record<"q" | "k" | "v", number[][]>,
  B: Record<"q" | "k" | "v", number[]>,
): number[] {
  const d = H[0]!.length;
  const proj = (x: number[], w: number[][], b: number[]) =>
    w.map((row, o) => row.reduce((s, wi, i) => s + wi * x[i]!, b[o]!));
  const rope = (x: number[], pos: number) => {
    const half = d / 2;
    return x.map((xi, j) => {
      const i = j % half;
      const angle = pos * Math.pow(1000, (-2 * i) / d);
      const rotated = j < half ? -x[j + half]! : x[j - half]!;
      return xi * Math.cos(angle) + rotated * Math.sin(angle);
    });
  };
  const L = H.length;
  const q = rope(proj(H[L - 1]!, W.q, B.q), L - 1);
  const scores = H.map((h, j) =>
    mask[j] ? rope(proj(h, W.k, B.k), j).reduce((s, kj, i) => s + kj * q[i]!, 0) / Math.sqrt(d) : -Infinity,
  );
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const z = e.reduce((a, b) => a + b, 0);
  const out = new Array<number>(d).fill(0);
  H.forEach((h, j) => {
    if (!mask[j]) return;
    const v = proj(h, W.v, B.v);
    for (let i = 0; i < d; i++) out[i]! += (e[j]! / z) * v[i]!;
  });
  return out;
}

test("LatentRATT matches a hand-written read-out (RoPE base 1000 on absolute positions, masked keys)", () => {
  const d = 4;
  const store = new ParamStore("cpu", "f64", 3);
  const ratt = new LatentRATT(store.root().sub("latent_ratt"), d, 0.5);
  // Non-zero biases so a missing bias would be caught.
  noGrad(() => store.parameters().forEach((p) => p.normal_(0, 0.5)));
  const get = (n: string) => store.params.get(`latent_ratt.${n}`)!.toList();
  const mat = (flat: number[]) => Array.from({ length: d }, (_, o) => flat.slice(o * d, o * d + d));
  const W = { q: mat(get("q_proj.weight")), k: mat(get("k_proj.weight")), v: mat(get("v_proj.weight")) };
  const B = { q: get("q_proj.bias"), k: get("k_proj.bias"), v: get("v_proj.bias") };
  const rows = [
    [
      [0.3, -1.2, 0.5, 0.9],
      [1.1, 0.2, -0.4, 0.0],
      [-0.7, 0.8, 1.5, -0.3],
      [0.2, 0.1, -0.9, 1.4],
    ],
    [
      [9, 9, 9, 9],
      [0.5, -0.5, 0.25, 1.0],
      [0.1, 0.3, -1.1, 0.6],
      [-0.2, 1.3, 0.4, -0.8],
    ],
  ];
  const masks = [
    [1, 1, 1, 1],
    [0, 1, 1, 1], // row 1 is left-padded: its garbage first position must not matter
  ];
  // Rotary tables are computed in f32 as Hugging Face does, hence 1e-6 rather than f64 precision.
  tidy(() => {
    const out = ratt.forward(tensor(rows, { dtype: "f64" }), tensor(masks, { dtype: "i64" })).toList();
    rows.forEach((H, r) => {
      const expected = referenceReadout(H, masks[r]!, W, B);
      expected.forEach((x, i) =>
        assert.ok(Math.abs(out[r * d + i]! - x) < 1e-6, `row ${r} dim ${i}: ${out[r * d + i]} vs ${x}`),
      );
    });
  });
  ratt.dispose();
  store.dispose();
});
