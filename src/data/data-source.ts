/**
 * Where an experiment's examples come from: a dataset folder in the D3 / MiniOneRec layout
 * (`--data DIR`), or the embedded synthetic dataset generated in memory from a seed (the default).
 */
import { ANSWER_CUE_TEXT, zeroShotPrompt } from "./zero-shot-prompt.js";
import { basename } from "node:path";
import { categoryFromStem, loadDataset } from "./dataset.js";
import {
  buildPrompt,
  categoryPhrase,
  CATEGORY_PHRASES,
  promptText,
  targetText,
  type PromptTemplateName,
} from "./prompt.js";
import { experimentSplits, type ExperimentSplits } from "./protocol.js";
import { cleanJunkTitles } from "./title-cleaning.js";
import {
  generateSyntheticDataset,
  SYNTHETIC_CATEGORY,
  SYNTHETIC_CONFIG,
  type SyntheticOptions,
} from "./synthetic/generate.js";
import { boolean, configTable, optional, type ConfigOf } from "../util/config-table.js";
import type { Example, Item } from "./types.js";

export interface DataSource {
  /** Short name for reports: the folder name or "synthetic(seed=…)". */
  name: string;
  /** The dataset folder (undefined for the synthetic data, generated in memory). */
  dir?: string;
  category: string;
  /** The prompt's `{C}` phrase. */
  phrase: string;
  splits: ExperimentSplits;
  /** The full catalogue (decoding ranks over all of its titles). */
  items: Item[];
}

/** Where the examples come from, declared once (the CLI's data options derive from it). */
export const DATA_SOURCE_CONFIG = configTable("data source", {
  data: optional("string", "dataset folder (D3 or MiniOneRec layout); default: the embedded synthetic dataset"),
  stem: optional("string", "which dataset when the folder holds several info/<stem>.txt"),
  phrase: optional("string", 'prompt category phrase, e.g. "musics" (default: from the dataset name)'),
  skipBadRows: boolean("skip malformed rows (counted per reason) instead of failing"),
  synthSeed: { ...SYNTHETIC_CONFIG.fields.seed, help: "seed of the synthetic dataset" },
  synthUsers: { ...SYNTHETIC_CONFIG.fields.users, help: "users of the synthetic dataset" },
  synthItems: { ...SYNTHETIC_CONFIG.fields.items, help: "items of the synthetic dataset" },
  trainFromHistory: boolean(
    "without a train split, also train on the rows rebuilt from the histories of valid and test, cut before the selection split (docs/data.md; --no-train-from-history: only valid minus its last 10%)",
    true,
  ),
  cleanTitles: boolean(
    "give items whose title is an HTML fragment a title of their own, 'untitled item <asin or id>' (docs/data.md)",
  ),
});
export type DataSourceConfig = ConfigOf<typeof DATA_SOURCE_CONFIG>;

export interface DataSourceOptions {
  /** Dataset folder; omitted = the synthetic dataset. */
  data?: string;
  stem?: string;
  synthetic?: SyntheticOptions;
  /** Skip malformed rows (counted and reported) instead of failing on the first. */
  skipBadRows?: boolean;
  /** Prompt phrase override (needed for categories without a known phrase). */
  phrase?: string;
  /** Give items whose title is an HTML fragment a title of their own (see title-cleaning.ts). */
  cleanTitles?: boolean;
  /** Without a train split, add the rows rebuilt from histories (default true; see data/protocol.ts). */
  trainFromHistory?: boolean;
}

/** The loader's options from the declared settings. */
export function dataSourceOptions(c: DataSourceConfig): DataSourceOptions {
  return {
    data: c.data,
    stem: c.stem,
    phrase: c.phrase,
    skipBadRows: c.skipBadRows,
    trainFromHistory: c.trainFromHistory,
    cleanTitles: c.cleanTitles,
    synthetic: { seed: c.synthSeed, users: c.synthUsers, items: c.synthItems },
  };
}

export async function loadDataSource(opts: DataSourceOptions = {}): Promise<DataSource> {
  if (!opts.data) {
    const ds = generateSyntheticDataset(opts.synthetic);
    return {
      name: `synthetic(seed=${opts.synthetic?.seed ?? 42})`,
      category: SYNTHETIC_CATEGORY,
      phrase: opts.phrase ?? categoryPhrase(SYNTHETIC_CATEGORY),
      splits: { ...ds.split, protocol: "synthetic train / valid / test (chronological)" },
      items: ds.items,
    };
  }
  const started = performance.now();
  const loaded = await loadDataset(opts.data, { stem: opts.stem, skipBadRows: opts.skipBadRows });
  for (const [split, counts] of Object.entries(loaded.skipped)) {
    if (counts && counts.total > 0)
      console.error(`data: skipped ${counts.total} bad row(s) in ${split}: ${counts.summary()}`);
  }
  const category = categoryFromStem(loaded.files.stem, Object.keys(CATEGORY_PHRASES));
  const phrase = opts.phrase ?? (category ? categoryPhrase(category) : undefined);
  if (!phrase) {
    throw new Error(
      `${opts.data}: no prompt phrase for dataset "${loaded.files.stem}"; pass --phrase (e.g. --phrase "office products")`,
    );
  }
  const splits = experimentSplits(loaded, { trainFromHistory: opts.trainFromHistory });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(
    `data: ${loaded.catalogue.items.length} items; train ${splits.train.length}, select ${splits.valid.length}, test ${splits.test.length} rows (${seconds} s)`,
  );
  const source = {
    name: basename(opts.data.replace(/\/+$/, "")),
    dir: opts.data,
    category: category ?? loaded.files.stem,
    phrase,
    splits,
    items: [...loaded.catalogue.items],
  };
  if (!opts.cleanTitles) return source;
  const clean = cleanJunkTitles(source.items, source.splits);
  console.error(`data: --clean-titles gave ${clean.cleaned} item(s) with an HTML-fragment title a title of their own`);
  return { ...source, items: clean.items, splits: clean.splits };
}

/**
 * Every text a model will read (prompts with answers, catalogue titles, COT's instruction and
 * answer cue): what vocabulary compaction covers.
 */
export function* corpusTexts(source: DataSource, template: PromptTemplateName): Generator<string> {
  for (const item of source.items) yield targetText(item.title.trim());
  const { train, valid, test } = source.splits;
  for (const e of [...train, ...valid, ...test] as Example[]) {
    const pieces = buildPrompt(e, { phrase: source.phrase, template });
    yield promptText(pieces) + (pieces.target ?? "");
  }
  // So that a model built from scratch can also be prompted zero-shot with COT (decode/zero-shot.ts).
  // Prompts encode their pieces apart; only COT's instruction piece differs from the prompts above.
  yield zeroShotPrompt("cot", { history: [] }, { phrase: source.phrase, template }).pieces.instruction;
  yield ANSWER_CUE_TEXT;
}
