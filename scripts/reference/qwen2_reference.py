"""Standalone PyTorch reference of the Qwen2 decoder (Qwen2ForCausalLM), written from the published equations.

Why: the TypeScript Qwen2 (src/llm) must reproduce Hugging Face `modeling_qwen2` numerics, but neither
`transformers` nor hub weights are available here. This file restates the architecture in plain PyTorch
(tested with Debian's torch 1.13, CPU) so fixtures and benchmarks have a readable, checkable reference.
It does NOT import transformers; agreement with HF is by construction from the equations, not by test.

Architecture (per HF Qwen2, eager attention):
  h0 = embed_tokens[ids]                          (or inputs_embeds)
  per layer:  a = RMSNorm(h);  h = h + o_proj(Attn(a));  m = RMSNorm(h);  h = h + down(silu(gate(m)) * up(m))
  RMSNorm(x) = w * (x * rsqrt(mean(x^2, -1) + eps))  computed in (at least) fp32, cast back before * w
  Attn: q,k,v = linear with bias; o without bias; H query heads, KV heads shared by H/KV consecutive
        query heads (query head h uses KV head h // (H/KV)); RoPE on q and k in the rotate-half convention:
        inv_freq_i = 1 / theta^(2i/d), i < d/2;  emb = cat(freqs, freqs);  x' = x*cos + rotate_half(x)*sin,
        rotate_half(x) = cat(-x[d/2:], x[:d/2]);  angles use the explicit position_ids.
        scores = q k^T / sqrt(d); query slot i may see key slot j iff j <= i (slots count cache + new
        tokens) and attention_mask[j] == 1; disallowed scores are set to finfo.min (not -inf, so a row
        with nothing visible, i.e. a left-pad query, gives finite garbage rather than NaN);
        softmax in >= fp32.
  final RMSNorm; logits = h W^T with W = lm_head.weight, or embed_tokens.weight when tie_word_embeddings.

Parameter names are exactly HF's (`model.layers.{i}.self_attn.q_proj.weight`, ...; `lm_head.weight` only
when untied), so `state_dict()` is a loadable HF checkpoint.

Precision: the model computes in its parameters' dtype. In float64 every step is float64 (used to make
fixture ground truth); in float32 it matches HF's float32 path; in bf16/f16, norms and softmax run in fp32
as HF does.
"""

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

KVCache = List[Tuple[torch.Tensor, torch.Tensor]]  # per layer: (key, value), each [B, KV, T, head_dim]


@dataclass
class Qwen2Config:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    max_position_embeddings: int = 32768
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = False
    head_dim: Optional[int] = None
    hidden_act: str = "silu"
    torch_dtype: str = "float32"
    initializer_range: float = 0.02
    bos_token_id: Optional[int] = None
    eos_token_id: Optional[int] = None
    use_sliding_window: bool = False
    attention_dropout: float = 0.0
    extra: dict = field(default_factory=dict)  # other config.json keys, kept for round trips

    def __post_init__(self):
        if self.head_dim is None:
            self.head_dim = self.hidden_size // self.num_attention_heads
        if self.num_attention_heads % self.num_key_value_heads != 0:
            raise ValueError(f"num_attention_heads {self.num_attention_heads} is not a multiple of num_key_value_heads {self.num_key_value_heads}")
        if self.head_dim % 2 != 0:
            raise ValueError(f"head_dim {self.head_dim} must be even for RoPE")
        if self.hidden_act != "silu":
            raise ValueError(f"hidden_act {self.hidden_act!r} not supported (Qwen2 uses silu)")
        if self.use_sliding_window:
            raise ValueError("use_sliding_window=true is not implemented by this reference")
        if self.extra.get("rope_scaling"):
            raise ValueError(f"rope_scaling {self.extra['rope_scaling']} is not implemented by this reference")

    @classmethod
    def from_dict(cls, d):
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        args = {k: v for k, v in d.items() if k in known}
        extra = {k: v for k, v in d.items() if k not in known and k not in ("model_type", "architectures")}
        return cls(**args, extra=extra)

    @classmethod
    def from_json(cls, path):
        with open(path) as f:
            return cls.from_dict(json.load(f))

    def to_dict(self):
        d = asdict(self)
        extra = d.pop("extra")
        if self.head_dim == self.hidden_size // self.num_attention_heads:
            d.pop("head_dim")  # HF Qwen2 configs usually omit it
        out = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"}
        out.update(d)
        out.update(extra)
        return out


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.promote_types(dtype, torch.float32))
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rope_cos_sin(position_ids, head_dim, theta, dtype):
    """cos, sin of shape [B, T, head_dim] for integer positions [B, T] (rotate-half layout: cat(f, f))."""
    work = torch.float64 if dtype == torch.float64 else torch.float32
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64, device=position_ids.device).to(work) / head_dim))
    freqs = position_ids.to(work)[:, :, None] * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x, cos, sin):
    """x [B, heads, T, d]; cos/sin [B, T, d]."""
    return x * cos[:, None] + rotate_half(x) * sin[:, None]


def expand_kv(x, rep):
    """[B, KV, T, d] -> [B, KV*rep, T, d] where query head h reads KV head h // rep (HF's repeat_kv)."""
    return x.repeat_interleave(rep, dim=1) if rep > 1 else x


class Attention(nn.Module):
    def __init__(self, cfg: Qwen2Config):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, self.heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(cfg.hidden_size, self.kv_heads * self.head_dim, bias=True)
        self.v_proj = nn.Linear(cfg.hidden_size, self.kv_heads * self.head_dim, bias=True)
        self.o_proj = nn.Linear(self.heads * self.head_dim, cfg.hidden_size, bias=False)
        self.scaling = self.head_dim**-0.5

    def forward(self, x, cos, sin, allowed, past=None):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if past is not None:
            k = torch.cat((past[0], k), dim=2)
            v = torch.cat((past[1], v), dim=2)
        present = (k, v)
        rep = self.heads // self.kv_heads
        k_all, v_all = expand_kv(k, rep), expand_kv(v, rep)
        scores = torch.matmul(q, k_all.transpose(2, 3)) * self.scaling
        soft_dtype = torch.promote_types(scores.dtype, torch.float32)
        scores = scores.to(soft_dtype).masked_fill(~allowed, torch.finfo(soft_dtype).min)
        probs = torch.softmax(scores, dim=-1).to(q.dtype)
        out = torch.matmul(probs, v_all).transpose(1, 2).reshape(b, t, self.heads * self.head_dim)
        return self.o_proj(out), present


class MLP(nn.Module):
    def __init__(self, cfg: Qwen2Config):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: Qwen2Config):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, h, cos, sin, allowed, past=None):
        a, present = self.self_attn(self.input_layernorm(h), cos, sin, allowed, past)
        h = h + a
        h = h + self.mlp(self.post_attention_layernorm(h))
        return h, present


class Qwen2Model(nn.Module):
    def __init__(self, cfg: Qwen2Config):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


def visibility_mask(attention_mask, past_len, q_len):
    """Bool [B, 1, Q, P+Q]: query slot past_len+i sees key slot j iff j <= past_len+i and attention_mask[j]."""
    k_len = past_len + q_len
    q_slot = torch.arange(past_len, k_len, device=attention_mask.device)
    causal = torch.arange(k_len, device=attention_mask.device)[None, :] <= q_slot[:, None]
    return causal[None, None] & attention_mask.bool()[:, None, None, :]


def left_pad_position_ids(attention_mask):
    """HF generate()'s convention: cumsum(mask) - 1 for real tokens, and 1 for pad slots."""
    pos = attention_mask.long().cumsum(-1) - 1
    return pos.masked_fill(attention_mask == 0, 1)


class Qwen2ForCausalLM(nn.Module):
    def __init__(self, cfg: Qwen2Config):
        super().__init__()
        self.config = cfg
        self.model = Qwen2Model(cfg)
        if not cfg.tie_word_embeddings:
            self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)

    def output_weight(self):
        return self.model.embed_tokens.weight if self.config.tie_word_embeddings else self.lm_head.weight

    def forward(self, input_ids=None, inputs_embeds=None, attention_mask=None, position_ids=None,
                past_key_values: Optional[KVCache] = None, use_cache=False, output_layer_states=False):
        """Returns a dict: logits [B,T,V], last_hidden_state [B,T,D] (after the final norm),
        past_key_values (when use_cache), layer_states (list of each layer's output, before the final norm).

        attention_mask [B, past+T] (1 = real token) and position_ids [B, T] follow HF: without a mask every
        slot is visible; without position_ids positions are past..past+T-1 for every row."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids and inputs_embeds")
        h = self.model.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds
        b, t, _ = h.shape
        past_len = past_key_values[0][0].shape[2] if past_key_values else 0
        if attention_mask is None:
            attention_mask = torch.ones(b, past_len + t, dtype=torch.long, device=h.device)
        if tuple(attention_mask.shape) != (b, past_len + t):
            raise ValueError(f"attention_mask shape {tuple(attention_mask.shape)} != (batch, past + new) = {(b, past_len + t)}")
        if position_ids is None:
            position_ids = torch.arange(past_len, past_len + t, device=h.device)[None].expand(b, t)
        cos, sin = rope_cos_sin(position_ids, self.config.head_dim, self.config.rope_theta, h.dtype)
        allowed = visibility_mask(attention_mask, past_len, t)
        presents, states = [], []
        for i, layer in enumerate(self.model.layers):
            h, present = layer(h, cos, sin, allowed, past_key_values[i] if past_key_values else None)
            presents.append(present)
            if output_layer_states:
                states.append(h)
        h = self.model.norm(h)
        logits = F.linear(h, self.output_weight())
        out = {"logits": logits, "last_hidden_state": h}
        if use_cache:
            out["past_key_values"] = presents
        if output_layer_states:
            out["layer_states"] = states
        return out


def reorder_cache(cache: KVCache, index):
    """Beam search: keep/duplicate cache rows by `index` (a LongTensor of row ids)."""
    return [(k.index_select(0, index), v.index_select(0, index)) for k, v in cache]


def causal_lm_loss(logits, labels, ignore_index=-100):
    """Mean next-token cross-entropy: logits[:, t] predicts labels[:, t+1] (HF's shift)."""
    v = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, v).float(), labels[:, 1:].reshape(-1), ignore_index=ignore_index)


def init_weights(model: Qwen2ForCausalLM, generator=None):
    """HF's initialisation: linear and embedding weights N(0, initializer_range^2), biases 0, norms 1."""
    std = model.config.initializer_range
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.normal_(0.0, std, generator=generator)


def save_pretrained(model: Qwen2ForCausalLM, folder, dtype=None):
    """Writes config.json and model.safetensors (HF layout)."""
    os.makedirs(folder, exist_ok=True)
    cfg = model.config.to_dict()
    sd = {k: (v.to(dtype) if dtype else v).detach().contiguous() for k, v in model.state_dict().items()}
    cfg["torch_dtype"] = str(next(iter(sd.values())).dtype).replace("torch.", "")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    safetensors_io.save(os.path.join(folder, "model.safetensors"), sd)


def load_pretrained(folder, dtype=None):
    """Reads an HF folder (config.json + model.safetensors or a sharded index) into the reference model."""
    cfg = Qwen2Config.from_json(os.path.join(folder, "config.json"))
    sd = safetensors_io.load_folder(folder)
    if cfg.tie_word_embeddings:
        sd.pop("lm_head.weight", None)  # some tied checkpoints carry a copy; HF ignores it too
    model = Qwen2ForCausalLM(cfg)
    model.load_state_dict(sd, strict=True)
    if dtype is not None:
        model.to(dtype)
    return model
