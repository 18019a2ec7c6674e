/**
 * Prometheus metrics of one server (its own registry, so several servers in one process do not
 * share counters): HTTP requests by route and status, request latency, batch sizes and decode time,
 * queue depth and queue wait, and Node's process metrics (resident memory, event-loop lag, GC).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface ServeMetrics {
  registry: Registry;
  requests: Counter<"method" | "route" | "status">;
  requestSeconds: Histogram<"method" | "route">;
  batchSize: Histogram;
  batchSeconds: Histogram;
  queueWaitSeconds: Histogram;
}

/** Latency buckets from 5 ms to 2 min: a CPU decode of one batch takes 0.05–5 s. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createServeMetrics(opts: { maxBatchSize: number; queueDepth: () => number }): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sizes: number[] = [];
  for (let s = 1; s < opts.maxBatchSize; s *= 2) sizes.push(s);
  sizes.push(opts.maxBatchSize);
  new Gauge({
    name: "latentr3_queue_depth",
    help: "Recommendation requests waiting for a decoding batch",
    registers: [registry],
    collect() {
      this.set(opts.queueDepth());
    },
  });
  return {
    registry,
    requests: new Counter({
      name: "latentr3_http_requests_total",
      help: "HTTP requests answered, by method, route and status code",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: "latentr3_http_request_duration_seconds",
      help: "Time from receiving a request to sending its response",
      labelNames: ["method", "route"] as const,
      buckets: SECONDS,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: "latentr3_batch_size",
      help: "Requests decoded together in one batch",
      buckets: sizes,
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: "latentr3_batch_duration_seconds",
      help: "Time to decode one batch (the event loop is busy meanwhile)",
      buckets: SECONDS,
      registers: [registry],
    }),
    queueWaitSeconds: new Histogram({
      name: "latentr3_queue_wait_seconds",
      help: "Time a request waited in the queue before its batch started",
      buckets: SECONDS,
      registers: [registry],
    }),
  };
}
