"""Python PyTorch counterpart of the engine benchmarks: sgemm GFLOP/s and one Qwen2-shaped training step.

Why: the TypeScript engine benchmarks report the libtorch addon's speed next to plain PyTorch on the same
machine, so overhead from the N-API layer and the TS model code is visible. The model is the reference
Qwen2 (scripts/reference/qwen2_reference.py), explicit matmul-softmax attention (no fused SDPA, which
torch 1.13 lacks), float32, CPU.

  (a) sgemm: C = A @ B, f32, 1024^3 (2*1024^3 flop per run); warm-up, then median (and best) of N runs,
      with a fresh output per call and into a preallocated one (out=).
  (b) train step: vocab 8000, d=256, 4 layers, 4 query / 2 KV heads (head_dim 64), intermediate 1024,
      tied embeddings, seq 128, batch 8 (6.0 M parameters); one step = forward + causal-LM cross-entropy
      + backward + AdamW; median over --steps after --warmup; forward-only time as well.

Threads: --threads N calls torch.set_num_threads(N) (ATen/OpenMP intra-op threads). OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS must be set by the caller in the environment; they are reported in the output.

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/python/engine_bench.py [--threads 1] [--steps 5] [--json]
       [--skip-sgemm]   (bench/engine/qwen2-step.ts runs it so, timing only the train step)
"""

import argparse
import json
import sys

import torch

from sgemm import sgemm
from bench_common import (count_params, env_info, make_model, make_train_step, peak_rss_mb, ref, setup_threads, summary,
                          timed)

MODEL = dict(vocab_size=8000, hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4,
             num_key_value_heads=2, tie_word_embeddings=True, rope_theta=10000.0, rms_norm_eps=1e-6,
             max_position_embeddings=512)


def bench_sgemm(n, warmup, repeats):
    """Both variants of bench/engine/sgemm.ts: a fresh output per call, and one preallocated output (out=)."""
    g = torch.Generator().manual_seed(0)
    a, b, c = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g), torch.empty(n, n)
    return {"n": n, "alloc": sgemm(n, warmup, repeats, lambda: torch.mm(a, b)),
            "out": sgemm(n, warmup, repeats, lambda: torch.mm(a, b, out=c))}


def bench_train(batch, seq, warmup, steps):
    cfg = ref.Qwen2Config(**MODEL)
    model = make_model(cfg)
    step, losses = make_train_step(model, batch, seq)
    step_times, step_faults = timed(step, warmup, steps)
    ids = torch.randint(0, cfg.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(2))

    def forward():
        with torch.no_grad():
            model(input_ids=ids)

    fwd_times, fwd_faults = timed(forward, 1, max(3, steps // 2))
    return {"model": {**MODEL, "batch": batch, "seq": seq, "params": count_params(model)},
            "step_ms": summary(step_times), "forward_ms": summary(fwd_times), "step_faults": step_faults,
            "forward_faults": fwd_faults, "max_rss_mb": peak_rss_mb(),
            "tokens_per_s": batch * seq / summary(step_times, 1.0)["median"],
            "initial_loss": losses[0], "last_loss": losses[-1]}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: leave torch's choice)")
    p.add_argument("--steps", type=int, default=5, help="timed training steps (default 5)")
    p.add_argument("--warmup", type=int, default=2, help="untimed warm-up steps (default 2)")
    p.add_argument("--gemm-repeats", type=int, default=20)
    p.add_argument("--gemm-n", type=int, default=1024)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--skip-sgemm", action="store_true", help="time only the training step and forward")
    p.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    args = p.parse_args(argv[1:])
    setup_threads(args.threads)
    result = {"bench": "engine_python", **env_info(),
              "sgemm": None if args.skip_sgemm else bench_sgemm(args.gemm_n, 3, args.gemm_repeats),
              "train": bench_train(args.batch, args.seq, args.warmup, args.steps)}
    if args.json:
        print(json.dumps(result))
    else:
        s, t = result["sgemm"], result["train"]
        print(f"torch {result['torch']}, {result['torch_threads']} torch threads, env {result['env']}")
        if s is not None:
            for variant in ("alloc", "out"):
                v = s[variant]
                print(f"sgemm {s['n']}^3 f32 ({variant}): {v['gflops']:.1f} GFLOP/s median, {v['bestGflops']:.1f} best, "
                      f"{v['faults']:.0f} minor faults per call")
        print(f"train step (fwd+bwd+AdamW, {t['model']['params'] / 1e6:.2f} M params, batch {args.batch} x seq {args.seq}): "
              f"median {t['step_ms']['median']:.0f} ms, min {t['step_ms']['min']:.0f} ms, {t['tokens_per_s']:.0f} tokens/s; "
              f"forward only {t['forward_ms']['median']:.0f} ms; loss {t['initial_loss']:.4f} -> {t['last_loss']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
