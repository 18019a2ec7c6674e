/**
 * The LoRA, precision and checkpointing flags through the real CLI: `train sft --lora-rank` writes a
 * PEFT adapter folder, `train rl` and `eval` take it as --model, and `model merge-lora` writes a
 * plain folder. Wrong values fail naming the option.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tempFolder } from "../support/helpers.js";
import { runCli } from "../support/cli-process.js";
import { assertOk, SMALL_DATA, tinyPretrainedModel } from "../support/resume-runs.js";

test("train sft --lora-rank --grad-checkpointing --precision bf16 → rl → merge-lora", async () => {
  const { dir, cleanup } = tempFolder("lora-cli");
  try {
    const base = await tinyPretrainedModel(dir);
    const sftDir = join(dir, "sft");
    const sft = await runCli([
      ...["train", "sft", "--model", base, "--latent", "1", "--out", sftDir, ...SMALL_DATA],
      ...["--max-steps", "2", "--batch-size", "8", "--micro-batch-size", "4"],
      ...["--lora-rank", "4", "--lora-targets", "q_proj,v_proj", "--grad-checkpointing", "--precision", "bf16"],
    ]);
    assertOk(sft, "LoRA sft");
    const adapter = join(sftDir, "model");
    const config = JSON.parse(readFileSync(join(adapter, "adapter_config.json"), "utf8"));
    assert.deepEqual([config.r, config.target_modules], [4, ["q_proj", "v_proj"]]);
    assert.ok(!existsSync(join(adapter, "model.safetensors")), "an adapter folder holds no base weights");
    const runConfig = JSON.parse(readFileSync(join(sftDir, "config.json"), "utf8"));
    assert.equal(runConfig.training.precision, "bf16");
    assert.equal(runConfig.training.gradCheckpointing, true);

    const rlDir = join(dir, "rl");
    const rl = await runCli(["train", "rl", "--model", adapter, "--out", rlDir, "--max-steps", "1", ...SMALL_DATA]);
    assertOk(rl, "rl on the adapter folder");
    assert.ok(existsSync(join(rlDir, "model", "adapter_config.json")));

    const merged = join(dir, "merged");
    const merge = ["model", "merge-lora", "--adapter", join(rlDir, "model"), "--out", merged];
    assertOk(await runCli(merge), "merge-lora");
    assert.ok(existsSync(join(merged, "model.safetensors")) && existsSync(join(merged, "config.json")));
    assert.equal(JSON.parse(readFileSync(join(merged, "merge-lora.json"), "utf8")).command, "model merge-lora");
    // Its --out is claimed like a run folder: a used one needs --overwrite, an input is never written.
    const again = await runCli(merge);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /--out .*merged holds an earlier `model merge-lora` run: .*--overwrite/);
    assertOk(await runCli([...merge, "--overwrite"]), "merge-lora --overwrite");
    const intoInput = await runCli(["model", "merge-lora", "--adapter", adapter, "--out", join(adapter, "merged")]);
    assert.notEqual(intoInput.code, 0);
    assert.match(intoInput.stderr, /overlaps --adapter/);
    assert.ok(!existsSync(join(adapter, "merged")));
    const intoRun = await runCli(["model", "merge-lora", "--adapter", adapter, "--out", rlDir]);
    assert.notEqual(intoRun.code, 0);
    assert.match(intoRun.stderr, /is not empty and is a `train rl` run/);
    const help = await runCli(["model", "merge-lora", "--help"]);
    assert.equal(help.code, 0);
    for (const flag of ["--adapter", "--base", "--out", "--overwrite"]) assert.ok(help.stdout.includes(flag), flag);
    const sftHelp = await runCli(["train", "sft", "--help"]);
    for (const flag of ["--lora-rank", "--lora-targets", "--precision", "--grad-checkpointing"]) {
      assert.ok(sftHelp.stdout.includes(flag), flag);
    }

    const bad = await runCli([
      "train",
      "sft",
      "--model",
      base,
      "--lora-rank",
      "4",
      "--lora-targets",
      "qkv",
      ...SMALL_DATA,
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--lora-targets qkv: expected names from q_proj/);
    const fp16 = await runCli([
      "train",
      "sft",
      "--model",
      base,
      "--precision",
      "fp16",
      "--out",
      join(dir, "x"),
      ...SMALL_DATA,
    ]);
    assert.notEqual(fp16.code, 0);
    assert.match(fp16.stderr, /fp16 needs a CUDA device/);
  } finally {
    cleanup();
  }
});
