/**
 * The embedded default dataset: a seeded synthetic music catalogue and users (see `users.ts` for
 * the generative story, `docs/synthetic-data.md` for what results on it mean), turned into
 * examples exactly like the reference turns reviews into examples (histories of ≤10, global
 * chronological 8:1:1 split by target time) and written in the D3 layout.
 */
import { configTable, int } from "../../util/config-table.js";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeCatalogue } from "../catalogue.js";
import { hashSeed, Rng } from "../rng.js";
import {
  buildExamples,
  chronologicalSplit,
  HISTORY_LENGTH,
  type Interaction,
  type SplitExamples,
} from "../sequences.js";
import type { Example, Item } from "../types.js";
import { writeExamplesCsv } from "../writer.js";
import { generateCatalogue, type SyntheticCatalogue } from "./catalogue.js";
import {
  DEFAULT_BEHAVIOUR,
  generatePurchases,
  generateUser,
  type BehaviourOptions,
  type PurchaseReason,
  type SyntheticUser,
} from "./users.js";

/** Category name of the synthetic data (prompt phrase `musics`, as CDs_and_Vinyl). */
export const SYNTHETIC_CATEGORY = "Synthetic_Music";

export interface SyntheticOptions {
  seed?: number;
  users?: number;
  items?: number;
  historyLength?: number;
  zipf?: number;
  behaviour?: Partial<BehaviourOptions>;
}

/** The synthetic dataset's size and seed, declared once. */
export const SYNTHETIC_CONFIG = configTable("synthetic dataset", {
  seed: int(42, "random seed"),
  users: int(500, "number of users", { min: 1 }),
  items: int(400, "number of catalogue items (at least 20)", { min: 20 }),
});
export const SYNTHETIC_DEFAULTS = SYNTHETIC_CONFIG.defaults();

export interface SyntheticDataset {
  category: string;
  stem: string;
  /** Items in id order. */
  items: Item[];
  split: SplitExamples;
  /** All examples in generation order (user by user). */
  examples: Example[];
  /** Why each example's target was bought (the latent mechanism, for analysis only). */
  reasons: Map<Example, PurchaseReason>;
  users: SyntheticUser[];
  catalogue: SyntheticCatalogue;
  /** Item of each catalogue item index (catalogue.items[i] ↔ itemOf[i]). */
  itemOf: Item[];
}

/** Generates the whole dataset in memory; same options → same dataset. */
export function generateSyntheticDataset(options: SyntheticOptions = {}): SyntheticDataset {
  const seed = options.seed ?? SYNTHETIC_DEFAULTS.seed;
  const nUsers = options.users ?? SYNTHETIC_DEFAULTS.users;
  if (!Number.isInteger(nUsers) || nUsers < 1) throw new Error(`users must be a positive integer, got ${nUsers}`);
  const behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const root = new Rng(hashSeed("latentr3-synthetic", seed));
  const catalogue = generateCatalogue(root.fork("catalogue"), {
    items: options.items ?? SYNTHETIC_DEFAULTS.items,
    ...(options.zipf !== undefined ? { zipf: options.zipf } : {}),
  });

  // Ids are a random relabelling, as in the reference, so id order carries no structure.
  const ids = root.fork("ids").shuffle(catalogue.items.map((_, i) => i));
  const itemOf: Item[] = catalogue.items.map((info) => ({
    id: ids[info.index]!,
    title: info.title,
    asin: `S${String(info.index).padStart(9, "0")}`,
  }));

  const users: SyntheticUser[] = [];
  const interactions: Interaction[] = [];
  const targetReasons: PurchaseReason[] = [];
  const userRng = root.fork("users");
  for (let u = 0; u < nUsers; u++) {
    const rng = userRng.fork(u);
    const user = generateUser(rng, catalogue, u);
    users.push(user);
    const purchases = generatePurchases(rng, catalogue, user, behaviour);
    purchases.forEach((p, i) => {
      interactions.push({ userId: user.id, item: itemOf[p.item]!, timestamp: p.time, rating: p.rating });
      if (i > 0) targetReasons.push(p.reason);
    });
  }
  // Purchases are generated in time order, so buildExamples' stable sort keeps them aligned with targetReasons.
  const examples = buildExamples(interactions, options.historyLength ?? HISTORY_LENGTH);
  const reasons = new Map<Example, PurchaseReason>();
  examples.forEach((ex, i) => reasons.set(ex, targetReasons[i]!));
  return {
    category: SYNTHETIC_CATEGORY,
    stem: `${SYNTHETIC_CATEGORY}_seed${seed}`,
    items: [...itemOf].sort((a, b) => a.id - b.id),
    split: chronologicalSplit(examples),
    examples,
    reasons,
    users,
    catalogue,
    itemOf,
  };
}

export interface WrittenDataset {
  dir: string;
  stem: string;
  info: string;
  train: string;
  valid: string;
  test: string;
}

/** Writes `info/<stem>.txt` and `{train,valid,test}/<stem>.csv` under `dir` (D3 layout, CRLF). */
export async function writeSyntheticDataset(dir: string, ds: SyntheticDataset): Promise<WrittenDataset> {
  const files: WrittenDataset = {
    dir,
    stem: ds.stem,
    info: join(dir, "info", `${ds.stem}.txt`),
    train: join(dir, "train", `${ds.stem}.csv`),
    valid: join(dir, "valid", `${ds.stem}.csv`),
    test: join(dir, "test", `${ds.stem}.csv`),
  };
  for (const d of ["info", "train", "valid", "test"]) await mkdir(join(dir, d), { recursive: true });
  await writeCatalogue(files.info, ds.items);
  for (const split of ["train", "valid", "test"] as const) await writeExamplesCsv(files[split], ds.split[split], "d3");
  return files;
}
