/**
 * One server of the serve benchmark, in its own process so its memory is measured alone: a randomly
 * initialised model of a preset over the CDs data (or the synthetic dataset when CDs is absent), the
 * title trie, and the HTTP server on a loopback port. Prints one JSON line with the URL, then serves
 * until SIGTERM.
 *
 *   node dist/bench/serve/server-child.js --preset tiny --max-batch 8 --max-wait 10
 */
import { buildTitleTrie } from "../../src/decode/recommend.js";
import { Recommender } from "../../src/latent/recommender.js";
import { CatalogueIndex } from "../../src/serve/catalogue-index.js";
import { generativeRecommender } from "../../src/serve/generative-kind.js";
import { createServer } from "../../src/serve/server.js";
import { intOption, option } from "../support/args.js";
import { loadBenchData } from "../support/setup.js";

const data = await loadBenchData();
const preset = option("preset", "tiny");
const rec = Recommender.create(preset, data.tokenizer, { phrase: data.source.phrase }, { seed: 1 });
const trie = buildTitleTrie(
  rec,
  data.source.items.map((i) => i.title),
);
const catalogue = new CatalogueIndex(data.source.items);
const recommender = generativeRecommender(rec, trie, catalogue, {
  name: `${preset} (random init)`,
  beams: 10,
  lengthPenalty: 1,
  maxNewTokens: intOption("max-new-tokens", 128),
});
const app = createServer({
  recommender,
  catalogue,
  limits: { maxBatchSize: intOption("max-batch", 8), maxWaitMs: intOption("max-wait", 10), maxQueue: 1024 },
});
const url = await app.listen({ host: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ url, pid: process.pid, data: data.source.name, items: catalogue.size }));
process.once("SIGTERM", () => void app.close().then(() => rec.dispose()));
