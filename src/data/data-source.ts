/**
 * Where an experiment's examples come from: a dataset folder in the D3 / MiniOneRec layout
 * (`--data DIR`), or the embedded synthetic dataset generated in memory from a seed (the default).
 */
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
import { generateSyntheticDataset, SYNTHETIC_CATEGORY, type SyntheticOptions } from "./synthetic/generate.js";
import type { Example, Item } from "./types.js";

export interface DataSource {
  /** Short name for reports: the folder name or "synthetic(seed=…)". */
  name: string;
  category: string;
  /** The prompt's `{C}` phrase. */
  phrase: string;
  splits: ExperimentSplits;
  /** The full catalogue (decoding ranks over all of its titles). */
  items: Item[];
}

export interface DataSourceOptions {
  /** Dataset folder; omitted = the synthetic dataset. */
  data?: string;
  stem?: string;
  synthetic?: SyntheticOptions;
  /** Skip malformed rows (counted and reported) instead of failing on the first. */
  skipBadRows?: boolean;
  /** Prompt phrase override (needed for categories without a known phrase). */
  phrase?: string;
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
  return {
    name: basename(opts.data.replace(/\/+$/, "")),
    category: category ?? loaded.files.stem,
    phrase,
    splits: experimentSplits(loaded),
    items: [...loaded.catalogue.items],
  };
}

/** Every text a model will read (prompts with answers, catalogue titles): what vocabulary compaction covers. */
export function* corpusTexts(source: DataSource, template: PromptTemplateName): Generator<string> {
  for (const item of source.items) yield targetText(item.title.trim());
  const { train, valid, test } = source.splits;
  for (const e of [...train, ...valid, ...test] as Example[]) {
    const pieces = buildPrompt(e, { phrase: source.phrase, template });
    yield promptText(pieces) + (pieces.target ?? "");
  }
}
