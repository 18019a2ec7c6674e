/**
 * Gradient checkpointing recomputes each decoder layer in backward: the gradients must be those of
 * the plain run, for BIGRec SFT, for latent SFT (whose gradient flows through the prompt's cached
 * keys/values into earlier layers), with LoRA dropout (the recomputation must draw the same masks)
 * and under bf16 autocast (the recomputation must run in the forward's precision).
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { autocast, liveCheckpointNodes, manualSeed, tidy, type Tensor } from "../../src/engine/index.js";
import type { DataSource } from "../../src/data/data-source.js";
import type { Recommender } from "../../src/latent/recommender.js";
import { applyLora, loraParameters } from "../../src/llm/lora.js";
import { collatePromptTarget } from "../../src/data/collate.js";
import { latentTargetLossSum, targetLossSum } from "../../src/train/objectives.js";
import { sftTrainable } from "../../src/train/sft.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

let source: DataSource;
before(async () => {
  source = await smallSource();
});

type Loss = (rec: Recommender) => Tensor;

const bigrec: Loss = (rec) => targetLossSum(rec.model, collatePromptTarget(rows(rec), rec.tokenizer.padId));
const latent: Loss = (rec) => latentTargetLossSum(rec.reasoner!, collatePromptTarget(rows(rec), rec.tokenizer.padId));
const rows = (rec: Recommender) => source.splits.train.slice(0, 6).map((e) => rec.trainingRow(e));

/** The gradient of every trainable parameter after one backward of `loss` (seeded for dropout). */
function gradients(
  rec: Recommender,
  loss: Loss,
  checkpointing: boolean,
  wrap = <T>(f: () => T) => f(),
): Map<string, number[]> {
  rec.model.gradientCheckpointing = checkpointing;
  manualSeed(7);
  tidy(() => wrap(() => loss(rec)).backward());
  const out = new Map<string, number[]>();
  for (const [name, p] of rec.model.store.params) {
    const g = p.grad;
    if (g)
      out.set(
        name,
        tidy(() => g.float().toList()),
      );
    g?.dispose();
    p.clearGrad();
  }
  rec.model.gradientCheckpointing = false;
  return out;
}

function assertSameGradients(a: Map<string, number[]>, b: Map<string, number[]>, rtol: number): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  assert.ok(a.size > 0);
  for (const [name, ga] of a) {
    const gb = b.get(name)!;
    const scale = Math.max(...ga.map(Math.abs), 1e-12);
    const diff = Math.max(...ga.map((v, i) => Math.abs(v - gb[i]!)));
    assert.ok(diff <= rtol * scale, `${name}: gradients differ by ${diff} (largest ${scale})`);
  }
}

test("BIGRec SFT: checkpointed gradients equal the plain run's", async () => {
  const rec = await tinyRecommender(source, { seed: 1 });
  assertSameGradients(gradients(rec, bigrec, false), gradients(rec, bigrec, true), 1e-5);
  assert.equal(liveCheckpointNodes(), 0);
  rec.dispose();
});

test("latent SFT (gradients through the cached prompt keys/values and LatentRATT): same gradients", async () => {
  const rec = await tinyRecommender(source, { numLatents: 2, seed: 2 });
  const plain = gradients(rec, latent, false);
  assert.ok([...plain.keys()].some((n) => n.startsWith("latent_ratt.")));
  assertSameGradients(plain, gradients(rec, latent, true), 1e-5);
  assert.equal(liveCheckpointNodes(), 0);
  rec.dispose();
});

test("LoRA with dropout (frozen base): the recomputation replays the dropout masks", async () => {
  const rec = await tinyRecommender(source, { numLatents: 1, seed: 3 });
  applyLora(rec.model, { rank: 4, alpha: 8, dropout: 0.3, targets: ["q_proj", "v_proj", "down_proj"] });
  // B starts at zero, which would hide a dropout mismatch in A's gradient: give it values.
  for (const p of loraParameters(rec.model)) tidy(() => p.normal_(0, 0.1));
  const trainable = new Set(sftTrainable(rec));
  for (const p of rec.model.parameters()) p.setRequiresGrad(trainable.has(p));
  const plain = gradients(rec, latent, false);
  assert.ok([...plain.keys()].every((n) => n.includes("lora_") || n.startsWith("latent_ratt.")));
  assertSameGradients(plain, gradients(rec, latent, true), 1e-5);
  // Dropout is on: another seed gives other gradients (so the check above could fail).
  rec.model.gradientCheckpointing = false;
  manualSeed(8);
  const other = new Map<string, number[]>();
  tidy(() => latent(rec).backward());
  for (const [name, p] of rec.model.store.params) {
    const g = p.grad;
    if (g)
      other.set(
        name,
        tidy(() => g.toList()),
      );
    p.clearGrad();
  }
  assert.throws(() => assertSameGradients(plain, other, 1e-5));
  rec.dispose();
});

test("under bf16 autocast the recomputation runs in bf16 too: same gradients as plain bf16", async () => {
  const rec = await tinyRecommender(source, { seed: 4 });
  const bf16 = <T>(f: () => T) => autocast("cpu", "bf16", f);
  const plain = gradients(rec, bigrec, false, bf16);
  assertSameGradients(plain, gradients(rec, bigrec, true, bf16), 1e-5);
  // The f32 gradients differ from the bf16 ones by far more than that tolerance.
  assert.throws(() => assertSameGradients(plain, gradients(rec, bigrec, false), 1e-5));
  rec.dispose();
});
