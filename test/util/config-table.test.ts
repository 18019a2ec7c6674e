/** Config tables: defaults, validation messages, other defaults, cross-setting checks, picking. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConfigError,
  choice,
  configTable,
  int,
  number,
  optional,
  formatBounds,
  kebab,
} from "../../src/util/config-table.js";

const TABLE = configTable(
  "toy",
  {
    epochs: int(3, "epochs", { min: 1 }),
    lr: number(1e-3, "learning rate", { above: 0 }),
    clip: number(0.2, "clip", { min: 0, below: 1 }),
    schedule: choice(["linear", "cosine"] as const, "linear", "schedule"),
    batchSize: int(8, "batch", { min: 1 }),
    microBatchSize: int(4, "micro-batch", { min: 1 }),
    name: optional("string", "a name"),
  },
  (c, name) =>
    c.batchSize % c.microBatchSize === 0
      ? undefined
      : `${name("batchSize")} must be a multiple of ${name("microBatchSize")}`,
);

test("defaults come from the declaration; make() applies overrides and validates them", () => {
  assert.deepEqual(TABLE.defaults(), {
    epochs: 3,
    lr: 1e-3,
    clip: 0.2,
    schedule: "linear",
    batchSize: 8,
    microBatchSize: 4,
    name: undefined,
  });
  assert.equal(TABLE.make({ lr: 0.5 }).lr, 0.5);
  assert.equal(TABLE.make({ lr: undefined }).lr, 1e-3, "an undefined override keeps the default");
  assert.throws(() => TABLE.make({ lr: 0 }), /^ConfigError: lr must be > 0, got 0$/);
  assert.throws(() => TABLE.make({ epochs: 1.5 }), /epochs expects an integer, got 1.5/);
  assert.throws(() => TABLE.make({ clip: 1 }), /clip must be ≥ 0 and < 1, got 1/);
  assert.throws(
    () => TABLE.make({ schedule: "cubic" as "linear" }),
    /schedule must be one of linear, cosine; got "cubic"/,
  );
  assert.throws(() => TABLE.make({ microBatchSize: 3 }), /batchSize must be a multiple of microBatchSize/);
  const err = (() => {
    try {
      TABLE.make({ lr: -1 });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof ConfigError && err.setting === "lr");
});

test("validate names settings the caller's way (CLI flags)", () => {
  assert.throws(
    () => TABLE.validate({ ...TABLE.defaults(), batchSize: 10 }, (k) => `--${TABLE.flagOf(k)}`),
    /--batch-size must be a multiple of --micro-batch-size/,
  );
});

test("withDefaults changes defaults only, and refuses invalid ones; pick keeps some settings", () => {
  const other = TABLE.withDefaults({ epochs: 1, lr: 0.1 });
  assert.equal(other.defaults().epochs, 1);
  assert.equal(other.fields.epochs.help, "epochs");
  assert.equal(TABLE.defaults().epochs, 3, "the original table is unchanged");
  assert.throws(() => TABLE.withDefaults({ epochs: 0 }), /epochs must be ≥ 1, got 0/);
  assert.deepEqual(TABLE.pick("lr", "epochs").keys(), ["lr", "epochs"]);
  assert.deepEqual(TABLE.from({ lr: 2, other: 1 }).lr, 2);
});

test("flags are the keys in kebab-case; bounds in words", () => {
  assert.equal(kebab("maxGradNorm"), "max-grad-norm");
  assert.equal(TABLE.flagOf("microBatchSize"), "micro-batch-size");
  assert.equal(formatBounds({ min: 0, below: 1 }), "≥ 0 and < 1");
  assert.equal(formatBounds({}), "");
});
