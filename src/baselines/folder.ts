/**
 * A baseline model on disk: `config.json` (architecture and sizes, Hugging Face style),
 * `model.safetensors` (parameters under their path names) and, for models with a user embedding,
 * `users.json` (user ids in index order). `latentr3 eval --model DIR` tells a baseline folder from an
 * LLM folder by config.json's model_type.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Device } from "../engine/index.js";
import { openCheckpoint, writeCheckpoint } from "../engine/checkpoint-folder.js";
import { loadEntry, toTensorData } from "../engine/tensor-io.js";
import { openSafetensors, writeSafetensors } from "../engine/safetensors.js";
import { int64, type Tensor } from "../engine/index.js";
import { AlphaRec, type AlphaRecInputs } from "./alpharec/model.js";
import { InteractionGraph } from "./alpharec/graph.js";
import { ParamStore, loadParameters } from "../nn/index.js";
import { writeJsonAtomic } from "../util/atomic-file.js";
import { Caser } from "./caser.js";
import { validateBaselineConfig, type BaselineConfig } from "./config.js";
import { GRU4Rec } from "./gru4rec.js";
import { isArch, type SequentialRecommender } from "./model.js";
import { SASRec } from "./sasrec.js";
import { UserVocabulary, type ItemVocabulary } from "./vocabulary.js";

const ARCHITECTURES = { sasrec: "SASRec", gru4rec: "GRU4Rec", caser: "Caser", alpharec: "AlphaRec" } as const;
const USERS_FILE = "users.json";
/** AlphaRec's frozen inputs: title embeddings and the training graph's edges. */
const ALPHAREC_INPUTS_FILE = "alpharec-inputs.safetensors";

/** A freshly initialised model (parameters drawn from the store's seeded generator). */
export function createBaseline(
  config: BaselineConfig,
  opts: { device?: Device; seed?: number; users?: UserVocabulary | null; alpharec?: AlphaRecInputs } = {},
): SequentialRecommender {
  const store = new ParamStore(opts.device ?? "cpu", "f32", opts.seed ?? 0);
  switch (config.model_type) {
    case "sasrec":
      return new SASRec(config, store);
    case "gru4rec":
      return new GRU4Rec(config, store);
    case "caser":
      return new Caser(config, store, opts.users ?? null);
    case "alpharec":
      if (!opts.alpharec || !opts.users) throw new Error("alpharec: needs its title embeddings, graph and users");
      return new AlphaRec(config, store, opts.users, opts.alpharec);
  }
}

/** True when `dir/config.json` names a baseline architecture (SASRec, GRU4Rec, Caser). */
export function isBaselineFolder(dir: string): boolean {
  const path = join(dir, "config.json");
  if (!existsSync(path)) return false;
  try {
    const type = (JSON.parse(readFileSync(path, "utf8")) as { model_type?: unknown }).model_type;
    return typeof type === "string" && isArch(type);
  } catch {
    return false;
  }
}

export function saveBaseline(model: SequentialRecommender, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, "config.json"), {
    architectures: [ARCHITECTURES[model.config.model_type]],
    ...model.config,
    torch_dtype: "float32",
  });
  if (model.users) writeJsonAtomic(join(dir, USERS_FILE), model.users.ids);
  writeCheckpoint(dir, toTensorData(model.store.params.entries()));
  if (model instanceof AlphaRec) {
    const { itemEmbeddings, graph } = model.inputs;
    const edges = (name: string, values: Int32Array): [string, Tensor] => [name, int64(Array.from(values))];
    const named: [string, Tensor][] = [
      ["item_embeddings", itemEmbeddings],
      edges("edge_users", graph.edgeUsers),
      edges("edge_items", graph.edgeItems),
    ];
    writeSafetensors(join(dir, ALPHAREC_INPUTS_FILE), toTensorData(named));
    named[1]![1].dispose();
    named[2]![1].dispose();
  }
}

/** AlphaRec's saved title embeddings and graph. */
function loadAlphaRecInputs(dir: string, numUsers: number, numItems: number, device?: Device): AlphaRecInputs {
  const path = join(dir, ALPHAREC_INPUTS_FILE);
  if (!existsSync(path))
    throw new Error(`${dir}: ${ALPHAREC_INPUTS_FILE} is missing (AlphaRec's title embeddings and graph)`);
  const file = openSafetensors(path);
  try {
    const entry = (name: string) => {
      const e = file.entries.get(name);
      if (!e) throw new Error(`${path}: no tensor "${name}"`);
      return e;
    };
    const indices = (name: string) => {
      const t = loadEntry(entry(name));
      const values = Int32Array.from(t.toList());
      t.dispose();
      return values;
    };
    const graph = new InteractionGraph(numUsers, numItems, indices("edge_users"), indices("edge_items"), device);
    return { itemEmbeddings: loadEntry(entry("item_embeddings"), { device, dtype: "f32" }).keep(), graph };
  } finally {
    file.close();
  }
}

export function loadBaseline(dir: string, opts: { device?: Device } = {}): SequentialRecommender {
  const configPath = join(dir, "config.json");
  if (!existsSync(configPath)) throw new Error(`${dir}: not a baseline model folder: config.json is missing`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, "utf8"));
  } catch (err) {
    throw new Error(`${configPath}: invalid JSON (${(err as Error).message})`);
  }
  // `architectures` and `torch_dtype` describe the folder for Hugging Face-style tools, not the model.
  const { architectures: _architectures, torch_dtype: _dtype, ...fields } = (raw ?? {}) as Record<string, unknown>;
  const config = validateBaselineConfig(fields, configPath);
  let users: UserVocabulary | null = null;
  if ((config.model_type === "caser" || config.model_type === "alpharec") && config.num_users > 0) {
    const path = join(dir, USERS_FILE);
    if (!existsSync(path)) throw new Error(`${dir}: ${USERS_FILE} is missing (the model has a user embedding)`);
    users = new UserVocabulary(JSON.parse(readFileSync(path, "utf8")) as string[]);
  }
  const alpharec =
    config.model_type === "alpharec"
      ? loadAlphaRecInputs(dir, config.num_users, config.num_items, opts.device)
      : undefined;
  const model = createBaseline(config, {
    device: opts.device,
    users: users ?? (alpharec ? new UserVocabulary([]) : null),
    ...(alpharec ? { alpharec } : {}),
  });
  const checkpoint = openCheckpoint(dir);
  try {
    loadParameters(model.store, checkpoint.entries, dir);
  } finally {
    checkpoint.close();
  }
  return model;
}

/** Refuses to score a catalogue the model was not trained on (its item indices would mean other items). */
export function checkCatalogue(model: SequentialRecommender, items: ItemVocabulary, where: string): void {
  const c = model.config;
  if (c.num_items !== items.size || c.catalogue_fingerprint !== items.fingerprint) {
    throw new Error(
      `${where}: the model was trained on another catalogue (${c.num_items} items, fingerprint ${c.catalogue_fingerprint}) than this data's (${items.size} items, fingerprint ${items.fingerprint}); evaluate it with the --data it was trained on`,
    );
  }
}
