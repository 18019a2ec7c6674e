"""Writes test/fixtures/qwen2-tiny-lora/: a Hugging Face PEFT LoRA adapter on test/fixtures/qwen2-tiny
and the logits PEFT computes with it, so our PEFT layout and LoRA forward are checked against PEFT itself.

Needs torch, transformers and peft (made with torch 2.13 CPU, transformers 5.17, peft 0.21):
    python3 scripts/reference/make_lora_fixture.py
"""
import json
import os

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import Qwen2ForCausalLM

root = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures")
base_dir = os.path.join(root, "qwen2-tiny")
out_dir = os.path.join(root, "qwen2-tiny-lora")

torch.manual_seed(1234)
model = Qwen2ForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32, attn_implementation="eager")
config = LoraConfig(
    r=4,
    lora_alpha=8,
    lora_dropout=0.0,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    task_type="CAUSAL_LM",
)
peft_model = get_peft_model(model, config)
# PEFT starts B at zero (the update is zero); random B makes the adapter change the logits.
with torch.no_grad():
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:
            p.normal_(0, 0.3)
peft_model.eval()

io = load_file(os.path.join(base_dir, "io.safetensors"))
with torch.no_grad():
    logits = peft_model(
        input_ids=io["input_ids"], attention_mask=io["attention_mask"], position_ids=io["position_ids"]
    ).logits
peft_model.save_pretrained(out_dir)
# The base path PEFT records is this machine's; the fixture names the folder beside it.
cfg_path = os.path.join(out_dir, "adapter_config.json")
with open(cfg_path) as f:
    cfg = json.load(f)
cfg["base_model_name_or_path"] = "../qwen2-tiny"
with open(cfg_path, "w") as f:
    json.dump(cfg, f, indent=2, sort_keys=True)
save_file({"logits": logits.contiguous()}, os.path.join(out_dir, "io.safetensors"))
readme = os.path.join(out_dir, "README.md")
if os.path.exists(readme):
    os.remove(readme)
print("wrote", out_dir, "max |logit|", logits.abs().max().item())
