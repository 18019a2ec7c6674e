/**
 * A Hugging Face checkpoint folder's weights: either one `model.safetensors`, or shards
 * `model-00001-of-0000N.safetensors` listed by `model.safetensors.index.json`
 * (`{"metadata": {"total_size": BYTES}, "weight_map": {tensor name: shard file}}`).
 * `openCheckpoint` gives one view over all tensors; `writeCheckpoint` writes either form.
 */
import { existsSync, readFileSync, readdirSync, unlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { writeAtomic, writeFully } from "../util/atomic-file.js";
import {
  DTYPE_BYTES,
  SafetensorsError,
  listNames,
  numelOf,
  openSafetensors,
  validateTensors,
  writeSafetensors,
  type SafetensorsFile,
  type TensorData,
  type TensorEntry,
  type TensorReader,
} from "./safetensors.js";

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";
const SHARD_PATTERN = /^model-\d{5}-of-\d{5}\.safetensors$/;

export interface Checkpoint extends TensorReader {
  readonly dir: string;
  /** The safetensors files in use, in shard order. */
  readonly files: readonly string[];
  readonly sharded: boolean;
}

/**
 * Opens the weights of a checkpoint folder. Like Hugging Face loaders, a `model.safetensors` wins over
 * an index. For a sharded folder, every shard named by the index must exist and hold the tensors the
 * index assigns to it; `metadata` is the first shard's `__metadata__`.
 */
export function openCheckpoint(dir: string): Checkpoint {
  const single = join(dir, SINGLE_FILE);
  if (existsSync(single)) {
    const file = openSafetensors(single);
    return { ...viewOf([file], file.entries, file.metadata), dir, files: [single], sharded: false };
  }
  const indexPath = join(dir, INDEX_FILE);
  if (!existsSync(indexPath)) {
    const present = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".safetensors")) : [];
    throw new SafetensorsError(
      `${dir}: no ${SINGLE_FILE} and no ${INDEX_FILE}` +
        (existsSync(dir)
          ? ` (safetensors files present: ${present.length ? present.join(", ") : "none"})`
          : " (folder does not exist)"),
    );
  }
  const weightMap = readWeightMap(indexPath);
  const shardNames = [...new Set(weightMap.values())].sort();
  const missing = shardNames.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new SafetensorsError(
      `${indexPath}: ${missing.length} of ${shardNames.length} shard files are missing: ${missing.join(", ")}`,
    );
  }
  const files: SafetensorsFile[] = [];
  try {
    for (const f of shardNames) files.push(openSafetensors(join(dir, f)));
    const byShard = new Map(shardNames.map((f, i) => [f, files[i]!] as const));
    const entries = new Map<string, TensorEntry>();
    const absent: string[] = [];
    for (const [name, shard] of weightMap) {
      const entry = byShard.get(shard)!.entries.get(name);
      if (entry === undefined) absent.push(`"${name}" (in ${shard})`);
      else entries.set(name, entry);
    }
    if (absent.length > 0) {
      throw new SafetensorsError(
        `${indexPath}: ${absent.length} tensors named by weight_map are not in their shard: ${absent.slice(0, 10).join(", ")}${absent.length > 10 ? ", ..." : ""}`,
      );
    }
    return { ...viewOf(files, entries, files[0]?.metadata ?? {}), dir, files: files.map((f) => f.path), sharded: true };
  } catch (err) {
    for (const f of files) f.close();
    throw err;
  }
}

function readWeightMap(indexPath: string): Map<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexPath, "utf8"));
  } catch (err) {
    throw new SafetensorsError(`${indexPath}: not valid JSON (${(err as Error).message})`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (weightMap === null || typeof weightMap !== "object" || Array.isArray(weightMap)) {
    throw new SafetensorsError(`${indexPath}: expected an object with "weight_map": {tensor name: shard file}`);
  }
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof file !== "string" || file.includes("/") || file.includes("\\") || file === "" || file.startsWith(".")) {
      throw new SafetensorsError(
        `${indexPath}: weight_map["${name}"] must be a shard file name in the same folder, got ${JSON.stringify(file)}`,
      );
    }
    out.set(name, file);
  }
  return out;
}

function viewOf(
  files: SafetensorsFile[],
  entries: ReadonlyMap<string, TensorEntry>,
  metadata: Readonly<Record<string, string>>,
): TensorReader {
  const byPath = new Map(files.map((f) => [f.path, f] as const));
  return {
    metadata,
    entries,
    read(name: string): Buffer {
      const e = entries.get(name);
      if (e === undefined) throw new SafetensorsError(`no tensor "${name}" in checkpoint ${listNames(entries)}`);
      return byPath.get(e.file)!.read(name);
    },
    close(): void {
      for (const f of files) f.close();
    },
  };
}

export interface WriteCheckpointOptions {
  /** Largest shard in bytes of tensor data (default 5 GB, Hugging Face's default `max_shard_size`). */
  maxShardBytes?: number;
  /** Extra `__metadata__` for every file (merged over `{format: "pt"}`). */
  metadata?: Record<string, string>;
}

/** Greedy sharding in the given order, as Hugging Face does: a tensor larger than the limit gets its own shard. */
export function planShards(tensors: readonly TensorData[], maxShardBytes: number): TensorData[][] {
  const shards: TensorData[][] = [];
  let current: TensorData[] = [];
  let size = 0;
  for (const t of tensors) {
    const bytes = t.data.byteLength;
    if (current.length > 0 && size + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      size = 0;
    }
    current.push(t);
    size += bytes;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);
  return shards;
}

export function shardFileName(i: number, n: number): string {
  const pad = (k: number): string => String(k).padStart(5, "0");
  return `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
}

/**
 * Writes a checkpoint folder's weights: `model.safetensors` when everything fits in one shard, else
 * the shards and then the index (last, so an index never names a shard not yet written). Each file is
 * written atomically; afterwards files of the other layout left by an earlier save are removed.
 * Returns the paths written.
 */
export function writeCheckpoint(
  dir: string,
  tensors: readonly TensorData[],
  options: WriteCheckpointOptions = {},
): string[] {
  const maxShardBytes = options.maxShardBytes ?? 5_000_000_000;
  if (!(maxShardBytes > 0)) throw new SafetensorsError(`${dir}: maxShardBytes must be positive, got ${maxShardBytes}`);
  validateTensors(tensors, dir);
  const shards = planShards(tensors, maxShardBytes);
  const written: string[] = [];
  if (shards.length === 1) {
    const path = join(dir, SINGLE_FILE);
    writeSafetensors(path, tensors, options.metadata);
    written.push(path);
  } else {
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = shardFileName(i, shards.length);
      writeSafetensors(join(dir, file), shard, options.metadata);
      written.push(join(dir, file));
      for (const t of shard) weightMap[t.name] = file;
    });
    const totalSize = tensors.reduce((s, t) => s + numelOf(t.shape) * DTYPE_BYTES[t.dtype], 0);
    const sortedMap = Object.fromEntries(
      Object.keys(weightMap)
        .sort()
        .map((k) => [k, weightMap[k]!]),
    );
    const index = JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sortedMap }, null, 2) + "\n";
    const indexPath = join(dir, INDEX_FILE);
    writeAtomic(indexPath, (fd) => writeFully(fd, new TextEncoder().encode(index)));
    written.push(indexPath);
  }
  removeStale(dir, new Set(written.map((p) => basename(p))));
  return written;
}

function removeStale(dir: string, keep: Set<string>): void {
  for (const f of readdirSync(dir)) {
    const ours = f === SINGLE_FILE || f === INDEX_FILE || SHARD_PATTERN.test(f);
    if (ours && !keep.has(f)) unlinkSync(join(dir, f));
  }
}
