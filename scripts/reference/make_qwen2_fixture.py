"""Generates the committed Qwen2 test fixtures under test/fixtures/qwen2-tiny*/ (deterministic).

Why: the TypeScript Qwen2 needs known-good outputs to compare with. Each fixture folder is a loadable
Hugging Face checkpoint (config.json + model.safetensors, float32) plus io.safetensors holding inputs and
the reference's expected outputs. Expected outputs are computed in float64 from the float32 weights by
qwen2_reference.py (written from the published Qwen2 equations; NOT Hugging Face transformers, which is
not installed here), then stored as float32.

io.safetensors tensors:
  input_ids        I64 [3, 7]   row 0 unpadded, row 1 left-padded by 3, row 2 by 1 (pad id = eos id)
  attention_mask   I64 [3, 7]   1 = real token, 0 = pad
  position_ids     I64 [3, 7]   HF generate() convention: cumsum(mask) - 1 on real tokens, 1 on pads
  logits           F32 [3, 7, V]
  last_hidden_state F32 [3, 7, D]  after the final RMSNorm
  layer_output.{i} F32 [3, 7, D]  output of decoder layer i (residual stream, before the final norm)
  inputs_embeds    F32 [2, 5, D]  random embeddings, fed instead of ids (no mask, positions 0..4)
  inputs_embeds_logits F32 [2, 5, V]
Values at pad positions (attention_mask == 0) are implementation-defined: compare real positions only.

Run: /usr/bin/python3 scripts/reference/make_qwen2_fixture.py [OUTPUT_ROOT]   (default test/fixtures)
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qwen2_reference as ref  # noqa: E402
import safetensors_io  # noqa: E402
from qwen2_random import random_model  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_COMMON = {"vocab_size": 96, "hidden_size": 32, "num_attention_heads": 4, "max_position_embeddings": 128,
           "initializer_range": 0.02, "bos_token_id": 94, "eos_token_id": 95, "use_sliding_window": False,
           "attention_dropout": 0.0, "torch_dtype": "float32", "hidden_act": "silu"}

FIXTURES = {
    "qwen2-tiny": {"seed": 20240601, "config": {
        **_COMMON, "intermediate_size": 64, "num_hidden_layers": 2, "num_key_value_heads": 2,
        "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True}},
    "qwen2-tiny-untied": {"seed": 20240602, "config": {
        **_COMMON, "intermediate_size": 48, "num_hidden_layers": 3, "num_key_value_heads": 1,
        "rope_theta": 1000000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": False}},
}
PADS = [0, 3, 1]  # left padding per row
SEQ = 7


def fixture_inputs(cfg: ref.Qwen2Config, seed: int):
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(0, cfg.vocab_size - 2, (len(PADS), SEQ), generator=g)
    mask = torch.ones_like(ids)
    for row, pad in enumerate(PADS):
        ids[row, :pad] = cfg.eos_token_id
        mask[row, :pad] = 0
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "position_ids": ref.left_pad_position_ids(mask),
        "inputs_embeds": (torch.randn(2, 5, cfg.hidden_size, generator=g) * 0.5).float(),
    }


def expected_outputs(model: ref.Qwen2ForCausalLM, inputs):
    m = model.double()
    with torch.no_grad():
        out = m(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                position_ids=inputs["position_ids"], output_layer_states=True)
        emb = m(inputs_embeds=inputs["inputs_embeds"].double())
    tensors = {"logits": out["logits"], "last_hidden_state": out["last_hidden_state"],
               "inputs_embeds_logits": emb["logits"]}
    tensors.update({f"layer_output.{i}": s for i, s in enumerate(out["layer_states"])})
    return {k: v.float().contiguous() for k, v in tensors.items()}


def write_fixture(root, name, spec):
    cfg = ref.Qwen2Config.from_dict(spec["config"])
    model = random_model(cfg, spec["seed"])
    folder = os.path.join(root, name)
    ref.save_pretrained(model, folder)
    inputs = fixture_inputs(cfg, spec["seed"])
    io = {**inputs, **expected_outputs(model, inputs)}
    meta = {
        "generator": "scripts/reference/make_qwen2_fixture.py",
        "reference": "scripts/reference/qwen2_reference.py (from the Qwen2 equations, not HF transformers)",
        "compute_dtype": "float64 (stored as float32)",
        "position_ids": "cumsum(attention_mask)-1 on real tokens, 1 on pads (HF generate convention)",
        "pad_positions": "implementation-defined; compare only where attention_mask == 1",
        "torch": torch.__version__,
    }
    safetensors_io.save(os.path.join(folder, "io.safetensors"), io, meta)
    sizes = {f: os.path.getsize(os.path.join(folder, f)) for f in sorted(os.listdir(folder))}
    print(f"{folder}: " + ", ".join(f"{f} {s} B" for f, s in sizes.items()))


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(REPO, "test", "fixtures")
    torch.manual_seed(0)
    for name, spec in FIXTURES.items():
        write_fixture(root, name, spec)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
