/**
 * The recommendation HTTP API on Fastify: routes with JSON-schema validation, the dynamic batcher
 * in front of the recommender, Prometheus metrics and the static web page.
 *
 *   POST /v1/recommend   { history: [title | item id, ...], k?, lengthPenalty? } → { items, model, latency_ms }
 *   GET  /v1/items?q=    catalogue titles containing q (the page's autocomplete)
 *   GET  /healthz        liveness and the model's settings
 *   GET  /metrics        Prometheus text format
 *   GET  /               the web page (src/serve/web/, served as is)
 */
import { existsSync } from "node:fs";
import { STATUS_CODES } from "node:http";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import fastifyStatic from "@fastify/static";
import { DrainingError, DynamicBatcher, QueueFullError, QueueTimeoutError, type BatcherOptions } from "./batcher.js";
import type { CatalogueIndex } from "./catalogue-index.js";
import { createServeMetrics } from "./metrics.js";
import type { RecommendQuery, RecommenderKind, ScoredItem } from "./recommender-kind.js";
import { configTable, int, type ConfigOf } from "../util/config-table.js";

/** The server's limits, declared once (defaults, bounds, help, the `latentr3 serve` options). */
export const SERVE_LIMITS = configTable("serving limits", {
  maxBatchSize: int(8, "requests decoded together at most (1 = no batching)", { min: 1 }),
  maxWaitMs: int(10, "how long the first queued request waits for others to join its batch", { min: 0 }),
  maxQueue: int(256, "requests waiting at most (more get 429)", { min: 1 }),
  queueTimeoutMs: int(60_000, "a request not decoded within this time gets 503 (0 = no limit)", { min: 0 }),
  bodyLimit: int(64 * 1024, "largest request body in bytes (larger: 413)", { min: 1 }),
  maxHistory: int(50, "most history entries per request", { min: 1 }),
  requestTimeoutMs: int(
    30_000,
    "time allowed to receive a whole request, headers and body (slower: 408; 0 = no limit)",
    {
      min: 0,
    },
  ),
});
export type ServeLimits = ConfigOf<typeof SERVE_LIMITS> & BatcherOptions;

export interface ServerOptions {
  recommender: RecommenderKind;
  catalogue: CatalogueIndex;
  limits?: Partial<ServeLimits>;
  /** Fastify's logger (pino) options; off by default. */
  logger?: FastifyServerOptions["logger"];
}

/** The page's files, served as they are in the source tree (no build step). */
export const WEB_ROOT = fileURLToPath(new URL("../../../src/serve/web/", import.meta.url));

/** Fields of a recommendation request, for the error naming an unknown one. */
const RECOMMEND_FIELDS = ["history", "k", "lengthPenalty"];

/** An error answered with its status code and message (and extra fields, e.g. the unknown titles). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface RecommendBody {
  history: (string | number)[];
  k: number;
  lengthPenalty?: number;
}

/** Validation errors say which field is wrong and what was expected. */
function schemaErrorMessage(errors: ErrorObject[], context: string): string {
  const e = errors[0]!;
  const where = `${context}${e.instancePath}`;
  switch (e.keyword) {
    case "additionalProperties":
      return `${where} has an unknown field "${String(e.params.additionalProperty)}" (expected only ${RECOMMEND_FIELDS.join(", ")})`;
    case "required":
      return `${where} is missing the required field "${String(e.params.missingProperty)}"`;
    case "type":
      return `${where} must be ${String(e.params.type).replace(",", " or ")}`;
    default:
      return `${where} ${e.message ?? "is invalid"}`;
  }
}

export function createServer(opts: ServerOptions): FastifyInstance {
  const limits: ServeLimits = SERVE_LIMITS.make(opts.limits);
  const { recommender: kind, catalogue } = opts;
  if (!existsSync(WEB_ROOT)) throw new Error(`serve: the web page's folder ${WEB_ROOT} is missing`);

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.requestTimeoutMs,
    return503OnClosing: true,
    schemaErrorFormatter: (errors, context) => new Error(schemaErrorMessage(errors as ErrorObject[], context)),
  });
  // Bodies are validated as sent: "k": "10" or "history": "Blue" are type errors, not coerced. Query
  // strings are text by nature, so ?limit=5 is converted to a number.
  const bodyAjv = new Ajv({ coerceTypes: false, useDefaults: true, allowUnionTypes: true });
  const queryAjv = new Ajv({ coerceTypes: true, useDefaults: true });
  // JSON only: a text/plain body is refused with 415 rather than read as a string.
  app.removeContentTypeParser("text/plain");
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === "body" ? bodyAjv : queryAjv).compile(schema as object),
  );

  // Connections accepted since the batcher last asked: a burst of new clients is let in (one per turn
  // of the loop) before the next batch blocks the loop, instead of one client per batch.
  let accepted = 0;
  app.server.on("connection", () => accepted++);
  const batcher = new DynamicBatcher<RecommendQuery, ScoredItem[]>((queries) => kind.recommendBatch(queries), limits, {
    settle: () => {
      const arriving = accepted > 0;
      accepted = 0;
      return arriving;
    },
    onBatch: (size, ms) => {
      metrics.batchSize.observe(size);
      metrics.batchSeconds.observe(ms / 1000);
    },
    onDequeue: (ms) => metrics.queueWaitSeconds.observe(ms / 1000),
  });
  const metrics = createServeMetrics({ maxBatchSize: limits.maxBatchSize, queueDepth: () => batcher.depth });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "(unmatched)";
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.requestSeconds.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  // Requests already queued are answered before the process exits; new ones get 503 meanwhile.
  app.addHook("preClose", async () => {
    await batcher.drain();
  });

  app.setErrorHandler((error, request, reply) => {
    const status = statusOf(error);
    if (status >= 500 && !(error instanceof QueueTimeoutError) && !(error instanceof DrainingError)) {
      request.log.error(error);
    }
    if (error instanceof QueueFullError) reply.header("retry-after", "1");
    const details = error instanceof HttpError ? error.details : {};
    const message = status === 500 ? `internal error: ${(error as Error).message}` : (error as Error).message;
    return reply.status(status).send({ statusCode: status, error: reasonPhrase(status), message, ...details });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      statusCode: 404,
      error: "Not Found",
      message: `no route ${request.method} ${request.url.split("?")[0]} (see GET / for the page, POST /v1/recommend for the API)`,
    }),
  );

  const maxK = kind.maxK;
  app.post<{ Body: RecommendBody }>(
    "/v1/recommend",
    {
      schema: {
        body: {
          type: "object",
          required: ["history"],
          additionalProperties: false,
          properties: {
            history: {
              type: "array",
              maxItems: limits.maxHistory,
              items: { type: ["string", "integer"], minLength: 1, maxLength: 1000, minimum: 0 },
            },
            k: { type: "integer", minimum: 1, maximum: maxK, default: Math.min(10, maxK) },
            lengthPenalty: { type: "number" },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              items: {
                type: "array",
                items: {
                  type: "object",
                  properties: { item_id: { type: "integer" }, title: { type: "string" }, score: { type: "number" } },
                },
              },
              model: { type: "string" },
              latency_ms: { type: "number" },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { history, k, lengthPenalty } = request.body;
      if (history.length === 0 && kind.readsHistory) {
        throw new HttpError(
          400,
          "body/history is empty: give at least one title or item id the user interacted with (a server started with --model popularity answers without a history)",
        );
      }
      checkLengthPenalty(kind, lengthPenalty);
      const resolved = catalogue.resolveHistory(history);
      if (resolved.items === null) {
        const listed = resolved.unknown.map((u) => `${JSON.stringify(u.value)} (history[${u.index}])`).join(", ");
        throw new HttpError(
          400,
          `body/history has ${resolved.unknown.length} entr${resolved.unknown.length === 1 ? "y" : "ies"} not in the catalogue: ${listed} (expected catalogue titles or item ids; GET /v1/items?q=... searches titles)`,
          { unknown: resolved.unknown },
        );
      }
      // A client that hangs up while its request waits is dropped from the queue, not decoded.
      const abort = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableEnded) abort.abort(new HttpError(499, "the client closed the connection"));
      });
      const items = await batcher.submit({ history: resolved.items, k, lengthPenalty }, abort.signal);
      return {
        items: items.map((i) => ({ item_id: i.itemId, title: i.title, score: i.score })),
        model: kind.name,
        latency_ms: Math.round(reply.elapsedTime * 10) / 10,
      };
    },
  );

  app.get<{ Querystring: { q: string; limit: number } }>(
    "/v1/items",
    {
      schema: {
        querystring: {
          type: "object",
          required: ["q"],
          properties: {
            q: { type: "string", minLength: 1, maxLength: 200 },
            limit: { type: "integer", minimum: 1, maximum: 50, default: 10 },
          },
        },
      },
    },
    async (request) => ({
      items: catalogue.search(request.query.q, request.query.limit).map((i) => ({ item_id: i.id, title: i.title })),
    }),
  );

  const started = Date.now();
  app.get("/healthz", async () => ({
    status: "ok",
    model: kind.name,
    kind: kind.kind,
    max_k: kind.maxK,
    reads_history: kind.readsHistory,
    length_penalties: kind.lengthPenalties,
    settings: kind.settings,
    catalogue_items: catalogue.size,
    batching: { max_batch_size: limits.maxBatchSize, max_wait_ms: limits.maxWaitMs, max_queue: limits.maxQueue },
    queue: { depth: batcher.depth, decoding: batcher.busy },
    uptime_s: Math.round((Date.now() - started) / 1000),
  }));

  app.get("/metrics", async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.register(fastifyStatic, { root: WEB_ROOT, prefix: "/", index: "index.html" });
  return app;
}

function checkLengthPenalty(kind: RecommenderKind, lengthPenalty: number | undefined): void {
  if (lengthPenalty === undefined) return;
  const lp = kind.lengthPenalties;
  if (lp === null) {
    throw new HttpError(
      400,
      `body/lengthPenalty applies to beam-search decoding only; this server's model (${kind.name}) is ${kind.kind}`,
    );
  }
  if (!lp.allowed.includes(lengthPenalty)) {
    throw new HttpError(
      400,
      `body/lengthPenalty must be one of ${lp.allowed.join(", ")} (1 = BIGRec, 0 = D3), got ${lengthPenalty}`,
    );
  }
}

function statusOf(error: unknown): number {
  if (error instanceof QueueFullError) return 429;
  if (error instanceof QueueTimeoutError || error instanceof DrainingError) return 503;
  const code = (error as { statusCode?: unknown }).statusCode;
  return typeof code === "number" && code >= 400 && code < 600 ? code : 500;
}

function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? (status === 499 ? "Client Closed Request" : "Error");
}
