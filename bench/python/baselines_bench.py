"""SASRec training epoch and full-ranking evaluation in plain PyTorch: the counterpart of
bench/baselines/sasrec.ts (our engine), same shapes, same rows (computed from the same formulas as
bench/baselines/shapes.ts), same objective.

Model: scripts/reference/baselines_reference.py's SASRec (PyTorch's nn.MultiheadAttention, LayerNorm,
Conv1d; pmixer/SASRec.pytorch's layout), Xavier-normal initialised as that port does. Training: per batch
of left-padded rows, one uniformly sampled negative per position (never the positive), BCE on the
positions that have a next item, Adam (lr 1e-3, betas 0.9/0.98), dropout 0.2 on. Evaluation: eval mode,
no grad, scores of every item for every test user in batches, top 20.

  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/python/baselines_bench.py --json [--epochs 2]
"""

import argparse
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "reference"))
import baselines_reference as ref  # noqa: E402
from bench_common import env_info, setup_threads  # noqa: E402


def bench_row(r, a):
    length = 1 + (r * 37) % a.max_len
    history = [((r * 7919 + j * 104729) % a.items) + 1 for j in range(length)]
    return history, ((r * 31 + 17) % a.items) + 1


def main():
    p = argparse.ArgumentParser()
    for name, default in [("items", 5841), ("rows", 5540), ("eval-rows", 6157), ("hidden", 64), ("blocks", 2),
                          ("heads", 1), ("max-len", 10), ("batch", 128), ("eval-batch", 256), ("epochs", 2),
                          ("eval-repeats", 2)]:
        p.add_argument(f"--{name}", type=int, default=default)
    p.add_argument("--threads", type=int)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    setup_threads(a.threads)

    cfg = {"model_type": "sasrec", "num_items": a.items, "max_len": a.max_len, "hidden_size": a.hidden,
           "num_blocks": a.blocks, "num_heads": a.heads, "dropout": 0.2, "layer_norm_eps": 1e-8}
    torch.manual_seed(0)
    model = ref.SASRec(cfg)
    for param in model.parameters():
        if param.dim() > 1:
            torch.nn.init.xavier_normal_(param.data)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
    rows = [bench_row(r, a) for r in range(a.rows)]
    eval_rows = [bench_row(r + a.rows, a) for r in range(a.eval_rows)]
    batches = [rows[i:i + a.batch] for i in range(0, len(rows), a.batch)]
    g = torch.Generator().manual_seed(1)

    def epoch():
        model.train()
        total = 0.0
        for batch in batches:
            items, nexts, _ = ref.pad(batch, a.max_len, "left")
            neg = torch.randint(1, a.items, nexts.shape + (1,), generator=g)
            neg = neg + (neg >= nexts.unsqueeze(-1)).long()
            opt.zero_grad(set_to_none=True)
            queries = model.sequence_queries(items)
            loss = ref.bce_objective(model, queries, torch.cat([nexts.unsqueeze(-1), neg], -1), nexts != 0)
            loss.backward()
            opt.step()
            total += loss.item()
        return total / len(batches)

    def evaluate():
        model.eval()
        with torch.no_grad():
            for i in range(0, len(eval_rows), a.eval_batch):
                items, _, last = ref.pad(eval_rows[i:i + a.eval_batch], a.max_len, "left")
                scores = model.final_query(items, last) @ model.item_emb.weight[1:].T
                scores.topk(20, 1)

    epoch_ms, losses, eval_ms = [], [], []
    for e in range(a.epochs + 1):
        t0 = time.perf_counter()
        losses.append(epoch())
        if e > 0:
            epoch_ms.append((time.perf_counter() - t0) * 1000)
    for i in range(a.eval_repeats + 1):
        t0 = time.perf_counter()
        evaluate()
        if i > 0:
            eval_ms.append((time.perf_counter() - t0) * 1000)

    out = {"bench": "sasrec_torch", **env_info(),
           "model": {"num_items": a.items, "hidden_size": a.hidden, "num_blocks": a.blocks, "num_heads": a.heads,
                     "max_len": a.max_len, "params": sum(p.numel() for p in model.parameters())},
           "epoch_ms": epoch_ms, "eval_ms": eval_ms, "losses": losses}
    print(json.dumps(out) if a.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
