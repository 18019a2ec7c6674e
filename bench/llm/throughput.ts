/**
 * GitHub issue 3: training and KV-cached decoding throughput of the `tiny` and `small` presets (vocab
 * compacted to --vocab tokens, 4000 by default), ours next to Python PyTorch on the equivalent model.
 * The config JSON is written here and read by both sides, so the shapes are identical by construction
 * (and checked again from what each side reports).
 *
 *   training: fwd+bwd+AdamW on a fixed batch of --batch x --seq (8 x 128); tokens/s = batch·seq / median step.
 *   decoding: --beams 8 rows, prefill a --prompt 128 token prompt, then --new-tokens 32 one-token steps
 *             with the cache reordered every step (KVCache.selectRows; index_select in Python), as beam
 *             search does; tokens/s = beams · new tokens / median total step time (prefill excluded,
 *             reported separately).
 *
 *   npm run build && node dist/bench/llm/throughput.js [--presets tiny,small] [--vocab 4000] [--rounds 3]
 *       [--settings 1/2] [--train-steps 6] [--decode-repeats 3] [--device cuda] [--precision fp32|bf16]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { presetConfig } from "../../src/llm/config.js";
import { argNumber, argValue } from "../common/args.js";
import { PYTHON, repoRoot, runJson } from "../common/child.js";
import { SHAPE_KEYS, assertSameModel, compare, type Comparison, type PairedRuns } from "../common/compare.js";
import { machineFacts } from "../common/machine.js";
import { fmt } from "../common/stats.js";
import { label, parseSettings, threadEnv, type ThreadSetting } from "../common/threads.js";

const argv = process.argv.slice(2);
const presets = (argValue(argv, "presets") ?? "tiny,small").split(",");
const vocab = argNumber(argv, "vocab", 4000);
const rounds = argNumber(argv, "rounds", 3);
const settings = parseSettings(argValue(argv, "settings") ?? "1/2");
const batch = argNumber(argv, "batch", 8);
const seq = argNumber(argv, "seq", 128);
const trainSteps = argNumber(argv, "train-steps", 6);
const warmup = argNumber(argv, "warmup", 2);
const beams = argNumber(argv, "beams", 8);
const prompt = argNumber(argv, "prompt", 128);
const newTokens = argNumber(argv, "new-tokens", 32);
const decodeRepeats = argNumber(argv, "decode-repeats", 3);
/** `--device cuda --precision bf16` times both sides on the GPU (scripts/gpu-check.sh). */
const device = argValue(argv, "device") ?? "cpu";
const precision = argValue(argv, "precision") ?? "fp32";

type Run = Record<string, unknown>;
const all = (s: unknown) => (s as { all: number[] }).all;
const dir = mkdtempSync(join(tmpdir(), "latentr3-throughput-"));
const configFiles = new Map<string, string>();
for (const p of presets) {
  const file = join(dir, `${p}.json`);
  writeFileSync(file, JSON.stringify(presetConfig(p, vocab), null, 2));
  configFiles.set(p, file);
}

const common = ["--batch", batch, "--seq", seq, "--warmup", warmup, "--beams", beams, "--prompt", prompt];
const shared = [
  ...[...common, "--new-tokens", newTokens, "--decode-repeats", decodeRepeats].map(String),
  ...["--device", device, "--precision", precision],
];
const ourWorker = join(repoRoot(), "dist", "bench", "llm", "throughput-worker.js");
const pyScript = join(repoRoot(), "bench", "python", "llm_bench.py");
const runOurs = (p: string, s: ThreadSetting): Run =>
  runJson(
    process.execPath,
    [ourWorker, "--config", configFiles.get(p)!, "--train-steps", String(trainSteps), ...shared],
    threadEnv(s),
  );
const runTorch = (p: string, s: ThreadSetting): Run =>
  runJson(
    PYTHON,
    [pyScript, "--json", "--config", configFiles.get(p)!, "--train-steps", String(trainSteps), ...shared],
    threadEnv(s),
  );

interface Cell {
  train: PairedRuns;
  decode: PairedRuns;
  prefill: PairedRuns;
  params: number;
}
const key = (p: string, s: ThreadSetting) => `${p} ${label(s)}`;
const cells = new Map<string, Cell>();

const machine = machineFacts();
console.log(`machine: ${machine.cpu}, nproc ${machine.nproc}, load ${machine.load1}, node ${machine.node}`);
console.log(`OPENBLAS_CORETYPE=${machine.openblasCoretype ?? "(unset)"}; vocab ${vocab}; ${rounds} rounds`);
try {
  for (let r = 0; r < rounds; r++) {
    let i = 0;
    for (const p of presets) {
      for (const s of settings) {
        // Alternate who goes first, so neither side always gets the cooler half of a round.
        const oursFirst = (r + i++) % 2 === 0;
        const early = oursFirst ? runOurs(p, s) : undefined;
        const py = runTorch(p, s);
        const ours = early ?? runOurs(p, s);
        const oursModel = ours.model as Run;
        assertSameModel(oursModel, { ...(py.model as Run), params: py.params }, SHAPE_KEYS);
        const cell = cells.get(key(p, s)) ?? {
          train: { ours: [], torch: [] },
          decode: { ours: [], torch: [] },
          prefill: { ours: [], torch: [] },
          params: oursModel.params as number,
        };
        cells.set(key(p, s), cell);
        const [ot, pt] = [ours.training as Run, py.training as Run];
        const [od, pd] = [ours.decoding as Run, py.decoding as Run];
        cell.train.ours.push(ot.step_ms as number[]);
        cell.train.torch.push(all(pt.step_ms));
        cell.decode.ours.push(od.run_step_total_ms as number[]);
        cell.decode.torch.push(all(pd.run_step_total_ms));
        cell.prefill.ours.push(od.prefill_ms as number[]);
        cell.prefill.torch.push(all(pd.prefill_ms));
        const ms = (c: PairedRuns) => `${fmt(c.ours.at(-1)![0]!, 0)}/${fmt(c.torch.at(-1)![0]!, 0)}`;
        console.log(
          `round ${r + 1} ${key(p, s)}: first train step ${ms(cell.train)} ms, first decode run ${ms(cell.decode)} ms ` +
            `(ours/PyTorch; load ${fmt(loadavg()[0]!, 2)})`,
        );
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const tokensPerSecond = (tokens: number, ms: number) => (tokens * 1000) / ms;
const results = [...cells.entries()].map(([k, c]) => ({
  key: k,
  params: c.params,
  train: compare(c.train),
  decode: compare(c.decode),
  prefill: compare(c.prefill),
}));
const tps = (c: Comparison, tokens: number) =>
  `${fmt(tokensPerSecond(tokens, c.ours.median), 0)} | ${fmt(tokensPerSecond(tokens, c.torch.median), 0)} | ${fmt(c.ratioMedian, 2)} (min ${fmt(c.ratioMin, 2)}, paired ${fmt(c.ratioPaired, 2)})`;
console.log(`\ntokens/s from median times; ratio = our time / PyTorch time (< 1: we are faster), median (min, paired)`);
console.log(
  "| model, threads | params | train tok/s ours | PyTorch | ratio | decode tok/s ours | PyTorch | ratio | prefill ms ours / PyTorch |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${r.key} | ${fmt(r.params / 1e6, 2)} M | ${tps(r.train, batch * seq)} | ${tps(r.decode, beams * newTokens)} | ` +
      `${fmt(r.prefill.ours.median, 1)} / ${fmt(r.prefill.torch.median, 1)} |`,
  );
}
console.log(
  JSON.stringify({
    bench: "llm_throughput",
    machine,
    vocab,
    rounds,
    train: { batch, seq, steps: trainSteps, warmup },
    decode: { beams, prompt, newTokens, repeats: decodeRepeats },
    results: results.map((r) => ({
      ...r,
      trainTokensPerS: {
        ours: tokensPerSecond(batch * seq, r.train.ours.median),
        torch: tokensPerSecond(batch * seq, r.train.torch.median),
      },
      decodeTokensPerS: {
        ours: tokensPerSecond(beams * newTokens, r.decode.ours.median),
        torch: tokensPerSecond(beams * newTokens, r.decode.torch.median),
      },
    })),
  }),
);
