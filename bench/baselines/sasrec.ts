/**
 * GitHub issue 17: SASRec training epoch time and full-ranking evaluation time, ours next to the same
 * model in Python PyTorch (bench/python/baselines_bench.py), same shapes (Amazon CDs under the
 * project's protocol by default: 5,841 items, 5,540 training rows of ≤ 10 items, 6,157 test users;
 * hidden 64, 2 blocks, 1 head), same rows, side by side in one run. Target: ratio ≤ 1.10.
 *
 *   npm run build && node dist/bench/baselines/sasrec.js [--rounds 3] [--epochs 2] [--eval-repeats 2]
 *       [--settings 1/2] [--items 5841 --rows 5540 --eval-rows 6157 --hidden 64 --blocks 2 --heads 1
 *        --max-len 10 --batch 128 --eval-batch 256]
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { argNumber, argValue } from "../common/args.js";
import { PYTHON, repoRoot, runJson } from "../common/child.js";
import { assertSameModel, compare, type PairedRuns } from "../common/compare.js";
import { machineFacts } from "../common/machine.js";
import { fmt } from "../common/stats.js";
import { label, parseSettings, threadEnv, type ThreadSetting } from "../common/threads.js";
import { CDS_SHAPE, SHAPE_ARGS, type BenchShape } from "./shapes.js";

const argv = process.argv.slice(2);
const rounds = argNumber(argv, "rounds", 3);
const settings = parseSettings(argValue(argv, "settings") ?? "1/2");
const shape: BenchShape = Object.fromEntries(
  Object.entries(CDS_SHAPE).map(([k, v]) => [
    k,
    argNumber(
      argv,
      k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      v,
    ),
  ]),
) as unknown as BenchShape;
const repeats = [
  "--epochs",
  String(argNumber(argv, "epochs", 2)),
  "--eval-repeats",
  String(argNumber(argv, "eval-repeats", 2)),
];
const args = [...SHAPE_ARGS(shape), ...repeats];

type Run = Record<string, unknown>;
const runOurs = (s: ThreadSetting): Run =>
  runJson(
    process.execPath,
    [join(repoRoot(), "dist", "bench", "baselines", "sasrec-worker.js"), ...args],
    threadEnv(s),
  );
const runTorch = (s: ThreadSetting): Run =>
  runJson(PYTHON, [join(repoRoot(), "bench", "python", "baselines_bench.py"), "--json", ...args], threadEnv(s));

const machine = machineFacts();
console.log(`machine: ${machine.cpu}, nproc ${machine.nproc}, load ${machine.load1}, node ${machine.node}`);
console.log(`shape: ${JSON.stringify(shape)}; ${rounds} rounds`);
const cells = new Map<string, { train: PairedRuns; evaluation: PairedRuns; loads: number[] }>();
for (let r = 0; r < rounds; r++) {
  for (const [i, s] of settings.entries()) {
    // Alternate who goes first, so neither side always gets the quieter half of a round.
    const oursFirst = (r + i) % 2 === 0;
    const early = oursFirst ? runOurs(s) : undefined;
    const py = runTorch(s);
    const ours = early ?? runOurs(s);
    assertSameModel(ours.model as Run, py.model as Run, [
      "num_items",
      "hidden_size",
      "num_blocks",
      "num_heads",
      "max_len",
      "params",
    ]);
    const cell = cells.get(label(s)) ?? {
      train: { ours: [], torch: [] },
      evaluation: { ours: [], torch: [] },
      loads: [],
    };
    cells.set(label(s), cell);
    cell.train.ours.push(ours.epoch_ms as number[]);
    cell.train.torch.push(py.epoch_ms as number[]);
    cell.evaluation.ours.push(ours.eval_ms as number[]);
    cell.evaluation.torch.push(py.eval_ms as number[]);
    cell.loads.push(loadavg()[0]!);
    const last = (c: PairedRuns) => `${fmt(c.ours.at(-1)![0]! / 1000, 2)}/${fmt(c.torch.at(-1)![0]! / 1000, 2)} s`;
    console.log(
      `round ${r + 1} ${label(s)}: epoch ${last(cell.train)}, evaluation ${last(cell.evaluation)} (ours/PyTorch; load ${fmt(loadavg()[0]!, 2)})`,
    );
  }
}

const results = [...cells.entries()].map(([setting, c]) => ({
  setting,
  loads: c.loads,
  train: compare(c.train),
  evaluation: compare(c.evaluation),
}));
console.log("\nseconds: min / median; ratio = our time / PyTorch time (< 1: we are faster)");
console.log("| threads | part | ours (s) | PyTorch (s) | ratio median | ratio min | ratio paired |");
console.log("|---|---|---|---|---|---|---|");
for (const r of results) {
  for (const [part, c] of [
    ["training epoch", r.train],
    ["full-ranking evaluation", r.evaluation],
  ] as const) {
    const s = (x: { min: number; median: number }) => `${fmt(x.min / 1000, 2)} / ${fmt(x.median / 1000, 2)}`;
    console.log(
      `| ${r.setting} | ${part} | ${s(c.ours)} | ${s(c.torch)} | ${fmt(c.ratioMedian, 2)} | ${fmt(c.ratioMin, 2)} | ${fmt(c.ratioPaired, 2)} |`,
    );
  }
}
console.log(JSON.stringify({ bench: "baselines_sasrec", machine, shape, rounds, results }));
