"""Shared pieces of the Python PyTorch benchmarks: thread setup, environment report, timing, and one
training step of the reference Qwen2 (scripts/reference/qwen2_reference.py).

Why: the TypeScript benchmarks compare the libtorch addon with Python PyTorch on the same machine in
the same run; both benchmark scripts must time things the same way and report the same environment.
"""

import ctypes
import os
import platform
import resource
import statistics
import sys
import time

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts", "reference"))
import qwen2_reference as ref  # noqa: E402

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")

# Allocator settings (LATENTR3_MALLOC, as for our addon). Our addon keeps large tensor blocks mapped
# for reuse in its own caching allocator (native/src/allocator.cc), so a repeated step takes no page
# faults; PyTorch cannot use it, so its side gets the glibc settings that do the same for it: mmap and
# trim thresholds raised (freed blocks stay in the heap). Both sides switch off glibc's fastbins, as
# the addon does. LATENTR3_MALLOC=system leaves glibc's defaults on both sides. The TypeScript
# harnesses check that both sides report the same mode.
MMAP_THRESHOLD = 256 << 20
TRIM_THRESHOLD = 1 << 30
MAX_FAST = 0
_M_MXFAST, _M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = 1, -1, -3  # <malloc.h>


def _setup_malloc():
    off = {"tuned": False, "mmapThreshold": 0, "trimThreshold": 0, "maxFast": -1}
    if os.environ.get("LATENTR3_MALLOC") == "system":
        return {**off, "reason": "LATENTR3_MALLOC=system"}
    if platform.libc_ver()[0] != "glibc":
        return {**off, "reason": "not glibc"}
    libc = ctypes.CDLL(None)
    settings = ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD), (_M_MXFAST, MAX_FAST))
    if not all(libc.mallopt(option, value) == 1 for option, value in settings):
        return {**off, "reason": "mallopt refused the settings"}
    return {"tuned": True, "mmapThreshold": MMAP_THRESHOLD, "trimThreshold": TRIM_THRESHOLD, "maxFast": MAX_FAST,
            "reason": ""}


# Before any tensor exists, as the addon does at load.
ALLOCATOR = _setup_malloc()


def setup_threads(threads):
    """torch.set_num_threads(threads) when given; OMP/OpenBLAS env vars are the caller's business."""
    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def env_info():
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": _cpu_name(),
        "env": {k: os.environ.get(k) for k in THREAD_VARS},
        "allocator": ALLOCATOR,
    }


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def timed(fn, warmup, repeats):
    """Runs fn warmup times untimed, then repeats times; returns (seconds per run, minor page faults per run)."""
    for _ in range(warmup):
        fn()
    times, faults = [], []
    for _ in range(repeats):
        f0 = minor_faults()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        faults.append(minor_faults() - f0)
    return times, faults


def summary(times, scale=1000.0):
    """median / min / max of a list of seconds, in milliseconds by default, and every run ("all") so a
    caller can pool the runs of several processes (the TypeScript side-by-side benchmarks do)."""
    return {"median": statistics.median(times) * scale, "min": min(times) * scale, "max": max(times) * scale, "n": len(times),
            "all": [t * scale for t in times]}


def make_model(cfg, seed=0):
    torch.manual_seed(seed)
    model = ref.Qwen2ForCausalLM(cfg)
    ref.init_weights(model)
    return model


def make_train_step(model, batch, seq, lr=1e-3, seed=1):
    """One fwd + bwd + AdamW step on a fixed random batch (causal LM cross-entropy). Returns (step, losses)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=g)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses = []

    def step():
        opt.zero_grad(set_to_none=True)
        loss = ref.causal_lm_loss(model(input_ids=ids)["logits"], ids)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    return step, losses


def count_params(model):
    return sum(p.numel() for p in model.parameters())
