/**
 * Child process for the shutdown test: serves a saved model folder over the small synthetic dataset
 * with `runServer` (the `latentr3 serve` path) until SIGTERM, then exits by itself.
 *
 *   node dist/test/support/serve-child.js MODEL_DIR LIMITS_JSON
 */
import { runServer } from "../../src/serve/run.js";
import { smallSource } from "./tiny-recommender.js";
import { TINY_DECODE } from "./serve-fixture.js";

const [model, limits] = process.argv.slice(2);
const server = await runServer({
  model: model!,
  source: await smallSource(),
  host: "127.0.0.1",
  port: 0,
  ...TINY_DECODE,
  limits: JSON.parse(limits ?? "{}") as object,
});
await server.closed;
