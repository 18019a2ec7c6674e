/**
 * Child process of safety.test.ts: calls every native op with malformed arguments (wrong types,
 * mismatched shapes, empty and disposed tensors, unknown devices, out-of-range indices). Each call
 * must return or throw an Error whose message starts with `op(`; anything that aborts the process
 * shows up in the parent as a signal plus the last op written to stderr.
 */
import { N, type Handle } from "../../src/engine/native.js";

const full = (shape: number[], value: number | boolean, dtype = "f32"): Handle =>
  N.full(shape, value, dtype, "cpu") as Handle;
const f32 = (shape: number[]): Handle => full(shape, 1.5);
const i64 = (shape: number[], value: number): Handle => full(shape, value, "i64");
const disposed = (): Handle => {
  const d = f32([2, 3]);
  N.dispose(d);
  return d;
};

const argumentSets: (() => unknown[])[] = [
  () => [],
  () => [f32([2, 3])],
  () => [f32([2, 3]), f32([2, 3])],
  () => [f32([2, 3]), f32([4])],
  () => [f32([0])],
  () => [f32([])],
  () => [f32([0]), f32([0]), f32([0])],
  () => [i64([2], 1), f32([2, 3])],
  () => [full([2], true, "bool")],
  () => [f32([2, 3]), -1, 5, 7],
  () => [f32([2, 3]), 1e12, 1e12],
  () => [f32([2, 3]), NaN, NaN],
  () => [f32([2, 3]), "x", "y"],
  () => [f32([2, 3]), null, "meta"],
  () => [f32([2, 3]), null, "cuda"],
  () => [f32([2, 3]), null, "vulkan"],
  () => [f32([2, 3]), "f16", "mps"],
  () => [[2, 3], 1, "f32", "meta"],
  () => [[2, 3], 1, "bf16", "xla"],
  () => [[-2, 3], 1],
  () => [[], 0],
  () => [[f32([2, 3]), f32([3])], 0],
  () => [[f32([2, 3]), 5], 0],
  () => [{}, {}],
  () => [disposed()],
  () => [f32([2, 3]), disposed()],
  () => [f32([2, 3]), 1, i64([2, 1], 7), f32([2, 3])],
  () => [f32([2, 3]), 1, i64([2, 1], -7), f32([2, 3])],
  () => [f32([2, 3]), 0, i64([2], 9), f32([2, 3])],
  () => [i64([2, 3], 0), i64([2, 3], 0)],
  () => [i64([2, 3], 5), 0],
  () => [i64([2, 3], 5), -2],
  () => [f32([1, 2, 3, 4]), f32([1, 2, 3, 4]), f32([1, 2, 3, 4]), f32([5, 5]), true],
  () => [f32([1, 2, 3, 5]), f32([1, 2, 3, 5]), f32([1, 2, 3, 5]), null, true, -1],
  () => [f32([4, 3]), i64([4], 5)],
  () => [f32([4, 3]), i64([4], -1), 7, "mean", 0.1],
  () => ["adamw", [{ params: [f32([2])] }]],
  () => ["adamw", [5, null]],
  () => ["sgd", [{ params: 5 }]],
  () => [1e12],
  () => [-1],
];

let calls = 0;
const problems: string[] = [];
for (const name of Object.keys(N).sort()) {
  const op = N[name];
  if (typeof op !== "function") continue;
  for (const [k, make] of argumentSets.entries()) {
    const args = make();
    process.stderr.write(`${name} #${k}\n`);
    calls++;
    try {
      op(...args);
    } catch (err) {
      if (!(err instanceof Error)) problems.push(`${name} #${k}: threw a non-Error ${String(err)}`);
      else if (!err.message.startsWith(`${name}(`)) problems.push(`${name} #${k}: message "${err.message}"`);
    }
  }
}
process.stdout.write(JSON.stringify({ calls, problems }) + "\n");
