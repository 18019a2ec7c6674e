"""Deterministic random Qwen2 weights that make every part of the forward pass matter.

Why: with HF's initialisation (N(0, 0.02^2), zero biases, unit norms) a tiny model's attention is almost
uniform and its logits almost flat, so an implementation with the wrong RoPE layout, KV-head grouping,
position ids or norm epsilon would still match a fixture to 1e-4. These weights are drawn at per-tensor
scales that keep activations O(1) and attention peaked, and norms and biases are perturbed away from
1 and 0, so such bugs change the logits by orders of magnitude more than float32 rounding
(`check_reference.py` measures this).
"""

import math

import torch

from qwen2_reference import Qwen2Config, Qwen2ForCausalLM


def tensor_std(name, cfg: Qwen2Config):
    """Standard deviation used for each parameter, by its HF name."""
    if name.endswith("norm.weight"):
        return 0.3  # around 1 (added below)
    if name.endswith(".bias"):
        return 0.3
    if "embed_tokens" in name or name == "lm_head.weight":
        return 0.5
    if name.endswith(("q_proj.weight", "k_proj.weight")):
        return 1.5 / math.sqrt(cfg.hidden_size)  # q, k entries ~1.5: scores of a few units, peaked softmax
    fan_in = cfg.intermediate_size if name.endswith("down_proj.weight") else cfg.hidden_size
    return 1.0 / math.sqrt(fan_in)


def random_model(cfg: Qwen2Config, seed: int, dtype=torch.float32) -> Qwen2ForCausalLM:
    """A Qwen2ForCausalLM with reproducible weights (same seed and config, same weights, on any CPU)."""
    model = Qwen2ForCausalLM(cfg)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            values = torch.randn(p.shape, generator=g, dtype=torch.float64) * tensor_std(name, cfg)
            if name.endswith("norm.weight"):
                values += 1.0
            p.copy_(values.to(p.dtype))
    return model.to(dtype)
