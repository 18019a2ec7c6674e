/**
 * Prompt pieces → token ids, loss labels and padded batches (spec 2.3, without the reference's
 * `<|Thought|>` placeholder slots: latent thoughts are fed as embeddings after the cached prompt).
 *
 *   training row:   enc(P1) ‖ enc(P2) ‖ enc(T) ‖ [EOS]
 *   generation row: enc(P1) ‖ enc(P2)
 *   labels:         IGNORE_INDEX on every prompt token; the token id on T and EOS.
 *
 * Pieces are encoded separately (as the reference does) through `TokenEncoder`, so this layer does
 * not depend on a particular tokenizer implementation.
 */
import type { PromptPieces } from "./prompt.js";

/** The one tokenizer capability `data/` needs. Must not add BOS/EOS. */
export interface TokenEncoder {
  encode(text: string): number[];
}

/** Label of tokens that carry no loss (PyTorch's cross-entropy `ignore_index`). */
export const IGNORE_INDEX = -100;

export interface EncodeOptions {
  /** Appended after the target text. */
  eosId: number;
  /** Keep only the last `maxLength` tokens (reference: 512 for training, 2560 for evaluation). */
  maxLength?: number;
}

/** A training/eval row in token ids: prompt (no latent slots) and target (`"title"⏎` + EOS). */
export interface PromptTarget {
  prompt: readonly number[];
  target: readonly number[];
}

export interface EncodedExample {
  inputIds: number[];
  /** Same length as `inputIds`. */
  labels: number[];
  /** Tokens before the target (after truncation). */
  promptLength: number;
}

/** The generation-time prompt: P1 ‖ P2, left-truncated to `maxLength`. */
export function encodePrompt(pieces: PromptPieces, encoder: TokenEncoder, options: EncodeOptions): number[] {
  const ids = [...encoder.encode(pieces.instruction), ...encoder.encode(pieces.input)];
  return options.maxLength !== undefined && ids.length > options.maxLength
    ? ids.slice(ids.length - options.maxLength)
    : ids;
}

/** The training row with its labels; the loss covers the target tokens and EOS only. */
export function encodeTrainingExample(
  pieces: PromptPieces,
  encoder: TokenEncoder,
  options: EncodeOptions,
): EncodedExample {
  if (pieces.target === undefined) throw new Error("encodeTrainingExample needs prompt pieces with a target");
  const prompt = [...encoder.encode(pieces.instruction), ...encoder.encode(pieces.input)];
  const target = [...encoder.encode(pieces.target), options.eosId];
  let inputIds = [...prompt, ...target];
  let labels = [...new Array<number>(prompt.length).fill(IGNORE_INDEX), ...target];
  let promptLength = prompt.length;
  if (options.maxLength !== undefined && inputIds.length > options.maxLength) {
    const cut = inputIds.length - options.maxLength;
    inputIds = inputIds.slice(cut);
    labels = labels.slice(cut);
    promptLength = Math.max(0, promptLength - cut);
  }
  return { inputIds, labels, promptLength };
}

export interface PaddedBatch {
  inputIds: number[][];
  /** 1 on real tokens, 0 on padding. */
  attentionMask: number[][];
  /** Present when labels were given: padded with IGNORE_INDEX. */
  labels?: number[][];
}

export interface PadOptions {
  padId: number;
  /** `left` for generation (the reference's RL and evaluation), `right` for SFT. */
  side: "left" | "right";
  /** Round the padded length up to a multiple of this (reference SFT: 8). */
  multipleOf?: number;
}

/** Pads sequences to a common length. */
export function padBatch(
  sequences: readonly number[][],
  options: PadOptions,
  labels?: readonly number[][],
): PaddedBatch {
  if (labels && labels.length !== sequences.length) throw new Error("padBatch: labels and sequences differ in count");
  let width = Math.max(0, ...sequences.map((s) => s.length));
  const m = options.multipleOf ?? 1;
  width = Math.ceil(width / m) * m;
  const pad = <T>(row: readonly T[], fill: T): T[] => {
    const extra = new Array<T>(width - row.length).fill(fill);
    return options.side === "left" ? [...extra, ...row] : [...row, ...extra];
  };
  const batch: PaddedBatch = {
    inputIds: sequences.map((s) => pad(s, options.padId)),
    attentionMask: sequences.map((s) => pad(new Array<number>(s.length).fill(1), 0)),
  };
  if (labels) {
    batch.labels = labels.map((l, i) => {
      if (l.length !== sequences[i]!.length)
        throw new Error(`padBatch: row ${i} has ${l.length} labels for ${sequences[i]!.length} tokens`);
      return pad(l, IGNORE_INDEX);
    });
  }
  return batch;
}
