/**
 * AlphaRec: LightGCN propagation against a hand-computed 3-user, 4-item graph; InfoNCE against
 * hand-computed numbers; finite-difference gradients through the MLP, the propagation and the loss;
 * training on a tiny dataset whose target is a fixed function of the user beats the untrained model.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Generator, adam, randn, tensor } from "../../src/engine/index.js";
import { ParamStore } from "../../src/nn/index.js";
import { InteractionGraph } from "../../src/baselines/alpharec/graph.js";
import { AlphaRec, alphaRecMlp, l2Normalize, type AlphaRecConfig } from "../../src/baselines/alpharec/model.js";
import { UserVocabulary } from "../../src/baselines/vocabulary.js";
import { topItems } from "../../src/baselines/ranking.js";
import type { SequenceRow } from "../../src/baselines/sequences.js";
import { infoNce } from "../../src/train/baseline/infonce.js";
import { trainEpoch } from "../../src/train/baseline/trainer.js";
import { assertClose } from "../support/assert-close.js";
import { checkGradient } from "../support/gradcheck.js";

/** u1–{i1, i2}, u2–{i2, i3}, u3–{i3, i4}; user degrees 2, item degrees 1, 2, 2, 1. Pair u1–i1 repeated. */
function smallGraph(): InteractionGraph {
  return new InteractionGraph(3, 4, Int32Array.from([1, 1, 2, 2, 3, 3, 1]), Int32Array.from([1, 2, 2, 3, 3, 4, 1]));
}

test("fromRows: each row's user with its history and target, repeated pairs once, unknown users none", () => {
  const rows = [
    { user: 1, history: [1, 2], target: 1 },
    { user: 2, history: [2], target: 3 },
    { user: 0, history: [4], target: 4 },
  ];
  const g = InteractionGraph.fromRows(rows, 2, 4);
  assert.deepEqual([...g.edgeUsers], [1, 1, 2, 2]);
  assert.deepEqual([...g.edgeItems], [1, 2, 2, 3]);
});

test("propagation matches D^-1/2 A D^-1/2 and the LightGCN layer mean by hand", () => {
  const g = new InteractionGraph(3, 4, Int32Array.from([1, 1, 2, 2, 3, 3]), Int32Array.from([1, 2, 2, 3, 3, 4]));
  // Nodes: users 0..3 (0 unknown), items 0..4 at 4..8 (0 padding). Unknown user 5, padding item 7.
  const x = tensor([5, 1, 2, 3, 7, 10, 20, 30, 40], { shape: [9, 1] });
  const r2 = Math.SQRT2;
  // u1 = i1/√(2·1) + i2/√(2·2), i2 = u1/2 + u2/2, …
  const layer1 = [0, 10 / r2 + 10, 10 + 15, 15 + 40 / r2, 0, 1 / r2, 0.5 + 1, 1 + 1.5, 3 / r2];
  assertClose(g.step(x).flatten().toList(), layer1, { atol: 1e-5 });
  // Layer 2 by hand from layer 1: u1 = l1(i1)/√2 + l1(i2)/2, i1 = l1(u1)/√2, …
  const [u1, u2, u3, i1, i2, i3, i4] = [
    layer1[1]!,
    layer1[2]!,
    layer1[3]!,
    layer1[5]!,
    layer1[6]!,
    layer1[7]!,
    layer1[8]!,
  ];
  const layer2 = [
    0,
    i1 / r2 + i2 / 2,
    i2 / 2 + i3 / 2,
    i3 / 2 + i4 / r2,
    0,
    u1 / r2,
    u1 / 2 + u2 / 2,
    u2 / 2 + u3 / 2,
    u3 / r2,
  ];
  const x0 = x.flatten().toList();
  const mean = x0.map((v, n) => (v + layer1[n]! + layer2[n]!) / 3);
  assertClose(g.propagate(x, 2).flatten().toList(), mean, { atol: 1e-4 });
  assertClose(g.propagate(x, 0).flatten().toList(), x0);
});

test("a repeated interaction counts once (A is binary)", () => {
  const x = tensor([0, 1, 2, 3, 0, 10, 20, 30, 40], { shape: [9, 1] });
  const once = new InteractionGraph(3, 4, Int32Array.from([1, 1, 2, 2, 3, 3]), Int32Array.from([1, 2, 2, 3, 3, 4]));
  // smallGraph lists u1–i1 twice; built through fromRows it is deduplicated.
  const rows = [...smallGraph().edgeUsers].map((u, e) => ({
    user: u,
    history: [smallGraph().edgeItems[e]!],
    target: smallGraph().edgeItems[e]!,
  }));
  assertClose(InteractionGraph.fromRows(rows, 3, 4).step(x).toList(), once.step(x).toList(), { atol: 1e-6 });
});

test("user layer-0 inputs: the mean of each user's items", () => {
  const items = tensor([0, 0, 1, 2, 3, 4, 5, 6, 7, 8], { shape: [5, 2] });
  const g = new InteractionGraph(3, 4, Int32Array.from([1, 1, 2, 2, 3, 3]), Int32Array.from([1, 2, 2, 3, 3, 4]));
  assertClose(g.userMeans(items).toList(), [0, 0, 2, 3, 4, 5, 6, 7], { atol: 1e-6 });
});

test("InfoNCE by hand: −log softmax of the positive's cosine/τ among the negatives'", () => {
  const q = tensor([1, 0, 0, 1], { shape: [2, 2] });
  const p = tensor([0.6, 0.8, 0, 1], { shape: [2, 2] });
  const n = tensor([1, 0, 0, 1, 0.6, 0.8, -1, 0], { shape: [2, 2, 2] });
  // Row 1: logits [0.6, 1, 0] / 0.5 → log(e^1.2 + e^2 + 1) − 1.2 = 1.26037255…
  // Row 2: logits [1, 0.8, 0] / 0.5 → log(e^2 + e^1.6 + 1) − 2 = 0.59092359…
  assertClose([infoNce(q, p, n, 0.5).item()], [(1.2603725535673183 + 0.5909235892020361) / 2], { atol: 1e-6 });
});

test("gradients through MLP → propagation → normalisation → InfoNCE match finite differences", () => {
  const g = smallGraph();
  const gen = new Generator(3);
  const inputs = [
    randn([9, 4], { generator: gen }),
    randn([5, 4], { generator: gen }),
    randn([5], { generator: gen }),
    randn([3, 5], { generator: gen }),
    randn([3], { generator: gen }),
  ];
  const users = tensor([1, 2, 3]).to("i64");
  const positives = tensor([5, 6, 8]).to("i64");
  const negatives = tensor([6, 7, 5, 8, 7, 6]).to("i64");
  checkGradient(
    (x, w1, b1, w2, b2) => {
      const out = l2Normalize(g.propagate(alphaRecMlp(x!, w1!, b1!, w2!, b2!), 2));
      return infoNce(
        out.indexSelect(0, users),
        out.indexSelect(0, positives),
        out.indexSelect(0, negatives).view([3, 2, 3]),
        0.15,
      );
    },
    inputs,
    { atol: 1e-5, rtol: 1e-4 },
  );
});

test("training beats the untrained model on targets that are a fixed function of the user", async () => {
  const [numUsers, numItems] = [30, 20];
  const target = (u: number) => ((u * 7) % numItems) + 1;
  const rows: SequenceRow[] = [];
  for (let u = 1; u <= numUsers; u++) {
    for (let r = 0; r < 4; r++) {
      rows.push({ history: Int32Array.from([((u + 3 * r) % numItems) + 1]), target: target(u), user: u });
    }
  }
  const embeddings = randn([numItems + 1, 8], { generator: new Generator(1) }).keep();
  const config: AlphaRecConfig = {
    model_type: "alpharec",
    num_items: numItems,
    max_len: 10,
    catalogue_fingerprint: "test",
    hidden_size: 16,
    mlp_hidden_size: 16,
    lm_hidden_size: 8,
    num_layers: 2,
    temperature: 0.15,
    num_users: numUsers,
  };
  const graph = InteractionGraph.fromRows(rows, numUsers, numItems);
  const users = new UserVocabulary(Array.from({ length: numUsers }, (_, i) => `u${i + 1}`));
  const model = new AlphaRec(config, new ParamStore("cpu", "f32", 0), users, { itemEmbeddings: embeddings, graph });
  const probes = rows.filter((_, i) => i % 4 === 0);
  const hitRate = () => {
    const top = topItems(model, probes, 3);
    return probes.filter((r, i) => top[i]!.includes(r.target)).length / probes.length;
  };
  const before = hitRate();
  const optimizer = adam(model.store.parameters(), { lr: 1e-2 });
  const batches = [Array.from({ length: rows.length }, (_, i) => i)];
  for (let epoch = 0; epoch < 60; epoch++) {
    await trainEpoch(model, rows, batches, optimizer, { negatives: 8, positions: "target" }, new Generator(epoch));
  }
  const after = hitRate();
  assert.ok(after >= 0.8 && after > before + 0.3, `hit rate@3 ${before} before training, ${after} after`);
});
