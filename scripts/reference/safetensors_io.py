"""Minimal safetensors reader and writer for PyTorch, written from the format description.

Why: the `safetensors` Python package is not installable on the project machines (no PyPI), but the
reference scripts need to read and write Hugging Face weight files, and the TypeScript implementation
(`src/engine/safetensors.ts`) needs an independent implementation to be cross-checked against.

Format: 8-byte little-endian u64 N, N bytes of UTF-8 JSON header
{"__metadata__": {str: str}, name: {"dtype": D, "shape": [...], "data_offsets": [begin, end]}},
then the byte buffer (offsets relative to its start; tensors row-major, little-endian, tiling the
buffer exactly). The writer pads the header with spaces to a multiple of 8 and orders tensors by
element size (descending) then name, like the Rust reference implementation.

Library use:  tensors, metadata = load(path);  save(path, {name: tensor}, metadata);
              tensors = load_folder(hf_checkpoint_folder)   (single file or sharded index)
CLI:          python3 safetensors_io.py FILE      (prints the header as a table)
"""

import json
import os
import struct
import sys
import tempfile

import torch

DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
MAX_HEADER = 100_000_000

if sys.byteorder != "little":
    raise RuntimeError("safetensors_io: big-endian hosts are not supported")


class SafetensorsFormatError(ValueError):
    pass


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def read_header(path):
    """Returns (header_len, metadata, {name: (dtype, shape, begin, end)}) after validating the header."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        if size < 8:
            raise SafetensorsFormatError(f"{path}: file too short ({size} bytes)")
        (n,) = struct.unpack("<Q", f.read(8))
        if n == 0 or n > min(MAX_HEADER, size - 8):
            raise SafetensorsFormatError(f"{path}: bad header length {n} (file is {size} bytes)")
        try:
            header = json.loads(f.read(n).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SafetensorsFormatError(f"{path}: header is not UTF-8 JSON: {e}") from e
    if not isinstance(header, dict):
        raise SafetensorsFormatError(f"{path}: header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsFormatError(f"{path}: __metadata__ must map strings to strings")
    data_len = size - 8 - n
    entries = {}
    for name, e in header.items():
        dtype, shape, offsets = e.get("dtype"), e.get("shape"), e.get("data_offsets")
        if dtype not in SIZES:
            raise SafetensorsFormatError(f"{path}: tensor {name!r}: unsupported dtype {dtype!r}")
        begin, end = offsets
        if not (0 <= begin <= end <= data_len):
            raise SafetensorsFormatError(f"{path}: tensor {name!r}: data_offsets {offsets} outside buffer of {data_len}")
        if end - begin != _numel(shape) * SIZES[dtype]:
            raise SafetensorsFormatError(f"{path}: tensor {name!r}: {end - begin} bytes for {dtype} {shape}")
        entries[name] = (dtype, list(shape), begin, end)
    cursor = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: (kv[1][2], kv[1][3])):
        if begin != cursor:
            raise SafetensorsFormatError(f"{path}: tensor {name!r} starts at {begin}, expected {cursor} (gap or overlap)")
        cursor = end
    if cursor != data_len:
        raise SafetensorsFormatError(f"{path}: tensors cover {cursor} of {data_len} buffer bytes")
    return n, metadata, entries


def _from_bytes(raw, dtype, shape):
    torch_dtype = DTYPES[dtype]
    if len(raw) == 0:
        return torch.empty(shape, dtype=torch_dtype)
    return torch.frombuffer(bytearray(raw), dtype=torch_dtype).reshape(shape)


def load(path):
    """Reads every tensor of a safetensors file: returns ({name: tensor}, metadata)."""
    n, metadata, entries = read_header(path)
    out = {}
    with open(path, "rb") as f:
        for name, (dtype, shape, begin, end) in entries.items():
            f.seek(8 + n + begin)
            out[name] = _from_bytes(f.read(end - begin), dtype, shape)
    return out, metadata


def load_folder(folder):
    """All tensors of an HF checkpoint folder: model.safetensors, else the shards named by
    model.safetensors.index.json (weight_map: tensor name -> shard file)."""
    single = os.path.join(folder, "model.safetensors")
    if os.path.exists(single):
        return load(single)[0]
    index_path = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index_path):
        raise FileNotFoundError(f"{folder}: no model.safetensors and no model.safetensors.index.json")
    with open(index_path) as f:
        weight_map = json.load(f)["weight_map"]
    missing = sorted({s for s in weight_map.values() if not os.path.exists(os.path.join(folder, s))})
    if missing:
        raise FileNotFoundError(f"{index_path}: missing shard files: {', '.join(missing)}")
    out = {}
    for shard in sorted(set(weight_map.values())):
        tensors, _ = load(os.path.join(folder, shard))
        out.update({k: v for k, v in tensors.items() if weight_map.get(k) == shard})
    absent = sorted(set(weight_map) - set(out))
    if absent:
        raise SafetensorsFormatError(f"{index_path}: tensors not found in their shards: {absent[:10]}")
    return out


def tensor_bytes(t):
    """Row-major little-endian bytes of a tensor (any supported dtype)."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    elif t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.numpy().tobytes()


def save(path, tensors, metadata=None):
    """Writes {name: tensor} atomically (temp file + fsync + rename); metadata defaults to {"format": "pt"}."""
    meta = {"format": "pt"}
    meta.update(metadata or {})
    for name, t in tensors.items():
        if t.dtype not in NAMES:
            raise SafetensorsFormatError(f"{path}: tensor {name!r}: unsupported dtype {t.dtype}")
    order = sorted(tensors, key=lambda k: (-SIZES[NAMES[tensors[k].dtype]], k))
    header = {"__metadata__": meta}
    blobs = []
    offset = 0
    for name in order:
        raw = tensor_bytes(tensors[name])
        header[name] = {
            "dtype": NAMES[tensors[name].dtype],
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for raw in blobs:
                f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    _, metadata, entries = read_header(argv[1])
    print(f"metadata: {metadata}")
    for name, (dtype, shape, begin, end) in sorted(entries.items()):
        print(f"{name:60s} {dtype:5s} {str(shape):20s} {end - begin:>12d} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
