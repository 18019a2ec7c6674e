/**
 * The demo's real-data recipe: with a dataset folder the SFT stages default to the epoch cap chosen on
 * the selection split (REAL_DATA_SFT_EPOCHS), on the embedded synthetic data to SFT's own default;
 * --sft-epochs overrides both, and the demo's help says which default applies where.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_CONFIG, REAL_DATA_SFT_EPOCHS, demoOptions } from "../../src/pipeline/demo.js";
import { SFT_CONFIG } from "../../src/train/sft.js";
import { smallSource } from "../support/tiny-recommender.js";
import { runCli } from "../support/cli-process.js";

test("demo: SFT trains up to the real-data recipe's epochs on a dataset folder, SFT's default on the synthetic data", async () => {
  const synthetic = await smallSource();
  assert.equal(synthetic.dir, undefined, "the embedded dataset has no folder");
  const folder = { ...synthetic, dir: "../shared/data/amazon-cds" };
  const run = { resume: false, overwrite: false };
  const epochs = (source: typeof synthetic, sftEpochs?: number) =>
    demoOptions(DEMO_CONFIG.make({ out: "runs/x", ...(sftEpochs ? { sftEpochs } : {}) }), { ...run, source }).sft
      .epochs;
  assert.notEqual(REAL_DATA_SFT_EPOCHS, SFT_CONFIG.fields.epochs.default);
  assert.equal(epochs(synthetic), SFT_CONFIG.fields.epochs.default);
  assert.equal(epochs(folder), REAL_DATA_SFT_EPOCHS);
  assert.equal(epochs(folder, 4), 4);
  assert.equal(epochs(synthetic, 4), 4);
  const help = await runCli(["demo", "--help"]);
  assert.match(help.stdout, new RegExp(`--sft-epochs .*${REAL_DATA_SFT_EPOCHS} with --data`, "s"));
});
