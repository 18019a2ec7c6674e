/**
 * SASRec (original, pre-LN and post-LN blocks), GRU4Rec and Caser against their PyTorch references on fixed random weights
 * (test/fixtures/baselines, made by scripts/reference/baselines_reference.py from PyTorch's own
 * MultiheadAttention, GRU, Conv2d and LayerNorm modules): the padded batch, the queries at every
 * position, the final query, the scores of every item and the BCE objective on fixed negatives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { noGrad, type Tensor } from "../../src/engine/index.js";
import { loadBaseline, scoreAllItems, sequenceBatch, type SequenceRow } from "../../src/baselines/index.js";
import { bceObjective } from "../../src/train/baseline/objective.js";
import { repoRoot } from "../support/helpers.js";
import { readFixtureTensors } from "../support/fixture-tensors.js";
import { assertClose } from "../support/assert-close.js";

function rowsOf(io: Map<string, Tensor>): SequenceRow[] {
  const histories = io.get("histories")!;
  const width = histories.dim(1);
  const flat = histories.toList();
  const targets = io.get("targets")!.toList();
  const users = io.get("users")!.toList();
  return targets.map((target, r) => ({
    history: Int32Array.from(flat.slice(r * width, (r + 1) * width).filter((v) => v >= 0)),
    target,
    user: users[r]!,
  }));
}

const TOLERANCE = { atol: 2e-5, rtol: 1e-4 };

for (const fixture of ["sasrec", "sasrec-pre", "sasrec-post", "gru4rec", "caser"]) {
  test(`${fixture}: batch, queries, scores and BCE objective match the PyTorch reference`, () => {
    const dir = join(repoRoot, "test", "fixtures", "baselines", fixture);
    const io = readFixtureTensors(join(dir, "io.safetensors"));
    const model = loadBaseline(dir);
    const batch = sequenceBatch(rowsOf(io), { maxLen: model.config.max_len, padding: model.padding });
    assert.deepEqual(batch.items.toList(), io.get("items")!.toList(), "padded items");
    assert.deepEqual(batch.nextItems.toList(), io.get("next_items")!.toList(), "next items");
    noGrad(() => {
      const opts = { training: false };
      assertClose(model.finalQuery(batch, opts).toList(), io.get("final_query")!.toList(), TOLERANCE, "final query");
      assertClose(scoreAllItems(model, batch).toList(), io.get("scores")!.toList(), TOLERANCE, "scores");
      const expected = io.get("sequence_queries");
      assert.equal(Boolean(model.sequenceQueries), Boolean(expected));
      if (expected) {
        const got = model.sequenceQueries!(batch, opts);
        // Padding positions hold implementation-defined values: compare real positions only.
        const real = batch.items.ne(0).unsqueeze(-1).to("f64");
        assertClose(got.to("f64").mul(real).toList(), expected.mul(real).toList(), TOLERANCE, "sequence queries");
      }
      const positions = expected ? "all" : "target";
      const loss = bceObjective(model, batch, io.get("negatives")!, positions, opts).item();
      assertClose([loss], [io.get("loss")!.item()], TOLERANCE, "loss");
    });
  });
}

test("a SASRec config.json without norm (saved before the field existed) loads as the original design", () => {
  const config = loadBaseline(join(repoRoot, "test", "fixtures", "baselines", "sasrec")).config as { norm?: string };
  assert.equal(config.norm, "original");
});
