"""PyTorch side of bench/engine/sgemm.ts: the same sgemm and dispatch measurements, one JSON line out.

Thread counts come from the environment (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS), which the parent
sets per child process because OpenBLAS reads its variable once, when the library loads.
"""
import json
import os
import statistics
import sys
import time

import torch


def sgemm_gflops(n: int, warmup: int, reps: int) -> tuple[float, float]:
    """GFLOP/s from the median and from the fastest call."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g)
    b = torch.randn(n, n, generator=g)
    for _ in range(warmup):
        torch.matmul(a, b)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / statistics.median(times) / 1e9, 2 * n**3 / min(times) / 1e9


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
    gflops, best = sgemm_gflops(n, warmup, reps)
    out = {
        "engine": "pytorch",
        "version": torch.__version__,
        "intraOpThreads": torch.get_num_threads(),
        "gflops": gflops,
        "bestGflops": best,
        "dispatchUs": dispatch_us(rounds, iters),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
