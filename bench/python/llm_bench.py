"""Python PyTorch counterpart of the LLM benchmarks: training tokens/s and KV-cached beam decoding tokens/s
for a given Qwen2 config.

Why: the TypeScript LLM benchmarks (training loop and constrained beam search over the libtorch addon)
report Python PyTorch's speed for the same model shape on the same machine, as the bar to meet.

  training: random weights (HF init), a fixed random batch [--batch, --seq]; one step = forward + causal-LM
            cross-entropy + backward + AdamW; median over --train-steps after --warmup;
            tokens/s = batch * seq / median step time.
  decoding: --beams rows (beam search as HF runs it: the prompt copied to every beam), prefill a prompt of
            --prompt tokens with a KV cache, then --new-tokens incremental steps of one token per beam:
            log_softmax over the vocabulary, top-(2*beams) over beams x vocab, new beam scores, and the
            cache reordered with index_select by the chosen source beams. No constraint trie, no EOS
            handling: it times the model and cache work of an unconstrained beam step.
            tokens/s = beams * new_tokens / total step time; ms/step is per generated position (all beams);
            run_step_total_ms has every run's total step time ("all"), so callers can pool processes.

The config is an HF Qwen2 config.json (or a folder holding one); weights are NOT loaded (timing does
not depend on their values). Threads as in engine_bench.py: --threads sets torch.set_num_threads, the
caller sets OMP_NUM_THREADS / OPENBLAS_NUM_THREADS.

Usage: /usr/bin/python3 bench/python/llm_bench.py --config bench/python/configs/qwen2-bench-6m.json [--json]
"""

import argparse
import json
import os
import sys
import time

import torch

from bench_common import (count_params, env_info, make_model, make_train_step, peak_rss_mb, ref, setup_threads, summary,
                          timed)


def load_config(path):
    if os.path.isdir(path):
        path = os.path.join(path, "config.json")
    return ref.Qwen2Config.from_json(path)


def bench_training(model, batch, seq, warmup, steps):
    step, losses = make_train_step(model, batch, seq)
    times, faults = timed(step, warmup, steps)
    return {"batch": batch, "seq": seq, "step_ms": summary(times), "step_faults": faults,
            "tokens_per_s": batch * seq / summary(times, 1.0)["median"], "initial_loss": losses[0]}


@torch.no_grad()
def bench_decoding(model, beams, prompt_len, new_tokens, repeats):
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(3)
    prompt = torch.randint(0, vocab, (1, prompt_len), generator=g).expand(beams, prompt_len).contiguous()

    def run():
        t0 = time.perf_counter()
        out = model(input_ids=prompt, use_cache=True)
        prefill = time.perf_counter() - t0
        cache = out["past_key_values"]
        logits = out["logits"][:, -1]
        scores = torch.zeros(beams)
        scores[1:] = -1e9  # all beams start identical: only beam 0 may expand at the first step
        step_times = []
        for t in range(new_tokens):
            t0 = time.perf_counter()
            cand = (scores[:, None] + torch.log_softmax(logits.float(), dim=-1)).reshape(-1)
            top_scores, top_idx = cand.topk(2 * beams)
            top_scores, top_idx = top_scores[:beams], top_idx[:beams]  # no EOS: the best `beams` survive
            source, tokens = top_idx // vocab, top_idx % vocab
            cache = ref.reorder_cache(cache, source)
            mask = torch.ones(beams, prompt_len + t + 1, dtype=torch.long)
            out = model(input_ids=tokens[:, None], attention_mask=mask, past_key_values=cache, use_cache=True)
            cache, logits, scores = out["past_key_values"], out["logits"][:, -1], top_scores
            step_times.append(time.perf_counter() - t0)
        return prefill, sum(step_times), step_times

    run()  # warm-up
    results = [run() for _ in range(repeats)]
    best = min(results, key=lambda r: r[1])
    totals = sorted(r[1] for r in results)
    median_total = totals[len(totals) // 2]
    return {"beams": beams, "prompt": prompt_len, "new_tokens": new_tokens, "repeats": repeats,
            "prefill_ms": summary([r[0] for r in results]),
            "step_ms": summary(best[2]),
            "run_step_total_ms": summary([r[1] for r in results]),
            "tokens_per_s": beams * new_tokens / median_total,
            "ms_per_step_median_run": median_total / new_tokens * 1000}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, help="HF Qwen2 config.json, or a folder containing one")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--train-steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--beams", type=int, default=8)
    p.add_argument("--prompt", type=int, default=64, help="prompt length P")
    p.add_argument("--new-tokens", type=int, default=32, help="decoding steps T")
    p.add_argument("--decode-repeats", type=int, default=3)
    p.add_argument("--skip-training", action="store_true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv[1:])
    setup_threads(args.threads)
    cfg = load_config(args.config)
    model = make_model(cfg)
    result = {"bench": "llm_python", **env_info(), "config": args.config, "model": cfg.to_dict(),
              "params": count_params(model)}
    if not args.skip_training:
        result["training"] = bench_training(model, args.batch, args.seq, args.warmup, args.train_steps)
    model.eval()
    result["decoding"] = bench_decoding(model, args.beams, args.prompt, args.new_tokens, args.decode_repeats)
    result["max_rss_mb"] = peak_rss_mb()
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"torch {result['torch']}, {result['torch_threads']} torch threads, env {result['env']}; "
          f"{args.config}: {result['params'] / 1e6:.2f} M params")
    if "training" in result:
        tr = result["training"]
        print(f"training: batch {tr['batch']} x seq {tr['seq']}: median {tr['step_ms']['median']:.0f} ms/step, "
              f"{tr['tokens_per_s']:.0f} tokens/s (initial loss {tr['initial_loss']:.3f})")
    d = result["decoding"]
    print(f"decoding: {d['beams']} beams, prompt {d['prompt']}, {d['new_tokens']} steps: prefill {d['prefill_ms']['median']:.1f} ms, "
          f"{d['ms_per_step_median_run']:.2f} ms/step, {d['tokens_per_s']:.0f} tokens/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
