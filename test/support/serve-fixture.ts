/**
 * Real servers on ephemeral loopback ports for the serve tests: the tiny random recommender over the
 * small synthetic dataset (generative), the most-popular list, or a fake recommender whose batches
 * take a chosen time and are recorded.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { FastifyInstance } from "fastify";
import type { DataSource } from "../../src/data/data-source.js";
import { buildTitleTrie } from "../../src/decode/recommend.js";
import type { TitleTrie } from "../../src/decode/title-trie.js";
import type { Recommender } from "../../src/latent/recommender.js";
import { CatalogueIndex } from "../../src/serve/catalogue-index.js";
import { generativeRecommender } from "../../src/serve/generative-kind.js";
import { popularityRecommender } from "../../src/serve/popularity-kind.js";
import type { RecommendQuery, RecommenderKind } from "../../src/serve/recommender-kind.js";
import { createServer, type ServeLimits } from "../../src/serve/server.js";
import { smallSource, tinyRecommender } from "./tiny-recommender.js";

/** Decoding settings of the served tiny model (synthetic titles are far shorter than 64 tokens). */
export const TINY_DECODE = { beams: 10, lengthPenalty: 1, maxNewTokens: 64 };

export interface TinyModel {
  source: DataSource;
  rec: Recommender;
  trie: TitleTrie;
  catalogue: CatalogueIndex;
}

export async function tinyModel(opts: { numLatents?: number } = {}): Promise<TinyModel> {
  const source = await smallSource();
  const rec = await tinyRecommender(source, { numLatents: opts.numLatents });
  const trie = buildTitleTrie(
    rec,
    source.items.map((i) => i.title),
    false,
  );
  return { source, rec, trie, catalogue: new CatalogueIndex(source.items) };
}

export interface Running {
  app: FastifyInstance;
  url: string;
}

export async function listen(
  recommender: RecommenderKind,
  catalogue: CatalogueIndex,
  limits: Partial<ServeLimits> = {},
): Promise<Running> {
  const app = createServer({ recommender, catalogue, limits });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { app, url };
}

export function generativeServer(model: TinyModel, limits: Partial<ServeLimits> = {}): Promise<Running> {
  return listen(
    generativeRecommender(model.rec, model.trie, model.catalogue, { name: "tiny", ...TINY_DECODE }),
    model.catalogue,
    limits,
  );
}

export function popularityServer(model: TinyModel, limits: Partial<ServeLimits> = {}): Promise<Running> {
  return listen(
    popularityRecommender(model.source.splits.train, model.catalogue, { maxK: 10 }),
    model.catalogue,
    limits,
  );
}

/** A recommender that answers the first k catalogue items after busy-waiting `ms` per batch, recording batch sizes. */
export function fakeRecommender(catalogue: CatalogueIndex, items: { id: number; title: string }[], ms: number) {
  const batches: number[] = [];
  const kind: RecommenderKind = {
    name: "fake",
    kind: "fake",
    maxK: 5,
    readsHistory: true,
    lengthPenalties: null,
    settings: { ms },
    recommendBatch(queries: readonly RecommendQuery[]) {
      batches.push(queries.length);
      const start = Date.now();
      while (Date.now() - start < ms); // synchronous, like a libtorch decode
      return queries.map((q) => items.slice(0, q.k).map((i, rank) => ({ itemId: i.id, title: i.title, score: -rank })));
    },
  };
  return { kind, batches, catalogue };
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the API under test
  text: string;
}

/**
 * One request on a fresh connection with node:http, sent as soon as it connects. (fetch would also
 * do, but it takes several turns of the event loop to send, and a test sharing the loop with a
 * server that blocks it for a batch per turn would then trickle its requests in.)
 */
export function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, body, text });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

export function postRecommend(url: string, body: unknown, contentType = "application/json"): Promise<HttpAnswer> {
  return request(`${url}/v1/recommend`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
