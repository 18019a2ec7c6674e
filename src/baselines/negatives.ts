/**
 * Negative sampling for the BCE objective: uniform over the catalogue's items other than the positive.
 * Drawing from N − 1 values and shifting those at or above the positive by one maps them one-to-one
 * onto {1..N} \ {positive}, so a negative is never the positive and no retry loop is needed.
 */
import { randint, type Generator, type Tensor } from "../engine/index.js";

/**
 * `count` negatives for every element of `positives` (item indices 1..numItems): shape
 * [...positives.shape, count]. Sampled on the CPU from `generator` (reproducible), then moved to the
 * positives' device.
 */
export function sampleNegatives(positives: Tensor, numItems: number, count: number, generator: Generator): Tensor {
  if (numItems < 2) throw new Error(`negative sampling needs at least 2 catalogue items, got ${numItems}`);
  const shape = [...positives.shape, count];
  const draw = randint(1, numItems, shape, { generator });
  const onDevice = positives.device === "cpu" ? draw : draw.to(positives.device);
  return onDevice.add(onDevice.ge(positives.unsqueeze(-1)).to("i64"));
}
