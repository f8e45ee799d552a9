"""Reading arrays out of an untrusted HDF5 file (an uploaded Keras model) without trusting it.

An HDF5 file can point outside itself: a dataset may keep its bytes in another file on the
server ("external storage"), a virtual dataset maps other HDF5 files, and soft or external links
lead anywhere. It can also be a memory bomb: a few MB of gzip-compressed zeros may declare
gigabytes of arrays. So, before a single array byte is read:

- `check_structure` walks every link and object of the file (metadata only) and refuses any
  soft, external or user-defined link, any dataset with external storage, any virtual dataset,
  any filter other than deflate / shuffle / fletcher32 / lzf, and files with too many objects;
- callers then say exactly which datasets they want (`dataset_at`), and `read_array` checks the
  declared shape and dtype against what the caller expects before reading it.

Every refusal is a one-line ValueError. This module knows nothing about Keras.
"""

from __future__ import annotations

import io

import h5py
import numpy as np
from h5py import h5d, h5z

MAX_OBJECTS = 2_000  # a seed model holds under 100 (layers, their vars, the optimizer's state)
SAFE_FILTERS = {h5z.FILTER_DEFLATE: "deflate", h5z.FILTER_SHUFFLE: "shuffle",
                h5z.FILTER_FLETCHER32: "fletcher32", h5z.FILTER_LZF: "lzf"}
FLOAT_SIZES = (2, 4, 8)  # float16, float32, float64
MAX_ATTR_BYTES = 1024 * 1024  # a model config is a few KB


def open_bytes(data: bytes) -> h5py.File:
    """An HDF5 file held in memory, opened read-only and checked by `check_structure`."""
    f = h5py.File(io.BytesIO(data), "r")
    try:
        check_structure(f)
    except BaseException:
        f.close()
        raise
    return f


def check_structure(f: h5py.File) -> None:
    """Refuse links and datasets that reach outside the file, and odd storage (metadata only)."""
    count = 0

    def visit_link(name: str, link) -> str | None:
        nonlocal count
        count += 1
        if count > MAX_OBJECTS:
            return f"it holds more than {MAX_OBJECTS:,} objects, far more than a model needs"
        if isinstance(link, h5py.SoftLink):
            return f"/{name} is a soft link (to {link.path}); a model file needs none"
        if isinstance(link, h5py.ExternalLink):
            return f"/{name} is a link into another file ({link.filename}); refused"
        if not isinstance(link, h5py.HardLink):
            return f"/{name} is a {type(link).__name__}; a model file needs none"
        return None

    problem = f.visititems_links(visit_link)
    if problem is None:
        problem = f.visititems(lambda name, obj: storage_problem(obj) if isinstance(obj, h5py.Dataset) else None)
    if problem:
        raise ValueError(f"unsafe HDF5 file: {problem}")


def storage_problem(dset: h5py.Dataset) -> str | None:
    """Why reading this dataset could touch anything but this file's own bytes, or None."""
    plist = dset.id.get_create_plist()
    if plist.get_layout() == h5d.VIRTUAL:
        return f"{dset.name} is a virtual dataset (it maps other files); refused"
    if plist.get_external_count() > 0:
        return f"{dset.name} keeps its bytes in an external file; refused"
    for k in range(plist.get_nfilters()):
        code = plist.get_filter(k)[0]
        if code not in SAFE_FILTERS:
            return f"{dset.name} uses HDF5 filter {code}; only {', '.join(SAFE_FILTERS.values())} are read"
    if dset.maxshape != dset.shape:
        return f"{dset.name} is resizable ({dset.shape} up to {dset.maxshape}); model weights are not"
    if dset.chunks is not None and any(c > max(s, 1) for c, s in zip(dset.chunks, dset.shape)):
        return f"{dset.name} has chunks {dset.chunks} larger than its shape {dset.shape}"
    return None


def dataset_at(group: h5py.Group, path: str) -> h5py.Dataset | None:
    """The dataset at `path` below `group` reached through hard links only, or None."""
    node = group
    for part in path.strip("/").split("/"):
        if not isinstance(node, h5py.Group) or part in ("", ".", ".."):
            return None
        link = node.get(part, getlink=True)  # never follows a link
        if not isinstance(link, h5py.HardLink):
            return None
        node = node[part]
    return node if isinstance(node, h5py.Dataset) else None


def group_at(group: h5py.Group, name: str) -> h5py.Group | None:
    """A direct child group reached through a hard link, or None."""
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name:
        return None
    link = group.get(name, getlink=True)
    if not isinstance(link, h5py.HardLink):
        return None
    node = group[name]
    return node if isinstance(node, h5py.Group) else None


def read_array(dset: h5py.Dataset, shape: tuple[int, ...], where: str) -> np.ndarray:
    """Read a float dataset after checking its declared shape and dtype: (shape,) float32."""
    if tuple(dset.shape) != tuple(shape):
        raise ValueError(f"{where} has shape {tuple(dset.shape)}, the model's config needs {tuple(shape)}")
    dtype = dset.dtype
    if dtype.kind != "f" or dtype.itemsize not in FLOAT_SIZES:
        raise ValueError(f"{where} holds {describe_dtype(dtype)} values; weights must be "
                         "floating-point numbers")
    return np.asarray(dset[()], dtype=np.float32).reshape(shape)


def describe_dtype(dtype: np.dtype) -> str:
    if h5py.check_string_dtype(dtype) is not None or dtype.kind in "SUO":
        return "text"
    return {"i": "integer", "u": "integer", "b": "true/false", "c": "complex",
            "V": "compound"}.get(dtype.kind, str(dtype))


def small_attr(obj, name: str, default=None, max_items: int = 64):
    """A small attribute (at most `max_items` values, MAX_ATTR_BYTES of text), or `default`."""
    if name not in obj.attrs:
        return default
    attr = obj.attrs.get_id(name)
    items = int(np.prod(attr.shape)) if attr.shape else 1
    if items > max_items or attr.get_storage_size() > MAX_ATTR_BYTES:
        raise ValueError(f"unsafe HDF5 file: attribute {name!r} of {obj.name} is far larger than a model's")
    value = obj.attrs[name]
    values = value.ravel().tolist() if isinstance(value, np.ndarray) else [value]
    if sum(len(v) for v in values if isinstance(v, (str, bytes))) > MAX_ATTR_BYTES:
        raise ValueError(f"unsafe HDF5 file: attribute {name!r} of {obj.name} is far larger than a model's")
    return value
