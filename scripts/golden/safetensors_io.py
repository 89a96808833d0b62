"""Minimal safetensors reader/writer (no `safetensors` package needed).

File layout: 8-byte little-endian u64 header length N, then N bytes of JSON
header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
then the raw little-endian tensor bytes; offsets are relative to the first byte
after the header. The header is padded with spaces to a multiple of 8 bytes so
every tensor starts 8-byte aligned (as the reference library does).
"""
import json
import struct

import numpy as np

# safetensors dtype name <-> numpy dtype (little-endian); only what the fixtures use.
_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}
_NAMES = {v: k for k, v in _DTYPES.items()}


def save_file(tensors, path, metadata=None):
    """tensors: {name: np.ndarray (f32 / i32 ...)}; written sorted by name."""
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        dtype = array.dtype.newbyteorder("<")
        if dtype not in _NAMES:
            raise ValueError(f"save_file: unsupported dtype {array.dtype} for {name}")
        raw = array.astype(dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": _NAMES[dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for raw in blobs:
            f.write(raw)


def load_file(path):
    """Returns ({name: np.ndarray}, metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        array = np.frombuffer(data[base + begin : base + end], dtype=dtype)
        tensors[name] = array.reshape(info["shape"]).copy()
    return tensors, metadata
