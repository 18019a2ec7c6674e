"""Self-checks that make the Qwen2 reference (qwen2_reference.py) and its fixtures trustworthy.

Why: there is no Hugging Face transformers here to compare with, so the reference is checked against
independent restatements of the same equations and against invariants any correct decoder satisfies:

  1. naive:       a loop-per-token, loop-per-head float64 implementation written from the equations
                  (RoPE as explicit pair rotations) equals the vectorised forward
  2. kv-cache:    prefill + one-token-at-a-time decoding with a KV cache equals the full forward,
                  also after a beam-search reorder of the cache (index_select)
  3. padding:     a left-padded row equals the same tokens run alone, at the real positions
  4. embeds/tie:  inputs_embeds = embed(ids) gives the same logits; tied == untied with lm_head = embed
  5. names/io:    parameter names are exactly HF's; save_pretrained -> load_pretrained reproduces outputs
  6. precision:   float32 vs float64 logits (the tolerance a float32 port can expect)
  7. sensitivity: plausible porting bugs (interleaved RoPE, wrong theta, wrong KV grouping, masks, ...)
                  move the fixture logits far beyond that tolerance, so a fixture test can fail; and
                  RoPE's shift invariance: the left-pad position_ids convention cannot change real outputs
  8. fixtures:    the committed test/fixtures/qwen2-tiny*/ expected outputs are what this reference computes

Run: /usr/bin/python3 scripts/reference/check_reference.py   (exit status 1 if any check fails)
"""

import contextlib
import copy
import math
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qwen2_reference as ref  # noqa: E402
import safetensors_io  # noqa: E402
from qwen2_random import random_model  # noqa: E402
from make_qwen2_fixture import FIXTURES, fixture_inputs  # noqa: E402

ORIGINAL_VISIBILITY = ref.visibility_mask
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def report(name, ok, detail):
    print(f"{'PASS' if ok else 'FAIL'}  {name:58s} {detail}")
    if not ok:
        failures.append(name)


def max_diff_real(a, b, mask):
    """Largest |a - b| over positions where mask == 1 (a, b: [B, T, ...])."""
    sel = mask.bool()
    return (a[sel] - b[sel]).abs().max().item()


# ---------------------------------------------------------------- 1. naive restatement


def naive_forward(sd, cfg, ids, mask, pos):
    """Logits from the equations with explicit loops; float64; only real (mask == 1) positions are meaningful."""
    sd = {k: v.double() for k, v in sd.items()}
    d, hd, nh, nkv = cfg.hidden_size, cfg.head_dim, cfg.num_attention_heads, cfg.num_key_value_heads
    rep = nh // nkv
    B, T = ids.shape

    def rms(x, w):
        return w * (x / math.sqrt(float((x * x).mean()) + cfg.rms_norm_eps))

    def rotate(x, p):
        out = x.clone()
        for i in range(hd // 2):
            angle = p * cfg.rope_theta ** (-2.0 * i / hd)
            c, s = math.cos(angle), math.sin(angle)
            a, b = float(x[i]), float(x[i + hd // 2])
            out[i], out[i + hd // 2] = a * c - b * s, b * c + a * s
        return out

    h = [[sd["model.embed_tokens.weight"][int(ids[b, t])].clone() for t in range(T)] for b in range(B)]
    for layer in range(cfg.num_hidden_layers):
        P = f"model.layers.{layer}."
        new_h = [[None] * T for _ in range(B)]
        for b in range(B):
            xs = [rms(h[b][t], sd[P + "input_layernorm.weight"]) for t in range(T)]
            qs = [sd[P + "self_attn.q_proj.weight"] @ x + sd[P + "self_attn.q_proj.bias"] for x in xs]
            ks = [sd[P + "self_attn.k_proj.weight"] @ x + sd[P + "self_attn.k_proj.bias"] for x in xs]
            vs = [sd[P + "self_attn.v_proj.weight"] @ x + sd[P + "self_attn.v_proj.bias"] for x in xs]
            for t in range(T):
                heads = []
                for head in range(nh):
                    kvh = head // rep
                    q = rotate(qs[t][head * hd:(head + 1) * hd], int(pos[b, t]))
                    visible = [j for j in range(t + 1) if mask[b, j] == 1]
                    if not visible:  # a pad query: nothing to attend to, value irrelevant
                        heads.append(torch.zeros(hd, dtype=torch.float64))
                        continue
                    scores = torch.tensor([
                        float(q @ rotate(ks[j][kvh * hd:(kvh + 1) * hd], int(pos[b, j]))) / math.sqrt(hd) for j in visible
                    ], dtype=torch.float64)
                    w = torch.exp(scores - scores.max())
                    w = w / w.sum()
                    heads.append(sum(w[i] * vs[j][kvh * hd:(kvh + 1) * hd] for i, j in enumerate(visible)))
                attn = sd[P + "self_attn.o_proj.weight"] @ torch.cat(heads)
                r = h[b][t] + attn
                m = rms(r, sd[P + "post_attention_layernorm.weight"])
                g = sd[P + "mlp.gate_proj.weight"] @ m
                u = sd[P + "mlp.up_proj.weight"] @ m
                new_h[b][t] = r + sd[P + "mlp.down_proj.weight"] @ (g / (1 + torch.exp(-g)) * u)
        h = new_h
    out_w = sd["model.embed_tokens.weight"] if cfg.tie_word_embeddings else sd["lm_head.weight"]
    return torch.stack([torch.stack([out_w @ rms(h[b][t], sd["model.norm.weight"]) for t in range(T)]) for b in range(B)])


def check_naive(name, model, inputs):
    m64 = copy.deepcopy(model).double()
    ids, mask, pos = inputs["input_ids"], inputs["attention_mask"], inputs["position_ids"]
    fast = m64(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
    slow = naive_forward(model.state_dict(), model.config, ids, mask, pos)
    diff = max_diff_real(fast, slow, mask)
    report(f"{name}: naive loops == vectorised (float64)", diff < 1e-10, f"max |diff| {diff:.2e}")


# ---------------------------------------------------------------- 2. KV cache


def check_kv_cache(name, model, inputs, dtype, tol):
    m = copy.deepcopy(model).to(dtype)
    ids, mask, pos = inputs["input_ids"], inputs["attention_mask"], inputs["position_ids"]
    full = m(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
    prefill = 3
    out = m(input_ids=ids[:, :prefill], attention_mask=mask[:, :prefill], position_ids=pos[:, :prefill], use_cache=True)
    cache, steps = out["past_key_values"], [out["logits"]]
    for t in range(prefill, ids.shape[1]):
        out = m(input_ids=ids[:, t:t + 1], attention_mask=mask[:, :t + 1], position_ids=pos[:, t:t + 1],
                past_key_values=cache, use_cache=True)
        cache = out["past_key_values"]
        steps.append(out["logits"])
    diff = max_diff_real(full, torch.cat(steps, dim=1), mask)
    report(f"{name}: KV-cached decoding == full forward ({str(dtype)[6:]})", diff < tol, f"max |diff| {diff:.2e}")

    # Beam-search style: prefill, reorder/duplicate rows of the cache, then continue.
    beam = torch.tensor([2, 0, 0, 1])
    out = m(input_ids=ids[:, :4], attention_mask=mask[:, :4], position_ids=pos[:, :4], use_cache=True)
    cache = ref.reorder_cache(out["past_key_values"], beam)
    steps = []
    for t in range(4, ids.shape[1]):
        out = m(input_ids=ids[beam, t:t + 1], attention_mask=mask[beam, :t + 1], position_ids=pos[beam, t:t + 1],
                past_key_values=cache, use_cache=True)
        cache = out["past_key_values"]
        steps.append(out["logits"])
    diff = max_diff_real(full[beam, 4:], torch.cat(steps, dim=1), mask[beam, 4:])
    report(f"{name}: cache reordered by index_select (beams {beam.tolist()})", diff < tol, f"max |diff| {diff:.2e}")


# ---------------------------------------------------------------- 3-5. padding, embeds, tying, names


def check_padding(name, model, inputs):
    m = copy.deepcopy(model).double()
    ids, mask, pos = inputs["input_ids"], inputs["attention_mask"], inputs["position_ids"]
    full = m(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
    worst, padded_rows = 0.0, 0
    for b in range(ids.shape[0]):
        real = mask[b].bool()
        padded_rows += int((~real).any())
        alone = m(input_ids=ids[b:b + 1, real])["logits"][0]
        worst = max(worst, (full[b, real] - alone).abs().max().item())
    report(f"{name}: left-padded rows == unpadded rows ({padded_rows} padded)", worst < 1e-10 and padded_rows > 0, f"max |diff| {worst:.2e}")
    finite = torch.isfinite(full).all().item()
    report(f"{name}: pad positions are finite (no NaN from empty rows)", finite, "")


def check_embeds_and_tying(name, model, inputs):
    m = copy.deepcopy(model).double()
    ids, mask, pos = inputs["input_ids"], inputs["attention_mask"], inputs["position_ids"]
    a = m(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
    b = m(inputs_embeds=m.model.embed_tokens(ids), attention_mask=mask, position_ids=pos)["logits"]
    report(f"{name}: inputs_embeds=embed(ids) == input_ids", torch.equal(a, b), "")
    shared = {k: v for k, v in m.state_dict().items() if k != "lm_head.weight"}
    logits = {}
    for tie in (True, False):
        cfg = copy.deepcopy(m.config)
        cfg.tie_word_embeddings = tie
        other = ref.Qwen2ForCausalLM(cfg).double()
        extra = {} if tie else {"lm_head.weight": shared["model.embed_tokens.weight"].clone()}
        other.load_state_dict({**shared, **extra}, strict=True)
        logits[tie] = other(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
    report(f"{name}: tied == untied with lm_head = embed_tokens", torch.equal(logits[True], logits[False]), "")


def hf_names(cfg):
    names = ["model.embed_tokens.weight", "model.norm.weight"]
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        names += [p + "input_layernorm.weight", p + "post_attention_layernorm.weight", p + "self_attn.o_proj.weight"]
        names += [p + f"self_attn.{x}_proj.{w}" for x in "qkv" for w in ("weight", "bias")]
        names += [p + f"mlp.{x}_proj.weight" for x in ("gate", "up", "down")]
    if not cfg.tie_word_embeddings:
        names.append("lm_head.weight")
    return sorted(names)


def check_names_and_io(name, model, inputs):
    report(f"{name}: parameter names are HF's", sorted(model.state_dict()) == hf_names(model.config), f"{len(hf_names(model.config))} tensors")
    with tempfile.TemporaryDirectory() as d:
        ref.save_pretrained(model, d)
        loaded = ref.load_pretrained(d)
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        same = torch.equal(model(input_ids=ids, attention_mask=mask)["logits"], loaded(input_ids=ids, attention_mask=mask)["logits"])
    report(f"{name}: save_pretrained -> load_pretrained round trip", same, "")


def precision_gap(model, inputs):
    ids, mask, pos = inputs["input_ids"], inputs["attention_mask"], inputs["position_ids"]
    a = copy.deepcopy(model).float()(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"].double()
    b = copy.deepcopy(model).double()(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
    return max_diff_real(a, b, mask), b[mask.bool()].abs().max().item()


# ---------------------------------------------------------------- 7. sensitivity to porting bugs


def interleaved_rope(x, cos, sin):
    """GPT-J/Meta layout: rotates pairs (2i, 2i+1) instead of (i, i + d/2)."""
    half = x.shape[-1] // 2
    c, s = cos[:, None, :, :half].repeat_interleave(2, -1), sin[:, None, :, :half].repeat_interleave(2, -1)
    pairs = torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)
    return x * c + pairs * s


@contextlib.contextmanager
def patched(attr, value):
    old = getattr(ref, attr)
    setattr(ref, attr, value)
    try:
        yield
    finally:
        setattr(ref, attr, old)


def mutants(model):
    """(description, run(ids, mask, pos) -> logits) for plausible porting mistakes."""
    cfg = model.config

    def edited(edit):
        m = copy.deepcopy(model).double()
        with torch.no_grad():
            edit(m)
        return lambda ids, mask, pos: m(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]

    def under(attr, value):
        m = copy.deepcopy(model).double()

        def run(ids, mask, pos):
            with patched(attr, value):
                return m(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
        return run

    def other_theta(m):
        m.config = copy.deepcopy(m.config)
        m.config.rope_theta = 1e6 if cfg.rope_theta != 1e6 else 1e4

    def swap(m, a, b):
        for layer in m.model.layers:
            wa, wb = getattr(layer.mlp, a).weight, getattr(layer.mlp, b).weight
            tmp = wa.clone()
            wa.copy_(wb)
            wb.copy_(tmp)

    out = [
        ("RoPE with interleaved pairs (2i, 2i+1)", under("apply_rope", interleaved_rope)),
        ("no RoPE", under("apply_rope", lambda x, cos, sin: x)),
        (f"rope_theta {1e6 if cfg.rope_theta != 1e6 else 1e4:g} instead of {cfg.rope_theta:g}", edited(other_theta)),
        ("softmax scale 1/head_dim instead of 1/sqrt(head_dim)",
         edited(lambda m: [setattr(l.self_attn, "scaling", 1.0 / cfg.head_dim) for l in m.model.layers])),
        ("no q/k/v bias", edited(lambda m: [getattr(l.self_attn, p).bias.zero_() for l in m.model.layers for p in ("q_proj", "k_proj", "v_proj")])),
        ("RMSNorm as (1 + w) * x_hat (Gemma style)", edited(lambda m: [p.add_(1.0) for n, p in m.named_parameters() if n.endswith("norm.weight")])),
        ("final norm skipped", edited(lambda m: setattr(m.model, "norm", torch.nn.Identity()))),
        ("SwiGLU with gate and up swapped", edited(lambda m: swap(m, "gate_proj", "up_proj"))),
        ("no causal mask", under("visibility_mask", lambda am, p, q: am.bool()[:, None, None, :].expand(-1, 1, q, p + q))),
        ("padding mask ignored", under("visibility_mask", lambda am, p, q: ORIGINAL_VISIBILITY(torch.ones_like(am), p, q))),
    ]
    if cfg.num_key_value_heads not in (1, cfg.num_attention_heads):
        out.append(("KV heads tiled (h % KV) instead of grouped (h // KV)", under("expand_kv", lambda x, r: x.repeat(1, r, 1, 1))))
    return out


def check_position_shift(name, model, inputs):
    """RoPE scores depend on position differences only, so the left-padding position convention (HF's
    cumsum-1 vs plain slot index 0..T-1) cannot change real-position outputs: a fixture cannot test it."""
    m = copy.deepcopy(model).double()
    ids, mask, pos = inputs["input_ids"], inputs["attention_mask"], inputs["position_ids"]
    a = m(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
    b = m(input_ids=ids, attention_mask=mask)["logits"]
    diff = max_diff_real(a, b, mask)
    report(f"{name}: slot-index positions == HF left-pad positions (shift invariance)", diff < 1e-10, f"max |diff| {diff:.2e}")


def check_sensitivity(name, model, inputs, tolerance):
    ids, mask, pos = inputs["input_ids"], inputs["attention_mask"], inputs["position_ids"]
    base = copy.deepcopy(model).double()(input_ids=ids, attention_mask=mask, position_ids=pos)["logits"]
    for desc, run in mutants(model):
        diff = max_diff_real(base, run(ids, mask, pos), mask)
        report(f"{name}: fixture detects: {desc}", diff > 100 * tolerance, f"max |diff| {diff:.2e}")


# ---------------------------------------------------------------- 8. committed fixtures


def check_committed_fixture(name):
    folder = os.path.join(REPO, "test", "fixtures", name)
    if not os.path.exists(os.path.join(folder, "io.safetensors")):
        report(f"{name}: committed fixture present", False, f"missing {folder}; run make_qwen2_fixture.py")
        return
    model = ref.load_pretrained(folder, dtype=torch.float64)
    io, _ = safetensors_io.load(os.path.join(folder, "io.safetensors"))
    out = model(input_ids=io["input_ids"], attention_mask=io["attention_mask"], position_ids=io["position_ids"], output_layer_states=True)
    worst = max((out["logits"].float() - io["logits"]).abs().max().item(),
                (out["last_hidden_state"].float() - io["last_hidden_state"]).abs().max().item(),
                *[(s.float() - io[f"layer_output.{i}"]).abs().max().item() for i, s in enumerate(out["layer_states"])])
    emb = model(inputs_embeds=io["inputs_embeds"].double())["logits"].float()
    worst = max(worst, (emb - io["inputs_embeds_logits"]).abs().max().item())
    report(f"{name}: committed expected outputs == reference", worst == 0.0, f"max |diff| {worst:.2e}")


def main():
    for name, spec in FIXTURES.items():
        cfg = ref.Qwen2Config.from_dict(spec["config"])
        model = random_model(cfg, spec["seed"])
        inputs = fixture_inputs(cfg, spec["seed"])
        print(f"--- {name}: {cfg.num_hidden_layers} layers, {cfg.num_attention_heads} heads / {cfg.num_key_value_heads} KV, "
              f"theta {cfg.rope_theta:g}, tied={cfg.tie_word_embeddings}")
        check_naive(name, model, inputs)
        check_kv_cache(name, model, inputs, torch.float64, 1e-10)
        check_kv_cache(name, model, inputs, torch.float32, 1e-4)
        check_padding(name, model, inputs)
        check_embeds_and_tying(name, model, inputs)
        check_names_and_io(name, model, inputs)
        gap, scale = precision_gap(model, inputs)
        report(f"{name}: float32 vs float64 logits", gap < 1e-4, f"max |diff| {gap:.2e} (max |logit| {scale:.1f})")
        check_position_shift(name, model, inputs)
        check_sensitivity(name, model, inputs, tolerance=max(gap, 1e-5))
        check_committed_fixture(name)
    print(f"\n{'all checks passed' if not failures else f'{len(failures)} FAILED: ' + ', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
