/**
 * Collation of token-id rows into tensors. Prompts are left-padded (so every prompt ends at the same
 * column, where the latent thought or the answer starts); targets are right-padded after them.
 */
import { int64, type Device, type Tensor } from "../engine/index.js";

/** One training/eval row in model token space: prompt ids (without latent slots) and target ids (incl. EOS). */
export interface PromptTarget {
  prompt: readonly number[];
  target: readonly number[];
}

export interface PromptTargetBatch {
  /** [B, P] left-padded prompt ids. */
  promptIds: Tensor;
  /** [B, P] 1 = real prompt token. */
  promptMask: Tensor;
  /** [B, Ty] right-padded target ids (pad where targetMask is 0). */
  targetIds: Tensor;
  targetMask: Tensor;
  /** [B, Ty] target ids with −100 at padding (cross-entropy ignore index). */
  labels: Tensor;
  /** Number of real target tokens. */
  targetTokens: number;
}

export const IGNORE_INDEX = -100;

export function leftPad(
  rows: readonly (readonly number[])[],
  pad: number,
): { ids: number[]; mask: number[]; width: number } {
  const width = Math.max(1, ...rows.map((r) => r.length));
  const ids: number[] = [];
  const mask: number[] = [];
  for (const r of rows) {
    for (let i = r.length; i < width; i++) {
      ids.push(pad);
      mask.push(0);
    }
    for (const t of r) {
      ids.push(t);
      mask.push(1);
    }
  }
  return { ids, mask, width };
}

export function rightPad(
  rows: readonly (readonly number[])[],
  pad: number,
): { ids: number[]; mask: number[]; width: number } {
  const width = Math.max(1, ...rows.map((r) => r.length));
  const ids: number[] = [];
  const mask: number[] = [];
  for (const r of rows) {
    for (const t of r) {
      ids.push(t);
      mask.push(1);
    }
    for (let i = r.length; i < width; i++) {
      ids.push(pad);
      mask.push(0);
    }
  }
  return { ids, mask, width };
}

export function collatePromptTarget(
  rows: readonly PromptTarget[],
  padId: number,
  device: Device = "cpu",
): PromptTargetBatch {
  const b = rows.length;
  const p = leftPad(
    rows.map((r) => r.prompt),
    padId,
  );
  const t = rightPad(
    rows.map((r) => r.target),
    padId,
  );
  const labels = t.ids.map((id, i) => (t.mask[i] ? id : IGNORE_INDEX));
  return {
    promptIds: int64(p.ids, [b, p.width], device),
    promptMask: int64(p.mask, [b, p.width], device),
    targetIds: int64(t.ids, [b, t.width], device),
    targetMask: int64(t.mask, [b, t.width], device),
    labels: int64(labels, [b, t.width], device),
    targetTokens: t.mask.reduce((s, m) => s + m, 0),
  };
}

/** Left-padded prompts only (generation). */
export function collatePrompts(
  prompts: readonly (readonly number[])[],
  padId: number,
  device: Device = "cpu",
): { ids: Tensor; mask: Tensor } {
  const p = leftPad(prompts, padId);
  return {
    ids: int64(p.ids, [prompts.length, p.width], device),
    mask: int64(p.mask, [prompts.length, p.width], device),
  };
}
