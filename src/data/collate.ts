/**
 * Collation of token-id rows into tensors. Prompts are left-padded (so every prompt ends at the same
 * column, where the latent thought or the answer starts); targets are right-padded after them.
 */
import { int64, type Device, type Tensor } from "../engine/index.js";
import { padBatch, type PromptTarget } from "./encode.js";

export type { PromptTarget };

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

function tensorOf(rows: number[][], device: Device): Tensor {
  return int64(rows.flat(), [rows.length, rows[0]?.length ?? 0], device);
}

export function collatePromptTarget(
  rows: readonly PromptTarget[],
  padId: number,
  device: Device = "cpu",
): PromptTargetBatch {
  const prompts = padBatch(
    rows.map((r) => [...r.prompt]),
    { padId, side: "left" },
  );
  const targets = padBatch(
    rows.map((r) => [...r.target]),
    { padId, side: "right" },
    rows.map((r) => [...r.target]),
  );
  return {
    promptIds: tensorOf(prompts.inputIds, device),
    promptMask: tensorOf(prompts.attentionMask, device),
    targetIds: tensorOf(targets.inputIds, device),
    targetMask: tensorOf(targets.attentionMask, device),
    labels: tensorOf(targets.labels!, device),
    targetTokens: rows.reduce((n, r) => n + r.target.length, 0),
  };
}

/** Left-padded prompts only (generation). */
export function collatePrompts(
  prompts: readonly (readonly number[])[],
  padId: number,
  device: Device = "cpu",
): { ids: Tensor; mask: Tensor } {
  const p = padBatch(
    prompts.map((r) => [...r]),
    { padId, side: "left" },
  );
  return { ids: tensorOf(p.inputIds, device), mask: tensorOf(p.attentionMask, device) };
}
