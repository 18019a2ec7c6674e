/**
 * A generative recommender as one object: the Qwen2 model, its tokenizer in model ids, the latent
 * reasoner (N latent thoughts, or none for BIGRec/D3) and the prompt settings. Saved as a Hugging
 * Face folder plus `latentr3.json`, so the LLM part still loads in Hugging Face tools.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DType, Device } from "../engine/index.js";
import { openCheckpoint } from "../engine/checkpoint-folder.js";
import { buildPrompt, PROMPT_TEMPLATES, targetText, type PromptTemplateName } from "../data/prompt.js";
import { encodePrompt, encodeTrainingExample, type PromptTarget } from "../data/encode.js";
import type { Example, Item } from "../data/types.js";
import { loadModel, modelFolderProblem, readConfig, saveModel } from "../llm/checkpoint.js";
import { presetConfig, type Qwen2Config } from "../llm/config.js";
import { ModelTokenizer } from "../llm/model-tokenizer.js";
import { Qwen2Model } from "../llm/qwen2.js";
import { resizeTokenEmbeddings } from "../llm/resize.js";
import { Tokenizer } from "../llm/tokenizer.js";
import { VocabCompaction } from "../llm/vocab-compaction.js";
import { writeJsonAtomic } from "../util/atomic-file.js";
import { choice, configTable, int, string, type ConfigOf } from "../util/config-table.js";
import { readJsonFile } from "../util/json-file.js";
import { LATENT_RATT_PREFIX, LatentRATT } from "./latent-ratt.js";
import { LatentReasoner, type LatentReadout } from "./latent-reasoner.js";

/** A recommender's settings, saved as latentr3.json next to the weights. */
export const RECOMMENDER_META = configTable("recommender", {
  numLatents: int(0, "latent thoughts per prompt: 0 = BIGRec/D3 (no reasoning)", { min: 0 }),
  readout: choice(["ratt", "last-hidden"] as LatentReadout[], "ratt", "how a latent is read out"),
  template: choice(Object.keys(PROMPT_TEMPLATES) as PromptTemplateName[], "reference", "prompt template"),
  phrase: string("musics", "the prompt's {C} category phrase"),
  maxLength: int(512, "left truncation of training rows (reference 512)", { min: 1 }),
});
export type RecommenderMeta = ConfigOf<typeof RECOMMENDER_META>;
export const DEFAULT_META: RecommenderMeta = RECOMMENDER_META.defaults();

const META_FILE = "latentr3.json";
const COMPACTION_FILE = "vocab_compaction.json";

/**
 * Checks that a full tokenizer fits the model: it may be smaller than the embedding (Qwen pads its
 * matrix) or exceed it only by the latent placeholder, whose row is then added.
 */
function fitVocabulary(model: Qwen2Model, tokenizer: ModelTokenizer, dir: string): Qwen2Model {
  const rows = model.config.vocab_size;
  const needed = tokenizer.vocabSize;
  if (needed <= rows) return model;
  if (needed === tokenizer.placeholderId + 1 && needed === rows + 1) return resizeTokenEmbeddings(model, needed);
  throw new Error(
    `${dir}: the tokenizer has ${needed} token ids but the model's embedding has ${rows} rows (tokenizer.json does not belong to this model?)`,
  );
}

export class Recommender {
  readonly reasoner: LatentReasoner | null;
  /** True when LatentRATT was freshly initialised rather than loaded (a model without trained latents). */
  freshLatentReadout = false;

  constructor(
    readonly model: Qwen2Model,
    readonly tokenizer: ModelTokenizer,
    readonly meta: RecommenderMeta,
  ) {
    this.reasoner =
      meta.numLatents > 0 ? new LatentReasoner(model, { numLatents: meta.numLatents, readout: meta.readout }) : null;
  }

  /** A randomly initialised small model of a preset over a (compacted) tokenizer. */
  static create(
    preset: string,
    tokenizer: ModelTokenizer,
    meta: Partial<RecommenderMeta> = {},
    opts: { seed?: number; device?: Device; dtype?: DType; config?: Partial<Qwen2Config> } = {},
  ): Recommender {
    const config = presetConfig(preset, tokenizer.vocabSize, { eos_token_id: tokenizer.eosId, ...opts.config });
    const model = Qwen2Model.create(config, { seed: opts.seed ?? 0, device: opts.device, dtype: opts.dtype });
    return new Recommender(model, tokenizer, { ...DEFAULT_META, ...meta });
  }

  /**
   * Loads a model folder: one of ours (with latentr3.json) or a plain Hugging Face Qwen2 folder.
   * `meta` overrides the saved settings, e.g. to add latent reasoning to a model that has none yet:
   * LatentRATT is then freshly initialised (the paper's starting point for latent SFT).
   */
  static async load(
    dir: string,
    overrides: Partial<RecommenderMeta> = {},
    opts: { device?: Device; dtype?: DType } = {},
  ): Promise<Recommender> {
    // Before the tokenizer and weights are opened, so a wrong folder is reported as such.
    const problem = modelFolderProblem(dir);
    if (problem) throw new Error(`${dir}: ${problem}`);
    const metaPath = join(dir, META_FILE);
    const saved = existsSync(metaPath) ? readJsonFile<Partial<RecommenderMeta>>(metaPath, "recommender settings") : {};
    const meta: RecommenderMeta = { ...DEFAULT_META, ...saved, ...overrides };
    try {
      RECOMMENDER_META.validate(meta, (key) => `field "${key}"`);
    } catch (e) {
      throw new Error(`${existsSync(metaPath) ? metaPath : dir}: ${(e as Error).message}`);
    }
    const tokenizer = existsSync(join(dir, "tokenizer.json"))
      ? await Tokenizer.fromFolder(dir)
      : await Tokenizer.qwenDefault();
    const compaction = existsSync(join(dir, COMPACTION_FILE))
      ? VocabCompaction.fromJSON(readJsonFile(join(dir, COMPACTION_FILE), "vocabulary compaction"))
      : null;
    const rows = readConfig(dir).vocab_size;
    if (compaction && compaction.size !== rows) {
      throw new Error(
        `${dir}: ${COMPACTION_FILE} maps ${compaction.size} tokens but the model's embedding has ${rows} rows`,
      );
    }
    const modelTokenizer = new ModelTokenizer(tokenizer, compaction);
    const checkpoint = openCheckpoint(dir);
    const hasRatt = [...checkpoint.entries.keys()].some((n) => n.startsWith(LATENT_RATT_PREFIX + "."));
    checkpoint.close();
    if (hasRatt && !existsSync(metaPath) && overrides.numLatents === undefined) {
      throw new Error(
        `${dir}: the weights hold LatentRATT (latent_ratt.*) but ${META_FILE} is missing, so the number of latent thoughts is unknown; restore ${META_FILE}, or pass --latent N`,
      );
    }
    const wantsRatt = meta.numLatents > 0 && meta.readout === "ratt";
    let model = loadModel(dir, {
      ...opts,
      ignorePrefixes: [LATENT_RATT_PREFIX + "."],
      extend: (m) => {
        // LatentRATT's parameters join the store before loading so they load by name.
        if (wantsRatt && hasRatt) {
          LatentRATT.declareParameters(
            m.store.root().sub(LATENT_RATT_PREFIX),
            m.config.hidden_size,
            m.config.initializer_range,
          );
        }
      },
    });
    model = fitVocabulary(model, modelTokenizer, dir);
    const rec = new Recommender(model, modelTokenizer, meta);
    rec.freshLatentReadout = wantsRatt && !hasRatt;
    return rec;
  }

  async save(dir: string): Promise<void> {
    saveModel(this.model, dir);
    await this.tokenizer.tokenizer.save(dir);
    if (this.tokenizer.compaction) writeJsonAtomic(join(dir, COMPACTION_FILE), this.tokenizer.compaction.toJSON());
    writeJsonAtomic(join(dir, META_FILE), this.meta);
  }

  /** A copy of the settings with other latent options (the weights are shared, not copied). */
  withMeta(meta: Partial<RecommenderMeta>): Recommender {
    return new Recommender(this.model, this.tokenizer, { ...this.meta, ...meta });
  }

  /** Prompt ids (without latent slots: the cached formulation feeds latents as embeddings). */
  promptIds(example: { history: readonly Pick<Item, "title">[] }): number[] {
    const pieces = buildPrompt(example, { phrase: this.meta.phrase, template: this.meta.template });
    return encodePrompt(pieces, this.tokenizer, {
      eosId: this.tokenizer.eosId,
      maxLength: this.meta.maxLength,
    });
  }

  /** Training row: prompt ids and target ids (`"title"⏎` + EOS), truncated from the left like the reference. */
  trainingRow(example: Example): PromptTarget {
    const pieces = buildPrompt(example, { phrase: this.meta.phrase, template: this.meta.template });
    const enc = encodeTrainingExample(pieces, this.tokenizer, {
      eosId: this.tokenizer.eosId,
      maxLength: this.meta.maxLength,
    });
    return { prompt: enc.inputIds.slice(0, enc.promptLength), target: enc.inputIds.slice(enc.promptLength) };
  }

  /** Token ids of a title as an answer: `"title"⏎` + EOS (the title trie's sequences). */
  answerIds(title: string): number[] {
    return [...this.tokenizer.encode(targetText(title)), this.tokenizer.eosId];
  }

  dispose(): void {
    this.reasoner?.dispose();
    this.model.dispose();
  }
}
