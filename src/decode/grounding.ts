/**
 * BIGRec's original grounding decoding (paper Table 4, "grounding" vs constrained decoding): the LLM
 * generates one answer freely over the full vocabulary (no title trie), then the answer is mapped to
 * the catalogue by L2 distance between text embeddings.
 *
 * The text embedding follows BIGRec (github.com/SAI990323/BIGRec, `data/movie/evaluate.py` for the
 * generated text and `data/embedding.ipynb` for the item titles): each text alone, batched with left
 * padding, and the last layer's hidden state (`hidden_states[-1]`, after the final norm) at the last
 * position; items are ranked by `torch.cdist(p=2)`. BIGRec embeds the bare title (quotes stripped
 * from both sides). We embed the answer's tokens up to its closing `"⏎`, i.e. `"title`: the
 * generated side is then the tokens exactly as generated (no re-tokenizing), and the catalogue side
 * is the tokens the model was trained to write, which a vocabulary compacted to the data's prompts
 * and answers always holds (a bare title may need a token it lacks, e.g. `)` that only occurs
 * merged as `)"⏎`). A generated catalogue title embeds exactly like its item.
 */
import { noGrad, tidy, type Tensor } from "../engine/index.js";
import { targetText } from "../data/prompt.js";
import { extendMask } from "../llm/attention-mask.js";
import type { Qwen2Model } from "../llm/qwen2.js";
import type { PrimedDecoder } from "./search-decoder.js";

/** What embedding and generation need from a tokenizer (model ids). */
export interface GroundingTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[], skipSpecialTokens?: boolean): string;
  readonly eosId: number;
  readonly padId: number;
}

/** A freely generated answer: its tokens (EOS excluded) and whether it ended with the closing `"⏎`. */
export interface GeneratedAnswer {
  tokens: number[];
  closed: boolean;
}

/**
 * The tokens an answer is embedded from: the answer up to (without) the token that closed it with
 * `"⏎`. A catalogue title's are those of `"title"⏎` less the last, so a generated catalogue title
 * (tokenized as in training) gives the same tokens. Empty (EOS at once) embeds as EOS alone.
 */
export function groundingTokens(answer: GeneratedAnswer, eosId: number): number[] {
  const tokens = answer.closed ? answer.tokens.slice(0, -1) : answer.tokens;
  return tokens.length > 0 ? tokens : [eosId];
}

export function titleGroundingTokens(tokenizer: GroundingTokenizer, title: string): number[] {
  return groundingTokens({ tokens: tokenizer.encode(targetText(title)), closed: true }, tokenizer.eosId);
}

/**
 * For each generated embedding (row of `generated` [U, d]) the indices of the `k` nearest catalogue
 * embeddings (`catalogue` [N, d]) by L2 distance, nearest first. Squared distances are
 * ‖a‖² + ‖b‖² − 2a·b in f64 (in f32 the cancellation would blur an exact match among near ones);
 * the order is the same as cdist's, whose square root is monotone.
 */
export function nearestByL2(generated: Tensor, catalogue: Tensor, k: number): number[][] {
  const n = catalogue.dim(0);
  if (generated.dim(1) !== catalogue.dim(1)) {
    throw new RangeError(
      `nearestByL2: generated embeddings have width ${generated.dim(1)} but the catalogue's have ${catalogue.dim(1)}`,
    );
  }
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(`nearestByL2: k must be an integer in 1..${n} (catalogue size), got ${k}`);
  }
  const flat = noGrad(() =>
    tidy(() => {
      const a = generated.to("f64");
      const b = catalogue.to("f64");
      const d2 = a
        .square()
        .sum(1, true)
        .add(b.square().sum(1).unsqueeze(0))
        .sub(a.mm(b.transpose(0, 1)).mul(2));
      return d2.topk(k, -1, false, true).indices.data() as BigInt64Array;
    }),
  );
  return Array.from({ length: generated.dim(0) }, (_, row) =>
    Array.from(flat.subarray(row * k, (row + 1) * k), Number),
  );
}

/** Where the answer's closing `"⏎` starts (after its opening quote), or -1 while it is still open. */
export function closingQuoteAt(generated: string): number {
  const open = generated.indexOf('"');
  return open === -1 ? -1 : generated.indexOf('"\n', open + 1);
}

/**
 * Greedy free generation after priming (prompt, latent thoughts), all rows together: each row stops
 * at EOS, at the closing `"⏎` of its title, or after `maxNewTokens`. Returns the answer of each
 * row. Consumes `primed.cache`.
 */
export function greedyAnswers(
  model: Qwen2Model,
  tokenizer: GroundingTokenizer,
  primed: PrimedDecoder,
  maxNewTokens: number,
): GeneratedAnswer[] {
  const rows = primed.logits.dim(0);
  const answers: GeneratedAnswer[] = Array.from({ length: rows }, () => ({ tokens: [], closed: false }));
  const done = new Array<boolean>(rows).fill(false);
  let mask = primed.mask.view(primed.mask.shape).keep();
  let logits = primed.logits.view(primed.logits.shape).keep();
  try {
    for (let step = 0; step < maxNewTokens && done.includes(false); step++) {
      const next = tidy(() => logits.argmax(-1, true).keep()); // [B, 1]: greedy, full vocabulary
      const picked = Array.from(next.data() as BigInt64Array, Number);
      picked.forEach((token, r) => {
        if (done[r]) return;
        if (token === tokenizer.eosId) {
          done[r] = true;
          return;
        }
        const answer = answers[r]!;
        answer.tokens.push(token);
        answer.closed = closingQuoteAt(tokenizer.decode(answer.tokens)) !== -1;
        done[r] = answer.closed;
      });
      if (!done.includes(false) || step + 1 === maxNewTokens) {
        next.dispose();
        break;
      }
      // Finished rows keep being fed (their tokens are ignored): one batched step for all rows.
      const fed = noGrad(() =>
        tidy(() => {
          const m = extendMask(mask);
          const out = model.forward({ inputIds: next, attentionMask: m, cache: primed.cache, logits: "last" });
          return { mask: m.keep(), logits: out.logits!.squeeze(1).keep() };
        }),
      );
      next.dispose();
      mask.dispose();
      logits.dispose();
      ({ mask, logits } = fed);
    }
  } finally {
    mask.dispose();
    logits.dispose();
  }
  return answers;
}
