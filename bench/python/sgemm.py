"""PyTorch side of bench/engine/sgemm.ts: the same sgemm and dispatch measurements, one JSON line out.

Thread counts come from the environment (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS), which the parent
sets per child process because OpenBLAS reads its variable once, when the library loads. The glibc
malloc settings are the addon's (bench_common.py applies them on import).

The sgemm runs in two variants, matching ours call for call: `alloc` returns a fresh output each call
(torch.mm(a, b)); `out` writes into one preallocated output (torch.mm(a, b, out=c)).
"""
import json
import os
import statistics
import sys
import time

import torch

from bench_common import ALLOCATOR, minor_faults


def sgemm(n: int, warmup: int, reps: int, call) -> dict:
    """GFLOP/s from the median and from the fastest call, and the median minor page faults per call."""
    for _ in range(warmup):
        call()
    times, faults = [], []
    for _ in range(reps):
        f0 = minor_faults()
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
        faults.append(minor_faults() - f0)
    flop = 2 * n**3
    return {"gflops": flop / statistics.median(times) / 1e9, "bestGflops": flop / min(times) / 1e9,
            "faults": statistics.median(faults)}


def dispatch_us(rounds: int, iters: int) -> float:
    a = torch.randn(8, 256)
    b = torch.randn(8, 256)
    for _ in range(iters):
        torch.add(a, b)
    per_op = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(iters):
            torch.add(a, b)
        per_op.append((time.perf_counter() - t0) / iters * 1e6)
    return statistics.median(per_op)


def main() -> None:
    n, warmup, reps, rounds, iters = (int(x) for x in sys.argv[1:6])
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g)
    b = torch.randn(n, n, generator=g)
    c = torch.empty(n, n)
    out = {
        "engine": "pytorch",
        "version": torch.__version__,
        "intraOpThreads": torch.get_num_threads(),
        "allocator": ALLOCATOR,
        "alloc": sgemm(n, warmup, reps, lambda: torch.mm(a, b)),
        "out": sgemm(n, warmup, reps, lambda: torch.mm(a, b, out=c)),
        "dispatchUs": dispatch_us(rounds, iters),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
