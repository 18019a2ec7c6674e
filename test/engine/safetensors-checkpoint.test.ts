import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  INDEX_FILE,
  SINGLE_FILE,
  openCheckpoint,
  planShards,
  writeCheckpoint,
} from "../../src/engine/checkpoint-folder.js";
import { writeSafetensors, type TensorData } from "../../src/engine/safetensors.js";
import { tempFolder } from "../support/helpers.js";

/** A small Qwen2-named state dict: 4 tensors of 64, 32, 64 and 16 bytes. */
function stateDict(): TensorData[] {
  const f = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => seed + i / 8);
  return [
    { name: "model.embed_tokens.weight", dtype: "F32", shape: [4, 4], data: f(16, 1) },
    { name: "model.layers.0.self_attn.q_proj.bias", dtype: "F32", shape: [8], data: f(8, 2) },
    { name: "model.layers.0.mlp.up_proj.weight", dtype: "F32", shape: [4, 4], data: f(16, 3) },
    { name: "model.norm.weight", dtype: "BF16", shape: [8], data: new Uint16Array(8).fill(0x3f80) },
  ];
}

function assertSameTensors(dir: string, tensors: TensorData[]): void {
  const ckpt = openCheckpoint(dir);
  try {
    assert.deepEqual([...ckpt.entries.keys()].sort(), tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      assert.equal(ckpt.entries.get(t.name)!.dtype, t.dtype);
      assert.deepEqual(ckpt.entries.get(t.name)!.shape, t.shape);
      assert.deepEqual(ckpt.read(t.name), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), t.name);
    }
  } finally {
    ckpt.close();
  }
}

test("planShards is greedy in the given order and gives oversized tensors their own shard", () => {
  const sizes = (shards: TensorData[][]): string[][] => shards.map((s) => s.map((t) => t.name));
  const sd = stateDict();
  assert.deepEqual(sizes(planShards(sd, 1000)), [sd.map((t) => t.name)]);
  assert.deepEqual(sizes(planShards(sd, 100)), [
    [sd[0]!.name, sd[1]!.name],
    [sd[2]!.name, sd[3]!.name],
  ]);
  assert.deepEqual(
    sizes(planShards(sd, 40)),
    sd.map((t) => [t.name]),
  );
  assert.deepEqual(sizes(planShards(sd, 96)), [
    [sd[0]!.name, sd[1]!.name],
    [sd[2]!.name, sd[3]!.name],
  ]);
  assert.deepEqual(sizes(planShards([], 10)), [[]]);
});

test("a checkpoint that fits one shard is a single model.safetensors", () => {
  const { dir, cleanup } = tempFolder("ckpt");
  try {
    const written = writeCheckpoint(dir, stateDict());
    assert.deepEqual(written, [join(dir, SINGLE_FILE)]);
    assert.deepEqual(readdirSync(dir), [SINGLE_FILE]);
    const ckpt = openCheckpoint(dir);
    assert.equal(ckpt.sharded, false);
    assert.equal(ckpt.metadata["format"], "pt");
    ckpt.close();
    assertSameTensors(dir, stateDict());
  } finally {
    cleanup();
  }
});

test("sharded round trip writes HF-named shards and an index with total_size", () => {
  const { dir, cleanup } = tempFolder("ckpt");
  try {
    const sd = stateDict();
    writeCheckpoint(dir, sd, { maxShardBytes: 100 });
    assert.deepEqual(readdirSync(dir).sort(), [
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      INDEX_FILE,
    ]);
    const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), "utf8")) as {
      metadata: { total_size: number };
      weight_map: Record<string, string>;
    };
    assert.equal(index.metadata.total_size, 64 + 32 + 64 + 16);
    assert.deepEqual(Object.keys(index.weight_map), sd.map((t) => t.name).sort());
    assert.equal(index.weight_map["model.norm.weight"], "model-00002-of-00002.safetensors");
    const ckpt = openCheckpoint(dir);
    assert.equal(ckpt.sharded, true);
    assert.equal(ckpt.files.length, 2);
    ckpt.close();
    assertSameTensors(dir, sd);

    // Saving again unsharded removes the old shards and index, so a later open sees only the new weights.
    writeCheckpoint(dir, sd.slice(0, 2));
    assert.deepEqual(readdirSync(dir), [SINGLE_FILE]);
    assertSameTensors(dir, sd.slice(0, 2));
    // And the reverse: a sharded save removes the stale single file (which loaders would prefer).
    writeFileSync(join(dir, "config.json"), "{}");
    writeCheckpoint(dir, sd, { maxShardBytes: 40 });
    assert.deepEqual(readdirSync(dir).sort(), [
      "config.json",
      ...[1, 2, 3, 4].map((i) => `model-0000${i}-of-00004.safetensors`),
      INDEX_FILE,
    ]);
    assertSameTensors(dir, sd);
  } finally {
    cleanup();
  }
});

test("openCheckpoint explains what is missing", () => {
  const { dir, cleanup } = tempFolder("ckpt");
  try {
    writeFileSync(join(dir, "adapter_model.safetensors"), "");
    assert.throws(
      () => openCheckpoint(dir),
      /no model\.safetensors and no model\.safetensors\.index\.json \(safetensors files present: adapter_model\.safetensors\)/,
    );
    assert.throws(() => openCheckpoint(join(dir, "nope")), /folder does not exist/);
    unlinkSync(join(dir, "adapter_model.safetensors"));

    writeCheckpoint(dir, stateDict(), { maxShardBytes: 40 });
    unlinkSync(join(dir, "model-00002-of-00004.safetensors"));
    unlinkSync(join(dir, "model-00004-of-00004.safetensors"));
    assert.throws(
      () => openCheckpoint(dir),
      /2 of 4 shard files are missing: model-00002-of-00004\.safetensors, model-00004-of-00004\.safetensors/,
    );

    // A shard that does not hold the tensor the index assigns to it.
    writeSafetensors(join(dir, "model-00002-of-00004.safetensors"), [
      { name: "other", dtype: "U8", shape: [1], data: new Uint8Array(1) },
    ]);
    writeSafetensors(join(dir, "model-00004-of-00004.safetensors"), [stateDict()[3]!]);
    assert.throws(
      () => openCheckpoint(dir),
      /1 tensors named by weight_map are not in their shard: "model\.layers\.0\.self_attn\.q_proj\.bias" \(in model-00002-of-00004\.safetensors\)/,
    );

    writeFileSync(join(dir, INDEX_FILE), JSON.stringify({ weight_map: { a: "../escape.safetensors" } }));
    assert.throws(() => openCheckpoint(dir), /must be a shard file name in the same folder/);
    writeFileSync(join(dir, INDEX_FILE), "{");
    assert.throws(() => openCheckpoint(dir), /not valid JSON/);
  } finally {
    cleanup();
  }
});
