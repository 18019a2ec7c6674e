/**
 * Child process of sasrec.ts: our SASRec on the benchmark shape. Times training epochs (BCE with one
 * sampled negative per position, dropout on, Adam; the same `trainEpoch` the trainer runs) and the
 * full-ranking evaluation (scores of every item for every test user, top 20), and prints one JSON line.
 */
import { Generator, adam, engineInfo } from "../../src/engine/index.js";
import { ItemVocabulary, baselineConfig, createBaseline, topItems } from "../../src/baselines/index.js";
import { trainEpoch } from "../../src/train/baseline/trainer.js";
import { argNumber } from "../common/args.js";
import { benchRow, CDS_SHAPE, type BenchShape } from "./shapes.js";

const argv = process.argv.slice(2);
const shape: BenchShape = Object.fromEntries(
  Object.entries(CDS_SHAPE).map(([k, v]) => [
    k,
    argNumber(
      argv,
      k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      v,
    ),
  ]),
) as unknown as BenchShape;
const epochs = argNumber(argv, "epochs", 2);
const evalRepeats = argNumber(argv, "eval-repeats", 2);

const vocab = new ItemVocabulary(Array.from({ length: shape.items }, (_, id) => ({ id, title: `item ${id}` })));
const config = baselineConfig("sasrec", vocab, null, {
  hidden_size: shape.hidden,
  num_blocks: shape.blocks,
  num_heads: shape.heads,
  max_len: shape.maxLen,
});
const model = createBaseline(config, { seed: 0 });
const rows = Array.from({ length: shape.rows }, (_, r) => ({ ...benchRow(r, shape), user: 0 }));
const evalRows = Array.from({ length: shape.evalRows }, (_, r) => ({ ...benchRow(r + shape.rows, shape), user: 0 }));
const batches: number[][] = [];
for (let i = 0; i < rows.length; i += shape.batch) {
  batches.push(Array.from({ length: Math.min(shape.batch, rows.length - i) }, (_, j) => i + j));
}
const optimizer = adam(model.store.parameters(), { lr: 1e-3, betas: [0.9, 0.98] });
const generator = new Generator(1);
const training = { negatives: 1, positions: "all" as const };

const epochMs: number[] = [];
const losses: number[] = [];
for (let e = 0; e <= epochs; e++) {
  const start = performance.now();
  losses.push(await trainEpoch(model, rows, batches, optimizer, training, generator));
  if (e > 0) epochMs.push(performance.now() - start); // epoch 0 warms up
}
const evalMs: number[] = [];
for (let i = 0; i <= evalRepeats; i++) {
  const start = performance.now();
  topItems(model, evalRows, 20, shape.evalBatch);
  if (i > 0) evalMs.push(performance.now() - start);
}

console.log(
  JSON.stringify({
    bench: "sasrec_ts",
    engine: engineInfo(),
    model: {
      num_items: shape.items,
      hidden_size: shape.hidden,
      num_blocks: shape.blocks,
      num_heads: shape.heads,
      max_len: shape.maxLen,
      params: model.store.numParameters(),
    },
    epoch_ms: epochMs,
    eval_ms: evalMs,
    losses,
  }),
);
