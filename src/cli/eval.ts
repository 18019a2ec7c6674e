/** `latentr3 eval`: full-ranking evaluation of a model folder with constrained beam search. */
import { basename } from "node:path";
import { optStr, str, type CommandSpec } from "./command.js";
import {
  DATA_OPTIONS,
  DECODE_OPTIONS,
  DEVICE_OPTION,
  dataSourceFrom,
  decodeFrom,
  deviceFrom,
  modelFolderFrom,
} from "./options.js";
import { evaluateStage, popularityStage } from "../pipeline/stages.js";
import { Recommender } from "../latent/recommender.js";
import { join } from "node:path";
import { formatMetricsLine } from "../eval/format.js";

export const evalCommand: CommandSpec = {
  path: ["eval"],
  summary: "evaluate a model (HR@K, NDCG@K, full ranking, popularity breakdown, latency) into report.json/.html",
  description:
    "Decodes every test user's next item by constrained beam search over all catalogue titles and scores the\n" +
    "ranked titles (hits counted by title). --model popularity evaluates the most-popular baseline instead.",
  options: [
    {
      name: "model",
      type: "string",
      required: true,
      help: 'model folder, or "popularity" for the most-popular baseline',
    },
    { name: "out", type: "string", help: "run folder for report.json/report.html (default: <model>/../eval-lp<lp>)" },
    { name: "run", type: "string", help: "run name in the report (default: the output folder name)" },
    { name: "method", type: "string", help: "method description in the report" },
    {
      name: "latent",
      type: "int",
      min: 0,
      help: "override the model's number of latent thoughts (0 = evaluate without reasoning)",
    },
    ...DECODE_OPTIONS,
    ...DATA_OPTIONS,
    DEVICE_OPTION,
  ],
  examples: [
    "latentr3 eval --model runs/bigrec/model --out runs/bigrec/eval",
    "latentr3 eval --model runs/bigrec/model --length-penalty 0 --out runs/d3/eval",
    "latentr3 eval --model popularity --data ../shared/data/amazon-cds --out runs/cds-popularity",
  ],
  async run(args) {
    const decode = decodeFrom(args);
    const model = str(args, "model") === "popularity" ? "popularity" : modelFolderFrom(args);
    const source = await dataSourceFrom(args);
    if (model === "popularity") {
      const dir = optStr(args, "out") ?? "runs/popularity";
      const report = popularityStage({ source, dir, limit: decode.limit });
      console.log(formatMetricsLine(report));
      console.log(`report: ${join(dir, "report.html")}`);
      return;
    }
    const latent = args.options.latent;
    const rec = await Recommender.load(model, typeof latent === "number" ? { numLatents: latent } : {}, {
      device: deviceFrom(args),
    });
    const dir = optStr(args, "out") ?? join(model, "..", `eval-lp${decode.lengthPenalty}`);
    const method =
      optStr(args, "method") ??
      `${rec.meta.numLatents > 0 ? `LatentR3 (N=${rec.meta.numLatents}, ${rec.meta.readout})` : "no reasoning"}, ${decode.lengthPenalty === 0 ? "D3 decoding (lp 0)" : `BIGRec decoding (lp ${decode.lengthPenalty})`}`;
    const report = evaluateStage({
      source,
      dir,
      rec,
      run: optStr(args, "run") ?? basename(dir),
      method,
      ...decode,
      trainingLog: join(model, "..", "metrics.jsonl"),
    });
    console.log(formatMetricsLine(report));
    console.log(`report: ${join(dir, "report.html")}`);
  },
};
