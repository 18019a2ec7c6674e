"""PyTorch side of bench/engine/dispatch.ts: CPU time per small op, one JSON line out.

The glibc malloc options are those of bench_common.py (LATENTR3_MALLOC, as for our addon).
Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/python/dispatch.py [ITERS]
"""
import json
import statistics
import sys
import time

import torch

import bench_common  # noqa: F401  (applies the malloc options)


def main():
    iters = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    torch.set_num_threads(1)
    x, y = torch.randn(8, 256), torch.randn(8, 256)
    out = {}

    def time_op(name, fn):
        for _ in range(iters):
            fn()
        us = []
        for _ in range(7):
            t0 = time.process_time()
            for _ in range(iters):
                fn()
            us.append((time.process_time() - t0) / iters * 1e6)
        out[name] = {"median": statistics.median(us), "min": min(us)}

    time_op("torch.is_grad_enabled()", torch.is_grad_enabled)
    time_op("x.narrow(0, 0, 4)", lambda: x.narrow(0, 0, 4))
    time_op("torch.add(x, y)", lambda: torch.add(x, y))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
