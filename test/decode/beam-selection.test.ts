/**
 * The per-prompt beam selection step on hand-worked numbers: which candidates continue, which
 * finish (EOS within the first B), how finished hypotheses are scored and replaced, and when a
 * prompt is done.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { keepBest, selectBeams, type Beam, type Candidate, type Hypothesis } from "../../src/decode/beam-selection.js";

const EOS = 99;
const beam = (row: number, sum: number, tokens: number[]): Beam => ({ row, node: 10 + row, sum, tokens });
const cand = (b: Beam, token: number, logp: number): Candidate => ({
  beam: b,
  token,
  node: 100 + token,
  sum: b.sum + logp,
});

test("selectBeams: best B non-EOS candidates continue, ranked by summed log-probability", () => {
  const a = beam(0, -1, [5]);
  const b = beam(1, -2, [6]);
  // Sums: a+7 = −1.5, a+8 = −3, b+7 = −2.2, b+9 = −2.1.
  const candidates = [cand(a, 7, -0.5), cand(a, 8, -2), cand(b, 7, -0.2), cand(b, 9, -0.1)];
  const s = selectBeams(candidates, [], { width: 2, step: 1, lengthPenalty: 1, eos: EOS });
  assert.deepEqual(
    s.continuing.map((x) => [x.row, x.tokens, x.sum]),
    [
      [0, [5, 7], -1.5],
      [1, [6, 9], -2.1],
    ],
  );
  assert.equal(s.finished.length, 0);
  assert.equal(s.done, false);
});

test("selectBeams: an EOS ranked within the first B finishes with score sum / length^lp; beyond B it is dropped", () => {
  const a = beam(0, -1, [5, 6]);
  // Ranked: EOS (−1.2, rank 0), 7 (−1.4), 8 (−1.6), EOS of b (−3, rank 3 ≥ B = 2: dropped).
  const b = beam(1, -2.5, [4]);
  const candidates = [cand(a, EOS, -0.2), cand(a, 7, -0.4), cand(a, 8, -0.6), cand(b, EOS, -0.5)];
  const bigrec = selectBeams(candidates, [], { width: 2, step: 2, lengthPenalty: 1, eos: EOS });
  assert.equal(bigrec.finished.length, 1);
  assert.deepEqual(bigrec.finished[0]!.tokens, [5, 6, EOS]);
  assert.ok(Math.abs(bigrec.finished[0]!.score - -1.2 / 3) < 1e-12); // length 3 (EOS counted)
  assert.equal(bigrec.finished[0]!.node, 100 + EOS);
  assert.deepEqual(
    bigrec.continuing.map((x) => x.tokens),
    [
      [5, 6, 7],
      [5, 6, 8],
    ],
  );
  const d3 = selectBeams(candidates, [], { width: 2, step: 2, lengthPenalty: 0, eos: EOS });
  assert.ok(Math.abs(d3.finished[0]!.score - -1.2) < 1e-12); // lp 0: the plain sum
});

test("selectBeams: done when B are finished and the best running beam cannot beat the worst finished", () => {
  const finished: Hypothesis[] = [
    { tokens: [1, EOS], sumLogProb: -1, score: -0.5, node: 1 },
    { tokens: [2, EOS], sumLogProb: -2, score: -1, node: 2 },
  ];
  const a = beam(0, -1.5, [3]);
  // Best running sum −1.8 at step 1 → −1.8 / 2 = −0.9 > −1 (worst finished): not done.
  const open = selectBeams([cand(a, 4, -0.3)], finished, { width: 2, step: 1, lengthPenalty: 1, eos: EOS });
  assert.equal(open.done, false);
  // Best running sum −2.5 / 2 = −1.25 < −1: nothing running can enter the list.
  const closed = selectBeams([cand(a, 4, -1)], finished, { width: 2, step: 1, lengthPenalty: 1, eos: EOS });
  assert.equal(closed.done, true);
  assert.deepEqual(closed.continuing, []);
  // No legal continuation at all: done.
  assert.equal(selectBeams([], [], { width: 2, step: 0, lengthPenalty: 1, eos: EOS }).done, true);
});

test("keepBest: fills to capacity, then replaces the worst only with a strictly better score", () => {
  const h = (score: number): Hypothesis => ({ tokens: [EOS], sumLogProb: score, score, node: 0 });
  let kept = keepBest([], h(-3), 2);
  kept = keepBest(kept, h(-1), 2);
  assert.deepEqual(
    kept.map((x) => x.score),
    [-3, -1],
  );
  assert.deepEqual(
    keepBest(kept, h(-3), 2).map((x) => x.score),
    [-3, -1],
  ); // a tie does not replace
  assert.deepEqual(
    keepBest(kept, h(-2), 2).map((x) => x.score),
    [-2, -1],
  );
  assert.equal(kept.length, 2); // the input is not modified
});
