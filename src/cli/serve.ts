/** `latentr3 serve`: the recommendation HTTP API, the web page and the metrics, until SIGTERM. */
import type { CommandSpec } from "./command.js";
import { dataSourceFrom, deviceFrom, modelFolderFrom } from "./options.js";
import { DATA_SOURCE_CONFIG } from "../data/data-source.js";
import { DEVICE_CONFIG } from "../engine/index.js";
import { SERVE_DECODING } from "../serve/load.js";
import { runServer, SERVE_CONFIG } from "../serve/run.js";

export const serveCommand: CommandSpec = {
  path: ["serve"],
  summary: "serve recommendations over HTTP (POST /v1/recommend, a web page at /, /healthz, /metrics)",
  description:
    "Loads a model folder (BIGRec/D3 decoding, LatentR3) or the most-popular list with the dataset's catalogue\n" +
    "and title trie, and answers recommendation requests, decoding concurrent ones together (dynamic\n" +
    "batching). SIGTERM or Ctrl-C answers the requests already received, then exits. See docs/serve.md.",
  options: [SERVE_CONFIG, SERVE_DECODING, DATA_SOURCE_CONFIG, DEVICE_CONFIG],
  examples: [
    "latentr3 serve --model runs/rl/model --port 8080",
    "latentr3 serve --model runs/bigrec/model --data ../shared/data/amazon-cds --length-penalty 0",
    "latentr3 serve --model popularity --data ../shared/data/amazon-cds",
    "curl -s localhost:8080/v1/recommend -H 'content-type: application/json' -d '{\"history\": [17, 42], \"k\": 5}'",
  ],
  async run(args) {
    const config = SERVE_CONFIG.from(args.values);
    const model = config.model === "popularity" ? "popularity" : modelFolderFrom(args);
    const device = deviceFrom(args);
    const source = await dataSourceFrom(args);
    const server = await runServer({ ...config, ...SERVE_DECODING.from(args.values), model, source, device });
    await server.closed;
  },
};
