/**
 * Does decoding a request in a batch change its answer? For N test users, the evaluator's decoding
 * (`recommend`, constrained beam search, beam 10) once per user alone and once in batches of B
 * consecutive users, as the server's dynamic batching forms them (arrival order, one search each).
 * Prints how many users' ranked lists differ (order, or the set of items), the largest score
 * difference, and the smallest gap between two adjacent scores of a list (a batch can only reorder
 * hypotheses closer than the float noise). Also times both.
 *
 * The model is a randomly initialised preset over the CDs data (the synthetic dataset when CDs is
 * absent), or a trained model folder with `--model` (and `--data synthetic` for one trained on the
 * embedded synthetic dataset).
 *
 *   npm run build:ts && nice -n 10 node dist/bench/serve/batch-identity.js [--preset tiny] [--users 256]
 *     [--batch 8] [--latent 0] [--seed 1] [--model DIR [--data synthetic]]
 */
import { loadDataSource } from "../../src/data/data-source.js";
import { recommend } from "../../src/decode/recommend.js";
import { buildTitleTrie } from "../../src/decode/recommend.js";
import { Recommender } from "../../src/latent/recommender.js";
import { intOption, option } from "../support/args.js";
import { environment, loadBenchData } from "../support/setup.js";

const preset = option("preset", "tiny");
const modelDir = option("model", "");
const users = intOption("users", 256);
const batch = intOption("batch", 8);
const latent = intOption("latent", 0);
const DECODE = { beams: 10, lengthPenalty: 1, maxNewTokens: 128 };

async function setup(): Promise<{
  rec: Recommender;
  source: Awaited<ReturnType<typeof loadDataSource>>;
  what: string;
}> {
  if (modelDir) {
    const source = option("data", "") === "synthetic" ? await loadDataSource() : (await loadBenchData()).source;
    const rec = await Recommender.load(modelDir, option("latent", "") === "" ? {} : { numLatents: latent });
    return { rec, source, what: `${modelDir} (trained)` };
  }
  const data = await loadBenchData();
  const rec = Recommender.create(
    preset,
    data.tokenizer,
    { phrase: data.source.phrase, numLatents: latent },
    { seed: intOption("seed", 1) },
  );
  return { rec, source: data.source, what: `${preset}, random init` };
}

const { rec, source, what } = await setup();
const trie = buildTitleTrie(
  rec,
  source.items.map((i) => i.title),
);
const examples = source.splits.test.slice(0, users);

let t0 = performance.now();
const alone = recommend(rec, trie, examples, { ...DECODE, batchSize: 1 });
const aloneMs = performance.now() - t0;
t0 = performance.now();
// As the server batches: consecutive arrivals together (not sorted by prompt length), one search per batch.
const batched = { titles: [] as string[][], scores: [] as number[][] };
for (let i = 0; i < examples.length; i += batch) {
  const chunk = examples.slice(i, i + batch);
  const out = recommend(rec, trie, chunk, { ...DECODE, batchSize: chunk.length });
  batched.titles.push(...out.titles);
  batched.scores.push(...out.scores);
}
const batchedMs = performance.now() - t0;

let orderDiffers = 0;
let setDiffers = 0;
let maxDiff = 0;
let minGap = Infinity;
examples.forEach((_, u) => {
  const [a, b] = [alone.titles[u]!, batched.titles[u]!];
  if (a.join("\n") !== b.join("\n")) orderDiffers++;
  if ([...a].sort().join("\n") !== [...b].sort().join("\n")) setDiffers++;
  a.forEach((title, r) => {
    if (b[r] === title) maxDiff = Math.max(maxDiff, Math.abs(alone.scores[u]![r]! - batched.scores[u]![r]!));
    if (r > 0) minGap = Math.min(minGap, alone.scores[u]![r - 1]! - alone.scores[u]![r]!);
  });
});
const env = environment();
console.log(
  `${what}${rec.meta.numLatents > 0 ? ` with ${rec.meta.numLatents} latent thought(s)` : ""}, ${source.name} (${source.items.length} items), ` +
    `${examples.length} users, batches of ${batch} vs alone: ranked list differs for ${orderDiffers}, item set differs for ${setDiffers}; ` +
    `max |Δscore| ${maxDiff.toExponential(2)}; smallest adjacent score gap ${minGap.toExponential(2)}; ` +
    `${(aloneMs / examples.length).toFixed(0)} ms/user alone, ${(batchedMs / examples.length).toFixed(0)} ms/user batched ` +
    `(${(aloneMs / batchedMs).toFixed(2)}×); load ${env.load1}`,
);
console.log(
  JSON.stringify({
    bench: "serve/batch-identity",
    model: what,
    latent: rec.meta.numLatents,
    users: examples.length,
    batch,
    orderDiffers,
    setDiffers,
    maxDiff,
    minGap,
    aloneMs,
    batchedMs,
    ...env,
  }),
);
