/**
 * Gradient accumulation: one optimizer step over a batch of 8 gives the same parameters whether the
 * batch is one micro-batch of 8 or four of 2. The loss is a token sum divided by the whole batch's
 * token count, so the micro-batches' gradients add up to the full batch's (Hugging Face's
 * num_items_in_batch semantics); padding differs between the micro-batches and must not matter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RunFolder } from "../../src/train/run-folder.js";
import { runSft } from "../../src/train/sft.js";
import { DEFAULT_SUPERVISED } from "../../src/train/supervised.js";
import { tidy } from "../../src/engine/index.js";
import { maxAbsDiff } from "../support/helpers.js";
import { tempFolder } from "../support/helpers.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

process.env.LATENTR3_QUIET = "1";

const LR = 1e-4;

test("latent SFT: batch 8 as one micro-batch of 8 or four of 2 gives the same step", async () => {
  const source = await smallSource();
  const { dir, cleanup } = tempFolder("accumulation");
  try {
    const after = async (microBatchSize: number) => {
      const rec = await tinyRecommender(source, { numLatents: 1 });
      const run = new RunFolder(join(dir, `micro-${microBatchSize}`));
      // Constant lr, no warm-up: the step is taken at the full learning rate.
      const config = { ...DEFAULT_SUPERVISED, batchSize: 8, microBatchSize, maxSteps: 1, warmupSteps: 0 };
      await runSft(rec, source.splits.train, source.splits.valid, { ...config, schedule: "constant", lr: LR }, run);
      const row = JSON.parse(readFileSync(run.path("metrics.jsonl"), "utf8").split("\n")[0]!) as {
        loss: number;
        grad_norm: number;
        tokens: number;
      };
      return { rec, row };
    };
    const whole = await after(8);
    const split = await after(2);
    assert.equal(split.row.tokens, whole.row.tokens, "the same batch");
    assert.ok(Math.abs(split.row.loss - whole.row.loss) < 1e-5 * whole.row.loss, "same batch loss");
    assert.ok(
      Math.abs(split.row.grad_norm - whole.row.grad_norm) < 1e-4 * whole.row.grad_norm,
      `same gradient norm: ${split.row.grad_norm} vs ${whole.row.grad_norm}`,
    );
    // Adam's first step is ≈ lr·g/|g| per entry, so entries with gradients near 0 amplify float
    // noise; compare the updates as a whole (relative L2 difference) and entrywise against lr.
    const init = await tinyRecommender(source, { numLatents: 1 });
    const names = [...init.model.store.params.keys()];
    assert.ok(
      names.some((n) => n.startsWith("latent_ratt.")),
      "LatentRATT trains too",
    );
    let diff2 = 0;
    let update2 = 0;
    let worst = { name: "", diff: 0 };
    for (const name of names) {
      tidy(() => {
        const p0 = init.model.store.params.get(name)!;
        const a = whole.rec.model.store.params.get(name)!.sub(p0);
        const b = split.rec.model.store.params.get(name)!.sub(p0);
        diff2 += a.sub(b).square().sum().item();
        update2 += a.square().sum().item();
        const d = maxAbsDiff(a, b);
        if (d > worst.diff) worst = { name, diff: d };
      });
    }
    assert.ok(update2 > 0, "the step moved the parameters");
    // Measured: relative difference 3e-5, largest entry 1.6e-6 (= 0.016·lr); a padding or scaling
    // mistake shows as percent-level differences.
    assert.ok(Math.sqrt(diff2 / update2) < 1e-3, `relative update difference ${Math.sqrt(diff2 / update2)}`);
    assert.ok(worst.diff < 0.1 * LR, `largest parameter difference ${worst.diff} in ${worst.name}`);
    init.dispose();
    whole.rec.dispose();
    split.rec.dispose();
  } finally {
    cleanup();
  }
});
