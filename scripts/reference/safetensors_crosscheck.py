"""Cross-check between the TypeScript safetensors module and PyTorch (driven by the TS test suite).

Why: a format implementation tested only against itself can be consistently wrong. This script reads
files written by TypeScript and writes files for TypeScript to read, through the independent Python
implementation in `safetensors_io.py`, and uses PyTorch's own f32 -> bf16/f16 casts as the truth for
the half-precision conversions.

  check FILE EXPECTED.json   read FILE (written by TS) and compare with the values TS says it wrote;
                             for tensors with "f32_source", also compare with torch's cast of the source
  write FILE EXPECTED.json   write a file with every dtype plus torch-made bf16/f16 casts, and a JSON
                             description of every value for TS to compare with

Values in JSON: floats as numbers, or "nan" / "inf" / "-inf"; 64-bit integers as decimal strings.
Exit status 0 when everything matches, 1 with a list of mismatches otherwise.
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def encode_values(t):
    t = t.detach().reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        out = []
        for v in t.double().tolist():
            out.append("nan" if math.isnan(v) else ("inf" if v == math.inf else ("-inf" if v == -math.inf else v)))
        return out
    if t.dtype == torch.int64:
        return [str(v) for v in t.tolist()]
    return [int(v) for v in t.to(torch.int64).tolist()]


def decode_values(values, dtype):
    if dtype in ("F64", "F32", "F16", "BF16"):
        return [float(v) for v in values]  # float("nan"), float("inf") parse too
    return [int(v) for v in values]


def same_float(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def check(path, expected_path):
    with open(expected_path) as f:
        expected = json.load(f)
    tensors, metadata = safetensors_io.load(path)
    problems = []
    for k, v in expected.get("metadata", {}).items():
        if metadata.get(k) != v:
            problems.append(f"metadata {k!r}: file has {metadata.get(k)!r}, expected {v!r}")
    if set(tensors) != set(expected["tensors"]):
        problems.append(f"tensor names differ: file {sorted(tensors)}, expected {sorted(expected['tensors'])}")
    for name, exp in expected["tensors"].items():
        if name not in tensors:
            continue
        t = tensors[name]
        if safetensors_io.NAMES[t.dtype] != exp["dtype"] or list(t.shape) != exp["shape"]:
            problems.append(f"{name}: file has {safetensors_io.NAMES[t.dtype]} {list(t.shape)}, expected {exp['dtype']} {exp['shape']}")
            continue
        got = decode_values(encode_values(t), exp["dtype"])
        want = decode_values(exp["values"], exp["dtype"])
        is_float = exp["dtype"] in ("F64", "F32", "F16", "BF16")
        bad = [i for i, (a, b) in enumerate(zip(got, want)) if not (same_float(a, b) if is_float else a == b)]
        if bad:
            i = bad[0]
            problems.append(f"{name}: {len(bad)} values differ, first at {i}: file {got[i]!r}, expected {want[i]!r}")
        if "f32_source" in exp:
            src = torch.tensor(decode_values(exp["f32_source"], "F32"), dtype=torch.float32)
            cast = src.to(t.dtype).reshape(-1)
            flat = t.reshape(-1)
            both_nan = torch.isnan(cast) & torch.isnan(flat)
            same_bits = cast.view(torch.int16) == flat.view(torch.int16)
            bad = (~(both_nan | same_bits)).nonzero().reshape(-1).tolist()
            if bad:
                i = bad[0]
                problems.append(
                    f"{name}: {len(bad)} values differ from torch's cast, first at {i}: source {src[i].item()!r} "
                    f"-> TS bits {flat.view(torch.int16)[i].item() & 0xFFFF:#06x}, torch bits {cast.view(torch.int16)[i].item() & 0xFFFF:#06x}"
                )
    if problems:
        print("\n".join(problems))
        return 1
    print(f"ok: {len(tensors)} tensors from {path} match")
    return 0


def conversion_sources():
    edge = [0.0, -0.0, 1.0, -1.0, 1 / 3, 0.1, 65504.0, 65519.0, 65520.0, 65536.0, 1e-8, 2.0**-24, 2.0**-25,
            1.5 * 2.0**-25, 2.0**-14, 6e-5, 3.0e38, 3.4028234663852886e38, math.inf, -math.inf, math.nan,
            1 + 2.0**-8, 1 + 3 * 2.0**-8, 1 + 2.0**-8 + 2.0**-20, 1 + 2.0**-11, 1 + 3 * 2.0**-11, 1.17549435e-38, 1e-45]
    g = torch.Generator().manual_seed(1234)
    scales = torch.tensor([10.0**k for k in range(-9, 6)]).repeat_interleave(40)
    rand = torch.randn(scales.numel(), generator=g) * scales
    return torch.cat([torch.tensor(edge, dtype=torch.float32), rand.float()])


def sample_tensors():
    g = torch.Generator().manual_seed(42)
    return {
        "f64": torch.randn(3, 5, generator=g, dtype=torch.float64),
        "f32": torch.randn(2, 3, 4, generator=g),
        "f16": (torch.randn(7, generator=g) * 100).half(),
        "bf16": (torch.randn(4, 4, generator=g) * 1e-3).bfloat16(),
        "i64": torch.tensor([0, -1, 2**62, -(2**63), 2**63 - 1, 12345678901234], dtype=torch.int64),
        "i32": torch.randint(-(2**31), 2**31 - 1, (5, 2), generator=g, dtype=torch.int32),
        "i16": torch.randint(-(2**15), 2**15 - 1, (9,), generator=g, dtype=torch.int16),
        "i8": torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8),
        "u8": torch.arange(0, 256, 37, dtype=torch.uint8),
        "bool": torch.tensor([[True, False, True], [False, False, True]]),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.empty(0, 3, dtype=torch.float32),
        "model.layers.0.self_attn.q_proj.weight": torch.randn(8, 4, generator=g),
    }


def write(path, expected_path):
    tensors = sample_tensors()
    src = conversion_sources()
    tensors["conv_src"] = src
    tensors["conv_bf16"] = src.to(torch.bfloat16)
    tensors["conv_f16"] = src.to(torch.float16)
    metadata = {"writer": "python", "format": "pt"}
    safetensors_io.save(path, tensors, metadata)
    desc = {"metadata": metadata, "tensors": {}}
    for name, t in tensors.items():
        entry = {"dtype": safetensors_io.NAMES[t.dtype], "shape": list(t.shape), "values": encode_values(t)}
        if t.dtype in (torch.float16, torch.bfloat16):
            entry["bits"] = [v & 0xFFFF for v in t.reshape(-1).view(torch.int16).tolist()]
        desc["tensors"][name] = entry
    with open(expected_path, "w") as f:
        json.dump(desc, f)
    print(f"wrote {len(tensors)} tensors to {path}")
    return 0


def main(argv):
    if len(argv) != 4 or argv[1] not in ("check", "write"):
        print(__doc__)
        return 2
    return (check if argv[1] == "check" else write)(argv[2], argv[3])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
