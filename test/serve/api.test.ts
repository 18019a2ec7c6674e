/**
 * The HTTP contract against a real server on an ephemeral loopback port, serving the tiny random
 * recommender (and the most-popular list): response shapes, agreement with the evaluator's
 * decoding, the 4xx answers to bad input, catalogue search, health and metrics.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { recommend } from "../../src/decode/recommend.js";
import { titlePopularity } from "../../src/eval/popularity-baseline.js";
import { popularityRecommender } from "../../src/serve/popularity-kind.js";
import { createServer } from "../../src/serve/server.js";
import {
  generativeServer,
  popularityServer,
  postRecommend,
  request,
  tinyModel,
  TINY_DECODE,
  type Running,
  type TinyModel,
} from "../support/serve-fixture.js";

let model: TinyModel;
let server: Running;
let popular: Running;

before(async () => {
  model = await tinyModel();
  server = await generativeServer(model);
  popular = await popularityServer(model);
});

after(async () => {
  await server.app.close();
  await popular.app.close();
  model.rec.dispose();
});

const history = () => model.source.splits.test[0]!.history;

test("POST /v1/recommend answers k catalogue items best first, as the evaluator's decoding does", async () => {
  for (const lengthPenalty of [1, 0]) {
    const titles = history().map((i) => i.title);
    const answer = await postRecommend(server.url, { history: titles, k: 10, lengthPenalty });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers["content-type"], "application/json; charset=utf-8");
    assert.deepEqual(Object.keys(answer.body).sort(), ["items", "latency_ms", "model"]);
    assert.equal(answer.body.model, "tiny");
    assert.ok(answer.body.latency_ms >= 0);
    // The request was decoded alone: the same computation as `recommend` with batches of one.
    const direct = recommend(model.rec, model.trie, [{ history: history() }], {
      ...TINY_DECODE,
      lengthPenalty,
      batchSize: 1,
    });
    assert.deepEqual(
      answer.body.items.map((i: { title: string }) => i.title),
      direct.titles[0]!.map((t) => model.catalogue.itemForTitle(t)!.title),
    );
    assert.deepEqual(
      answer.body.items.map((i: { score: number }) => i.score),
      direct.scores[0],
    );
    for (const item of answer.body.items) {
      assert.deepEqual(Object.keys(item).sort(), ["item_id", "score", "title"]);
      assert.equal(model.catalogue.resolve(item.item_id)?.title, item.title);
    }
  }
});

test("a history given by item ids, by titles, or mixed gets the same answer; k cuts the list", async () => {
  const ids = history().map((i) => i.id);
  const byTitle = await postRecommend(server.url, { history: history().map((i) => i.title), k: 10 });
  const byId = await postRecommend(server.url, { history: ids, k: 10 });
  const mixed = await postRecommend(server.url, { history: [history()[0]!.title, ...ids.slice(1)] });
  const three = await postRecommend(server.url, { history: ids, k: 3 });
  assert.deepEqual(byId.body.items, byTitle.body.items);
  assert.deepEqual(mixed.body.items, byTitle.body.items); // k defaults to 10
  assert.deepEqual(three.body.items, byTitle.body.items.slice(0, 3));
});

const BAD: { what: string; body: unknown; contentType?: string; status: number; message: RegExp }[] = [
  { what: "malformed JSON", body: '{"history": [1, 2', status: 400, message: /not valid JSON/ },
  { what: "empty body", body: "", status: 400, message: /body cannot be empty|must be object/i },
  { what: "JSON null", body: "null", status: 400, message: /body must be object/ },
  { what: "JSON array", body: "[1, 2]", status: 400, message: /body must be object/ },
  { what: "no history", body: { k: 3 }, status: 400, message: /missing the required field "history"/ },
  { what: "empty history", body: { history: [] }, status: 400, message: /body\/history is empty/ },
  { what: "history not a list", body: { history: "Blue" }, status: 400, message: /body\/history must be array/ },
  {
    what: "history entry of a wrong type",
    body: { history: [true] },
    status: 400,
    message: /history\/0 must be string or integer/,
  },
  { what: "negative item id", body: { history: [-1] }, status: 400, message: /history\/0 must be >= 0/ },
  {
    what: "fractional item id",
    body: { history: [1.5] },
    status: 400,
    message: /history\/0 must be string or integer/,
  },
  {
    what: "empty title",
    body: { history: [""] },
    status: 400,
    message: /history\/0 must NOT have fewer than 1 characters/,
  },
  {
    what: "huge title",
    body: { history: ["x".repeat(1001)] },
    status: 400,
    message: /history\/0 must NOT have more than 1000/,
  },
  {
    what: "too long a history",
    body: { history: new Array(51).fill(1) },
    status: 400,
    message: /history must NOT have more than 50 items/,
  },
  { what: "k as a string", body: { history: [1], k: "3" }, status: 400, message: /body\/k must be integer/ },
  { what: "k fractional", body: { history: [1], k: 2.5 }, status: 400, message: /body\/k must be integer/ },
  { what: "k zero", body: { history: [1], k: 0 }, status: 400, message: /body\/k must be >= 1/ },
  { what: "k above the beam width", body: { history: [1], k: 11 }, status: 400, message: /body\/k must be <= 10/ },
  {
    what: "length penalty not 0 or 1",
    body: { history: [1], lengthPenalty: 0.5 },
    status: 400,
    message: /lengthPenalty must be one of 0, 1/,
  },
  {
    what: "length penalty as text",
    body: { history: [1], lengthPenalty: "0" },
    status: 400,
    message: /lengthPenalty must be number/,
  },
  { what: "unknown field", body: { history: [1], user: "u1" }, status: 400, message: /unknown field "user"/ },
  { what: "prototype pollution", body: '{"history": [1], "__proto__": {"k": 1}}', status: 400, message: /./ },
  {
    what: "text/plain",
    body: '{"history": [1]}',
    contentType: "text/plain",
    status: 415,
    message: /Unsupported Media Type/i,
  },
  {
    what: "form",
    body: "history=1",
    contentType: "application/x-www-form-urlencoded",
    status: 415,
    message: /Unsupported Media Type/i,
  },
  {
    what: "body over the limit",
    body: JSON.stringify({ history: ["x".repeat(70_000)] }),
    status: 413,
    message: /too large/,
  },
];

test("bad input gets a clear 4xx, and the server keeps serving", async () => {
  for (const c of BAD) {
    const answer = await postRecommend(server.url, c.body, c.contentType);
    assert.equal(answer.status, c.status, `${c.what}: ${answer.text}`);
    assert.equal(answer.body.statusCode, c.status, c.what);
    assert.match(answer.body.message, c.message, c.what);
  }
  const alive = await request(`${server.url}/healthz`);
  assert.equal(alive.status, 200);
});

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("nothing a client sends crashes the server: mangled, hostile and odd bodies get 4xx (or 200)", async () => {
  const rand = random(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const valid = JSON.stringify({ history: history().map((i) => i.id), k: 3 });
  const odd: unknown[] = [
    null,
    true,
    -0,
    1e308,
    -1,
    2 ** 53 + 1,
    "",
    "\ud800",
    "💿 Ünïcödé",
    [],
    {},
    [[[]]],
    { k: 1 },
    "0",
  ];
  const bodies: string[] = [
    "[".repeat(60_000), // deeper than any parser stack, under the body limit
    '{"history": [' + "1,".repeat(20_000) + "1]}",
    '{"history": [1], "k": 3, "k": "3"}', // duplicate key: the last one wins, a type error
    "\u0000\u0001",
    '{"constructor": {"prototype": {"k": 1}}, "history": [1]}',
  ];
  for (let i = 0; i < 60; i++) {
    const cut = Math.floor(rand() * valid.length);
    const bytes = Array.from({ length: 1 + Math.floor(rand() * 40) }, () =>
      String.fromCharCode(Math.floor(rand() * 256)),
    ).join("");
    bodies.push(
      valid.slice(0, cut), // truncated
      valid.slice(0, cut) + bytes + valid.slice(cut), // garbage inserted
      JSON.stringify({ history: [pick(odd), pick(odd)], k: pick(odd) }),
      JSON.stringify({ history: pick(odd), lengthPenalty: pick(odd) }),
    );
  }
  for (const body of bodies) {
    const answer = await postRecommend(server.url, body);
    assert.ok(
      [200, 400, 413].includes(answer.status),
      `${answer.status} for ${JSON.stringify(body.slice(0, 80))}: ${answer.text}`,
    );
    if (answer.status !== 200) assert.match(answer.body.message, /\S/);
  }
  assert.equal((await request(`${server.url}/healthz`)).status, 200);
});

test("unknown titles and ids are all listed in the error", async () => {
  const answer = await postRecommend(server.url, { history: ["No Such Album", history()[0]!.id, 99_999] });
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.body.unknown, [
    { index: 0, value: "No Such Album" },
    { index: 2, value: 99_999 },
  ]);
  assert.match(
    answer.body.message,
    /2 entries not in the catalogue: "No Such Album" \(history\[0\]\), 99999 \(history\[2\]\)/,
  );
});

test("unknown routes and methods get a JSON 404", async () => {
  for (const [method, path] of [
    ["GET", "/v1/recommend"],
    ["GET", "/v2/anything"],
    ["DELETE", "/healthz"],
  ]) {
    const answer = await request(`${server.url}${path}`, { method });
    assert.equal(answer.status, 404, `${method} ${path}`);
    assert.match(answer.body.message, /no route/);
  }
});

test("GET /v1/items searches catalogue titles for the autocomplete", async () => {
  const word = model.source.items[0]!.title.split(" ")[0]!;
  const answer = await request(`${server.url}/v1/items?q=${encodeURIComponent(word.toLowerCase())}&limit=5`);
  assert.equal(answer.status, 200);
  assert.ok(answer.body.items.length > 0 && answer.body.items.length <= 5);
  for (const item of answer.body.items) {
    assert.ok(item.title.toLowerCase().includes(word.toLowerCase()));
    assert.equal(model.catalogue.resolve(item.item_id)?.title, item.title);
  }
  const none = await request(`${server.url}/v1/items?q=zzzzqqq`);
  assert.deepEqual(none.body, { items: [] });
  for (const bad of ["", "?q=", "?q=a&limit=0", "?q=a&limit=51", "?q=a&limit=ten"]) {
    const answer = await request(`${server.url}/v1/items${bad}`);
    assert.equal(answer.status, 400, bad);
    assert.match(answer.body.message, /querystring/, bad);
  }
});

test("GET /healthz reports the model and its settings", async () => {
  const answer = await request(`${server.url}/healthz`);
  assert.equal(answer.status, 200);
  assert.equal(answer.body.status, "ok");
  assert.equal(answer.body.model, "tiny");
  assert.equal(answer.body.kind, "generative");
  assert.equal(answer.body.max_k, 10);
  assert.deepEqual(answer.body.length_penalties, { allowed: [0, 1], default: 1 });
  assert.equal(answer.body.catalogue_items, model.source.items.length);
  assert.deepEqual(answer.body.queue, { depth: 0, decoding: false });
});

test("GET /metrics counts requests by status, batches and queue depth in Prometheus text format", async () => {
  const scrape = async () => (await request(`${server.url}/metrics`)).text;
  const value = (text: string, series: string) => {
    const line = text.split("\n").find((l) => l.startsWith(series + " "));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  const ok = 'latentr3_http_requests_total{method="POST",route="/v1/recommend",status="200"}';
  const bad = 'latentr3_http_requests_total{method="POST",route="/v1/recommend",status="400"}';
  const before = await scrape();
  await postRecommend(server.url, { history: [history()[0]!.id], k: 2 });
  await postRecommend(server.url, { history: [], k: 2 });
  await postRecommend(server.url, { history: [1], k: 99 });
  const answer = await request(`${server.url}/metrics`);
  assert.match(answer.headers["content-type"]!, /^text\/plain; version=0\.0\.4/);
  const now = answer.text;
  assert.equal(value(now, ok) - value(before, ok), 1);
  assert.equal(value(now, bad) - value(before, bad), 2);
  assert.equal(value(now, "latentr3_batch_size_count") - value(before, "latentr3_batch_size_count"), 1);
  assert.equal(value(now, "latentr3_queue_depth"), 0);
  assert.ok(value(now, 'latentr3_http_request_duration_seconds_count{method="POST",route="/v1/recommend"}') >= 3);
  assert.ok(value(now, "process_resident_memory_bytes") > 0);
});

test("the most-popular server answers without a history and refuses decoding settings", async () => {
  const expected = titlePopularity(model.source.splits.train, 10);
  for (const body of [{ history: [] }, { history: [history()[0]!.id], k: 4 }]) {
    const answer = await postRecommend(popular.url, body);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.model, "popularity");
    assert.deepEqual(
      answer.body.items.map((i: { title: string; score: number }) => [i.title, i.score]),
      expected.slice(0, body.k ?? 10).map((p) => [model.catalogue.itemForTitle(p.title)!.title, p.count]),
    );
  }
  const lp = await postRecommend(popular.url, { history: [1], lengthPenalty: 0 });
  assert.equal(lp.status, 400);
  assert.match(lp.body.message, /lengthPenalty applies to beam-search decoding only/);
  assert.equal((await postRecommend(popular.url, { history: [], k: 11 })).status, 400);
});

test("GET / serves the web page and its script", async () => {
  const page = await request(`${server.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers["content-type"]!, /text\/html/);
  assert.match(page.text, /<script type="module" src="app.js">/);
  const script = await request(`${server.url}/app.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers["content-type"]!, /javascript/);
  assert.equal((await request(`${server.url}/../package.json`)).status, 404);
});

test("createServer refuses limits outside SERVE_LIMITS, naming the setting", () => {
  const recommender = popularityRecommender(model.source.splits.train, model.catalogue, { maxK: 10 });
  assert.throws(
    () => createServer({ recommender, catalogue: model.catalogue, limits: { maxBatchSize: 0 } }),
    /maxBatchSize must be ≥ 1, got 0/,
  );
});
