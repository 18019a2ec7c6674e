/** Decoding settings of constrained beam search, declared once (defaults, bounds, help, CLI options). */
import { choice, configTable, int, number, type ConfigOf } from "../util/config-table.js";

export const DECODINGS = ["constrained", "grounding"] as const;
export type Decoding = (typeof DECODINGS)[number];

export const DECODING_CONFIG = configTable("decoding", {
  decoding: choice(
    [...DECODINGS],
    "constrained",
    "constrained = beam search over the title trie; grounding = BIGRec's original: greedy free answer mapped to the nearest titles by L2 distance of LLM embeddings (list length = --beams)",
  ),
  beams: int(10, "beam width = recommendations per user (at most the number of distinct catalogue titles)", { min: 1 }),
  lengthPenalty: number(1, "1 = BIGRec (length-normalised), 0 = D3"),
  maxNewTokens: int(128, "longest generated title, in tokens (the reference uses 128; one CDs title has 95)", {
    min: 1,
  }),
  batchSize: { ...int(8, "users decoded together", { min: 1 }), flag: "eval-batch-size" },
});
export type DecodingConfig = ConfigOf<typeof DECODING_CONFIG>;
