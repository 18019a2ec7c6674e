"""Shared pieces of the Python PyTorch benchmarks: thread setup, environment report, timing, and one
training step of the reference Qwen2 (scripts/reference/qwen2_reference.py).

Why: the TypeScript benchmarks compare the libtorch addon with Python PyTorch on the same machine in
the same run; both benchmark scripts must time things the same way and report the same environment.
"""

import os
import platform
import statistics
import sys
import time

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts", "reference"))
import qwen2_reference as ref  # noqa: E402

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")


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


def synchronize(device="cpu"):
    """Waits for queued GPU work, so a timer measures it done (no-op on CPU)."""
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def timed(fn, warmup, repeats, device="cpu"):
    """Runs fn warmup times untimed, then repeats times; returns the list of seconds per run."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - t0)
    return times


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


def autocast(device, precision):
    """bf16 autocast over f32 weights for --precision bf16, else nothing."""
    kind = "cuda" if str(device).startswith("cuda") else "cpu"
    return torch.autocast(kind, dtype=torch.bfloat16, enabled=precision == "bf16")


def make_train_step(model, batch, seq, lr=1e-3, seed=1, device="cpu", precision="fp32"):
    """One fwd + bwd + AdamW step on a fixed random batch (causal LM cross-entropy). Returns (step, losses)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=g).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses = []

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast(device, precision):
            loss = ref.causal_lm_loss(model(input_ids=ids)["logits"].float(), ids)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    return step, losses


def count_params(model):
    return sum(p.numel() for p in model.parameters())
