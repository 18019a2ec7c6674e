/** `latentr3 serve`: the recommendation HTTP API, the web page and the metrics, until SIGTERM. */
import { num, optNum, optStr, str, UsageError, type CommandSpec } from "./command.js";
import { DATA_OPTIONS, DECODE_OPTIONS, DEVICE_OPTION, dataSourceFrom, deviceFrom, modelFolderFrom } from "./options.js";
import { LENGTH_PENALTIES } from "../serve/generative-kind.js";
import { runServer } from "../serve/run.js";
import { DEFAULT_LIMITS } from "../serve/server.js";

const decodeOption = (name: string) => DECODE_OPTIONS.find((o) => o.name === name)!;

export const serveCommand: CommandSpec = {
  path: ["serve"],
  summary: "serve recommendations over HTTP (POST /v1/recommend, a web page at /, /healthz, /metrics)",
  description:
    "Loads a model folder (BIGRec/D3 decoding, LatentR3) or the most-popular list with the dataset's catalogue\n" +
    "and title trie, and answers recommendation requests, decoding concurrent ones together (dynamic\n" +
    "batching). SIGTERM or Ctrl-C answers the requests already received, then exits. See docs/serve.md.",
  options: [
    {
      name: "model",
      type: "string",
      required: true,
      help: 'model folder, or "popularity" for the most-popular list',
    },
    { name: "host", type: "string", default: "127.0.0.1", help: "address to listen on" },
    { name: "port", type: "int", min: 0, below: 65536, default: 8080, help: "port to listen on (0 = any free port)" },
    { ...decodeOption("beams"), help: "beam width: the largest k a request may ask for" },
    {
      name: "length-penalty",
      type: "number",
      default: 1,
      help: "decoding when a request does not choose: 1 = BIGRec, 0 = D3",
    },
    decodeOption("max-new-tokens"),
    {
      name: "latent",
      type: "int",
      min: 0,
      help: "override the model's number of latent thoughts (0 = decode without reasoning)",
    },
    {
      name: "max-batch-size",
      type: "int",
      min: 1,
      default: DEFAULT_LIMITS.maxBatchSize,
      help: "requests decoded together at most (1 = no batching)",
    },
    {
      name: "max-wait-ms",
      type: "int",
      min: 0,
      default: DEFAULT_LIMITS.maxWaitMs,
      help: "how long the first queued request waits for others to join its batch",
    },
    {
      name: "max-queue",
      type: "int",
      min: 1,
      default: DEFAULT_LIMITS.maxQueue,
      help: "requests waiting at most (more get 429)",
    },
    {
      name: "queue-timeout-ms",
      type: "int",
      min: 0,
      default: DEFAULT_LIMITS.queueTimeoutMs,
      help: "a request not decoded within this time gets 503 (0 = no limit)",
    },
    {
      name: "body-limit",
      type: "int",
      min: 1,
      default: DEFAULT_LIMITS.bodyLimit,
      help: "largest request body in bytes (larger: 413)",
    },
    {
      name: "max-history",
      type: "int",
      min: 1,
      default: DEFAULT_LIMITS.maxHistory,
      help: "most history entries per request",
    },
    {
      name: "log-level",
      type: "string",
      choices: ["fatal", "error", "warn", "info", "debug", "silent"],
      default: "warn",
      help: "request log level (info logs every request as a JSON line)",
    },
    ...DATA_OPTIONS,
    DEVICE_OPTION,
  ],
  examples: [
    "latentr3 serve --model runs/rl/model --port 8080",
    "latentr3 serve --model runs/bigrec/model --data ../shared/data/amazon-cds --length-penalty 0",
    "latentr3 serve --model popularity --data ../shared/data/amazon-cds",
    "curl -s localhost:8080/v1/recommend -H 'content-type: application/json' -d '{\"history\": [17, 42], \"k\": 5}'",
  ],
  async run(args) {
    const lengthPenalty = num(args, "length-penalty");
    if (!LENGTH_PENALTIES.includes(lengthPenalty)) {
      throw new UsageError(
        `--length-penalty must be ${LENGTH_PENALTIES.join(" or ")} (1 = BIGRec, 0 = D3), got ${lengthPenalty}`,
      );
    }
    const model = str(args, "model") === "popularity" ? "popularity" : modelFolderFrom(args);
    const source = await dataSourceFrom(args);
    const server = await runServer({
      model,
      source,
      host: str(args, "host"),
      port: num(args, "port"),
      beams: num(args, "beams"),
      lengthPenalty,
      maxNewTokens: num(args, "max-new-tokens"),
      latent: optNum(args, "latent"),
      device: deviceFrom(args),
      logLevel: optStr(args, "log-level"),
      limits: {
        maxBatchSize: num(args, "max-batch-size"),
        maxWaitMs: num(args, "max-wait-ms"),
        maxQueue: num(args, "max-queue"),
        queueTimeoutMs: num(args, "queue-timeout-ms"),
        bodyLimit: num(args, "body-limit"),
        maxHistory: num(args, "max-history"),
      },
    });
    await server.closed;
  },
};
