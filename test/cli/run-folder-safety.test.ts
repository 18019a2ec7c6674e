/**
 * Nothing a user typed loses their work or relabels stale results: a used folder that is not a run
 * is refused and left byte for byte; a run folder is started over only with --overwrite (and then
 * only its own files go); an output overlapping an input is refused; --resume with other settings
 * is refused naming them; unusable output locations fail before any work.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_CONFIG, demoFolderClaim, demoOptions, demoSettings, runDemo } from "../../src/pipeline/demo.js";
import { RunFolder, settingDifferences } from "../../src/train/run-folder.js";
import { tempFolder } from "../support/helpers.js";
import { runCli } from "../support/cli-process.js";
import { SMALL_DATA } from "../support/resume-runs.js";
import { smallSource, tinyRecommender } from "../support/tiny-recommender.js";

let folder: { dir: string; cleanup: () => void };
let plain: string;

before(async () => {
  folder = tempFolder("run-safety");
  const rec = await tinyRecommender(await smallSource());
  plain = join(folder.dir, "plain", "model");
  await rec.save(plain);
  rec.dispose();
});
after(() => folder.cleanup());

/** Every file under `dir` with a hash of its bytes (and every folder), for byte-for-byte comparisons. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const key = rel ? `${rel}/${name}` : name;
      if (statSync(path).isDirectory()) {
        out[key + "/"] = "dir";
        walk(path, key);
      } else out[key] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  };
  walk(dir, "");
  return out;
}

const SFT_FAST = ["--max-steps", "1", "--batch-size", "4", "--micro-batch-size", "4", ...SMALL_DATA];

test("a used folder that is not a run is refused by every command and left byte for byte", async () => {
  const user = join(folder.dir, "my-work");
  mkdirSync(join(user, "checkpoints"), { recursive: true });
  writeFileSync(join(user, "checkpoints", "notes.txt"), "my notes");
  writeFileSync(join(user, "config.json"), JSON.stringify({ mine: true }));
  const before = snapshot(user);
  const commands = [
    ["train", "sft", "--model", plain, ...SFT_FAST],
    ["train", "pretrain", ...SFT_FAST],
    ["train", "rl", "--model", plain, ...SMALL_DATA],
    ["eval", "--model", plain, ...SMALL_DATA],
    ["eval", "--model", "popularity", ...SMALL_DATA],
    ["demo", "--quick", ...SMALL_DATA],
  ];
  for (const cmd of commands) {
    for (const extra of [[], ["--overwrite"]]) {
      if (extra.length > 0 && cmd[0] === "train" && cmd[1] === "rl") continue;
      const r = await runCli([...cmd, ...extra, "--out", user]);
      const what = `latentr3 ${cmd.slice(0, 2).join(" ")} ${extra.join(" ")}`;
      assert.notEqual(r.code, 0, `${what} must refuse`);
      assert.match(r.stderr, /is not empty and is not a run folder/, what);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
      assert.deepEqual(snapshot(user), before, `${what} left the folder unchanged`);
    }
  }
});

test("a run of the same command starts over only with --overwrite, which removes only the run's files", async () => {
  const out = join(folder.dir, "sft-run");
  const first = await runCli(["train", "sft", "--model", plain, ...SFT_FAST, "--out", out]);
  assert.equal(first.code, 0, first.stderr);
  writeFileSync(join(out, "notes.txt"), "kept");
  const again = await runCli(["train", "sft", "--model", plain, ...SFT_FAST, "--out", out]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /holds an earlier `train sft` run: pass --resume to continue it, or --overwrite/);
  const other = await runCli(["train", "pretrain", ...SFT_FAST, "--overwrite", "--out", out]);
  assert.match(other.stderr, /is not empty and is a `train sft` run/, "another command never takes it over");
  const both = await runCli(["train", "sft", "--model", plain, ...SFT_FAST, "--resume", "--overwrite", "--out", out]);
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /--resume continues the run in --out .* and --overwrite starts it over: pass one/);
  const over = await runCli(["train", "sft", "--model", plain, ...SFT_FAST, "--overwrite", "--out", out]);
  assert.equal(over.code, 0, over.stderr);
  assert.equal(readFileSync(join(out, "notes.txt"), "utf8"), "kept");
  assert.ok(existsSync(join(out, "model", "model.safetensors")));
});

test("--resume with other settings is refused, naming what differs", async () => {
  const out = join(folder.dir, "resume-run");
  const first = await runCli(["train", "sft", "--model", plain, ...SFT_FAST, "--out", out]);
  assert.equal(first.code, 0, first.stderr);
  const latent = await runCli([
    "train",
    "sft",
    "--model",
    plain,
    ...SFT_FAST,
    "--latent",
    "1",
    "--resume",
    "--out",
    out,
  ]);
  assert.notEqual(latent.code, 0);
  assert.match(latent.stderr, /--resume: .* holds a run with other settings \(latent\.numLatents: 0 → 1\)/);
  const lr = await runCli(["train", "sft", "--model", plain, ...SFT_FAST, "--lr", "0.01", "--resume", "--out", out]);
  assert.match(lr.stderr, /training\.lr: 0\.0003 → 0\.01/);
  const data = await runCli([
    ...["train", "sft", "--model", plain, ...SFT_FAST.slice(0, 6)],
    ...["--synth-users", "70", "--synth-items", "60", "--resume", "--out", out],
  ]);
  assert.match(data.stderr, /data\.name: "synthetic\(seed=42\)"|data\.rows/);
  const same = await runCli(["train", "sft", "--model", plain, ...SFT_FAST, "--resume", "--out", out]);
  assert.equal(same.code, 0, same.stderr);
});

test("demo --resume with other options is refused before any stage runs", async () => {
  const out = join(folder.dir, "demo-run");
  const source = await smallSource();
  const run = { source, resume: false, overwrite: false };
  const original = demoOptions(DEMO_CONFIG.make({ out, quick: true }), run);
  RunFolder.claim(out, { ...demoFolderClaim({ ...run, data: undefined }), settings: demoSettings(original) });
  const changed = demoOptions(DEMO_CONFIG.make({ out, quick: true, preset: "small" }), { ...run, resume: true });
  await assert.rejects(runDemo(changed), /--resume: .* holds a run with other settings \(preset: "tiny" → "small"/);
  assert.deepEqual(readdirSync(out), ["config.json"], "no stage ran");
});

test("settingDifferences lists dotted paths with old and new values", () => {
  assert.deepEqual(settingDifferences({ a: 1, b: { c: "x", d: [1] } }, { a: 1, b: { c: "y", d: [1] }, e: true }), [
    'b.c: "x" → "y"',
    "e: (none) → true",
  ]);
  assert.deepEqual(settingDifferences({ a: 1 }, { a: 1 }), []);
});

test("an output that equals, contains or lies inside an input is refused", async () => {
  const run = join(folder.dir, "plain");
  for (const out of [run, plain, join(plain, "sub")]) {
    const r = await runCli(["train", "sft", "--model", plain, ...SFT_FAST, "--out", out]);
    assert.notEqual(r.code, 0, out);
    assert.match(r.stderr, /overlaps --model/, out);
  }
  assert.ok(existsSync(join(plain, "model.safetensors")), "the input model is untouched");
});

test("unusable output locations fail at once, before any data or model is loaded", async () => {
  for (const cmd of [["train", "sft", "--model", plain], ["eval", "--model", plain], ["data", "synth"], ["demo"]]) {
    const r = await runCli([...cmd, "--out", "/proc/latentr3-run"]);
    assert.notEqual(r.code, 0, cmd.join(" "));
    assert.match(r.stderr, /--out \/proc\/latentr3-run: \/proc is a kernel interface/, cmd.join(" "));
  }
});
