"""Builders for hostile Keras files, made here with h5py from the real fixtures (never shipped).

Each builder takes the bytes of a good file and returns the bytes of a bad one: a weight that
keeps its bytes in another file on the server, a virtual dataset, soft and external links,
compressed-zero bombs, text-typed weights. tests/test_hostile.py asserts each is refused.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "keras"


def keras_fixtures() -> Path:
    """The shared Keras fixtures; a missing folder skips locally but fails under CI=true."""
    if not FIXTURES.is_dir():
        message = f"Keras fixtures not found at {FIXTURES}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must have them)", pytrace=False)
        pytest.skip(message, allow_module_level=True)
    return FIXTURES


# Where each format keeps the Dense layer's bias, a (25,) float32 array.
DENSE_BIAS = {"keras": "layers/dense/vars/1", "h5": "model_weights/dense/sequential/dense/bias"}


def edit_h5(data: bytes, edit) -> bytes:
    """A copy of an HDF5 file (attributes and every object) after `edit(file)`."""
    buffer = io.BytesIO()
    with h5py.File(io.BytesIO(data), "r") as src, h5py.File(buffer, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for name in src:
            src.copy(src[name], dst, name=name)
        edit(dst)
    return buffer.getvalue()


def edit_keras(data: bytes, edit) -> bytes:
    """A copy of a .keras archive whose model.weights.h5 went through `edit(file)`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            member = src.read(name)
            dst.writestr(name, edit_h5(member, edit) if name == "model.weights.h5" else member)
    return out.getvalue()


def edit_file(data: bytes, kind: str, edit) -> bytes:
    """`edit(file, kind)` applied to the weights of a .keras (kind "keras") or a legacy .h5."""
    one = lambda f: edit(f, kind)  # noqa: E731
    return edit_keras(data, one) if kind == "keras" else edit_h5(data, one)


# --- edits: each replaces or adds objects in an open, writable h5py.File ------------------------
def external_storage(secret: Path, path: str | None = None):
    """The Dense bias now reads its 100 bytes from `secret`, a file elsewhere on the server."""
    def edit(f, kind):
        where = path or DENSE_BIAS[kind]
        del f[where]
        f.create_dataset(where, shape=(25,), dtype="<f4", external=[(str(secret), 0, 100)])
    return edit


def virtual_dataset(source: Path):
    """The Dense bias is a virtual dataset mapping /data of another HDF5 file."""
    with h5py.File(source, "w") as s:
        s.create_dataset("data", data=np.arange(25, dtype=np.float32))

    def edit(f, kind):
        layout = h5py.VirtualLayout(shape=(25,), dtype="<f4")
        layout[:] = h5py.VirtualSource(str(source), "data", shape=(25,))
        del f[DENSE_BIAS[kind]]
        f.create_virtual_dataset(DENSE_BIAS[kind], layout)
    return edit


def soft_link(f, kind):
    """The Dense bias is a soft link to another array of the right shape."""
    target = "/spare_bias"
    f.create_dataset(target, data=np.zeros(25, np.float32))
    del f[DENSE_BIAS[kind]]
    f[DENSE_BIAS[kind]] = h5py.SoftLink(target)


def external_link(other: Path):
    """The Dense bias is a link into another HDF5 file on the server."""
    with h5py.File(other, "w") as s:
        s.create_dataset("data", data=np.ones(25, dtype=np.float32))

    def edit(f, kind):
        del f[DENSE_BIAS[kind]]
        f[DENSE_BIAS[kind]] = h5py.ExternalLink(str(other), "/data")
    return edit


def compressed_zeros(f, where: str, side: int = 16384, chunk: int = 1024) -> None:
    """A (side, side) float32 dataset of gzip-compressed zeros: 1 GiB declared, about 1 MB stored.
    Every chunk is the same compressed block, written directly (nothing is compressed 256 times)."""
    dset = f.create_dataset(where, shape=(side, side), dtype="<f4", chunks=(chunk, chunk), compression="gzip")
    block = zlib.compress(bytes(chunk * chunk * 4), 9)
    for r in range(0, side, chunk):
        for c in range(0, side, chunk):
            dset.id.write_direct_chunk((r, c), block)


def zero_bomb_in_extra_layers(n_layers: int = 4, side: int = 6144):
    """Extra layer groups the config never names, each holding side^2 float32 compressed zeros
    (6144: 151 MB each, under any per-array limit; 20 of them declare 3 GB in a 4 MB file)."""
    def edit(f, kind):
        root = "layers" if kind == "keras" else "model_weights"
        for k in range(n_layers):
            compressed_zeros(f, f"{root}/extra_{k}/vars/0", side=side)
    return edit


def zero_bomb_as_named_weight(f, kind):
    """The Dense bias itself declared as 1 GiB of compressed zeros."""
    del f[DENSE_BIAS[kind]]
    compressed_zeros(f, DENSE_BIAS[kind])


def unallocated_giant(f, kind):
    """The Dense bias declared as 10^9 floats with no bytes stored at all (reads as zeros)."""
    del f[DENSE_BIAS[kind]]
    f.create_dataset(DENSE_BIAS[kind], shape=(10**9,), dtype="<f4", chunks=(2**20,), compression="gzip")


def string_weights(f, kind):
    del f[DENSE_BIAS[kind]]
    f.create_dataset(DENSE_BIAS[kind], data=np.array([b"x"] * 25))


def integer_weights(f, kind):
    del f[DENSE_BIAS[kind]]
    f.create_dataset(DENSE_BIAS[kind], data=np.zeros(25, np.int64))


def extra_array_in_a_named_layer(f, kind):
    root = "layers/dense/vars/2" if kind == "keras" else "model_weights/dense/sequential/dense/extra"
    f.create_dataset(root, data=np.zeros(25, np.float32))


def many_groups(f, kind):
    for k in range(3000):
        f.create_group(f"junk/{k}")


def external_storage_in_optimizer(secret: Path):
    """Optimizer state is never read, but a file that points outside itself is still refused."""
    def edit(f, kind):
        where = "optimizer/vars/18" if kind == "keras" else \
            "optimizer_weights/adam/sequential_dense_bias_momentum"
        external_storage(secret, where)(f, kind)
    return edit


def edit_config(data: bytes, edit) -> bytes:
    """A copy of a .keras archive whose config.json went through `edit(config)`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            member = src.read(name)
            if name == "config.json":
                config = json.loads(member)
                edit(config)
                member = json.dumps(config).encode()
            dst.writestr(name, member)
    return out.getvalue()


def layer_config(config: dict, name: str) -> dict:
    return next(lay["config"] for lay in config["config"]["layers"] if lay["config"].get("name") == name)
