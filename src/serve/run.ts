/**
 * Running the server until a signal: load the recommender, listen, and on SIGTERM / SIGINT stop
 * accepting connections, answer every request already received (queued ones are still decoded),
 * then free the model. A second signal exits at once.
 */
import type { DataSource } from "../data/data-source.js";
import { choice, configTable, int, optional, required, string, type ConfigOf } from "../util/config-table.js";
import { CatalogueIndex } from "./catalogue-index.js";
import { loadRecommender, type ServeDecoding } from "./load.js";
import { createServer, SERVE_LIMITS } from "./server.js";

/** What `latentr3 serve` runs, where it listens and its limits, declared once. */
export const SERVE_CONFIG = configTable("server", {
  model: required('model folder, or "popularity" for the most-popular list'),
  latent: optional("int", "override the model's number of latent thoughts (0 = decode without reasoning)", { min: 0 }),
  host: string("127.0.0.1", "address to listen on"),
  port: int(8080, "port to listen on (0 = any free port)", { min: 0, below: 65536 }),
  logLevel: choice(
    ["fatal", "error", "warn", "info", "debug", "silent"] as const,
    "warn",
    "request log level (info logs every request as a JSON line)",
  ),
  ...SERVE_LIMITS.fields,
});
export type ServeConfig = ConfigOf<typeof SERVE_CONFIG>;

export type RunServerOptions = Partial<ServeConfig> &
  ServeDecoding & {
    /** A model folder, or "popularity". */
    model: string;
    source: DataSource;
    device?: string;
    /** Progress and shutdown lines (default: stderr). */
    log?: (line: string) => void;
  };

export interface RunningServer {
  url: string;
  /** Resolves once a signal has closed the server and freed the model. */
  closed: Promise<void>;
}

export async function runServer(opts: RunServerOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const config = SERVE_CONFIG.make(SERVE_CONFIG.from(opts));
  const t0 = performance.now();
  const catalogue = new CatalogueIndex(opts.source.items);
  const loaded = await loadRecommender({ ...opts, catalogue });
  const { recommender } = loaded;
  // One decode before listening, so the first user does not pay for first-call allocations.
  const probe = opts.source.splits.train.find((e) => e.history.length > 0);
  if (probe) recommender.recommendBatch([{ history: probe.history, k: 1 }]);
  const app = createServer({
    recommender,
    catalogue,
    limits: SERVE_LIMITS.from(config),
    logger: { level: config.logLevel },
  });
  let url: string;
  try {
    url = await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    loaded.dispose();
    throw err;
  }
  log(
    `serve: ${recommender.name} (${recommender.kind}, k ≤ ${recommender.maxK}) over ${catalogue.size} items of ${opts.source.name}, ` +
      `loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s; listening on ${url} (page: ${url}/, API: POST ${url}/v1/recommend)`,
  );
  const closed = new Promise<void>((resolve) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) {
        log(`serve: ${signal} again, exiting without draining`);
        process.exit(1);
      }
      closing = true;
      log(`serve: ${signal}: new requests get 503; answering the requests already received, then closing`);
      const start = performance.now();
      void app
        .close()
        .catch((err: Error) => log(`serve: error while closing: ${err.message}`))
        .finally(() => {
          loaded.dispose();
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          log(`serve: drained and closed in ${Math.round(performance.now() - start)} ms`);
          resolve();
        });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  return { url, closed };
}
