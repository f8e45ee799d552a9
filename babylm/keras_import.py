"""Load a model saved by the seed's Keras script (.keras or legacy .h5) into babylm, no TensorFlow.

The seed trains Embedding -> LSTM (1 to 3) -> Dropout -> Dense(softmax) in Keras. This module
reads such a file with zipfile and h5py, checks from the saved config that our `CharLSTM`
computes exactly the same function, and copies the weights across. It is not a general Keras
loader: a layer or setting the mapping cannot reproduce is refused with a one-line ValueError
saying what differs, and so is any file that is not a Keras model or is damaged.

A Keras file does not hold the vocabulary: it comes from the training text (`sorted(set(text))`,
as the seed builds it) or from an explicit list of characters in id order.

An uploaded file is untrusted, so the order is: the config first (keras_config.py says which
arrays of which shapes it implies), then the vocabulary, then the HDF5 file's every link and
dataset checked from metadata (h5safe.py: nothing may point outside the file), and only then the
arrays the config names are read, each after its declared shape and dtype; any other is refused.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np
import torch

from . import h5safe
from .api import BabyLanguageModel
from .checkpoint import open_small_zip
from .keras_config import expected_shapes, read_architecture
from .model import CharLSTM

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_FILE_BYTES = 200 * 1024 * 1024  # the whole file; a model's arrays are also bounded by its config
MAX_CONFIG_BYTES = 1024 * 1024  # config.json and metadata.json are a few KB


def from_keras(path: str | Path, text: str | None = None, chars=None) -> BabyLanguageModel:
    """Read a .keras or .h5 file saved by the seed's script; `text` or `chars` gives the vocabulary."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{path} is too large for the seed's model (limit {MAX_FILE_BYTES:,} bytes)")
    return from_keras_bytes(path.read_bytes(), path.name, text=text, chars=chars)


def from_keras_bytes(data: bytes, filename: str, text: str | None = None,
                     chars=None) -> BabyLanguageModel:
    """The same from the bytes of an uploaded file; the format is told by content, not name.

    Order matters for safety: the config is read and checked first, then the vocabulary, and
    only then are the datasets that config names read, each after its declared shape and dtype
    were checked, from a file whose every link and dataset was checked to stay inside it."""
    if text is None and chars is None:
        raise ValueError("a Keras file holds no vocabulary: give the text the model was trained on "
                         "(text=..., --text) or its characters in id order (chars=..., --chars)")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"{filename}: expected the file's bytes, got {type(data).__name__}")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{filename} is too large for the seed's model (limit {MAX_FILE_BYTES:,} bytes)")
    container = open_container(bytes(data), filename)
    fields, names = read_architecture(container.config)
    vocab_size = fields.pop("vocab_size")
    baby = BabyLanguageModel(text, chars=chars, **fields)  # builds and checks the vocabulary
    if len(baby.vocab) != vocab_size:
        given = f"{len(baby.vocab)} were given" if chars is not None else f"the text uses {len(baby.vocab)}"
        raise ValueError(f"the Keras model knows {vocab_size} characters but {given}: give the exact "
                         "text it was trained on, or its characters in id order")
    shapes = expected_shapes(names, baby.config)
    weights = damaged_is_valueerror(filename, lambda: container.read_weights(shapes))
    model = CharLSTM(baby.config)
    model.load_state_dict(map_weights(weights, names, baby.config))
    baby.model = model.eval()
    baby.training_summary = {"imported_from": filename, "keras_version": container.version}
    return baby


# --- reading the file ---------------------------------------------------------------------------
def damaged_is_valueerror(filename: str, read):
    """Run `read()`; the errors a damaged zip or HDF5 file raises become one ValueError line."""
    try:
        return read()
    except (OSError, KeyError, RuntimeError, TypeError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        reason = str(err.args[0] if err.args else type(err).__name__).splitlines()[0]
        raise ValueError(f"cannot read {filename}: the file is damaged or truncated ({reason})") from None


class Container:
    """A Keras file with its config read and nothing else: `read_weights` reads the arrays later,
    once the config has said exactly which arrays of which shapes to expect."""

    def __init__(self, config: dict, version: str, layout: str, h5_bytes):
        self.config, self.version, self.layout = config, version, layout
        self._h5_bytes = h5_bytes  # bytes, or a function of the size budget returning them

    def read_weights(self, shapes: dict[str, list[tuple]]) -> dict[str, list[np.ndarray]]:
        data = self._h5_bytes(budget(shapes)) if callable(self._h5_bytes) else self._h5_bytes
        with h5safe.open_bytes(data) as f:
            return read_layer_arrays(f, self.layout, shapes)


def open_container(data: bytes, filename: str) -> Container:
    """Bytes -> Container (config parsed, weights not yet read), told apart by content."""
    def read():
        if data.startswith(ZIP_MAGIC):
            return open_keras_zip(data)
        if data.startswith(HDF5_MAGIC):
            return open_legacy_h5(data)
        return None

    container = damaged_is_valueerror(filename, read)
    if container is None:
        raise ValueError(f"{filename} is not a Keras model: expected a .keras archive (zip) "
                         "or a legacy HDF5 .h5 file")
    return container


def open_keras_zip(data: bytes) -> Container:
    """Keras 3 archive: config.json, plus model.weights.h5 with layers/<name>/vars/<i>."""
    archive = open_small_zip(data)
    infos = {info.filename: info for info in archive.infolist()}
    for needed in ("config.json", "model.weights.h5"):
        if needed not in infos:
            raise ValueError(f"not a Keras model: the .keras archive has no {needed}")
    for name, limit in (("config.json", MAX_CONFIG_BYTES), ("metadata.json", MAX_CONFIG_BYTES)):
        if name in infos and infos[name].file_size > limit:
            raise ValueError(f"not a Keras model: its {name} unpacks to {infos[name].file_size:,} bytes "
                             f"(a model's is a few KB; the limit is {limit:,})")
    config = parse_json(archive.read("config.json"), "config.json")
    meta = archive.read("metadata.json") if "metadata.json" in infos else b"{}"
    version = str(parse_json(meta, "metadata.json").get("keras_version", "unknown"))[:40]

    def weights_file(limit: int) -> bytes:
        size = infos["model.weights.h5"].file_size
        if size > limit:
            raise ValueError(f"model.weights.h5 unpacks to {size:,} bytes, more than the {limit:,} a "
                             "model of this config can need: refused")
        return archive.read("model.weights.h5")

    return Container(config, version, "keras", weights_file)


def open_legacy_h5(data: bytes) -> Container:
    """Legacy .h5: a model_config attribute, and model_weights/<name> listing its weight_names."""
    with h5safe.open_bytes(data) as f:
        raw = h5safe.small_attr(f, "model_config", max_items=1)
        if raw is None:
            raise ValueError("not a whole Keras model: this .h5 has no model_config (a weights-only "
                             "file?); save the model with model.save(...)")
        config = parse_json(raw, "model_config")
        version = as_str(h5safe.small_attr(f, "keras_version", "unknown", max_items=1))[:40]
    return Container(config, version, "h5", data)


def read_layer_arrays(f, layout: str, shapes: dict[str, list[tuple]]) -> dict[str, list[np.ndarray]]:
    """{layer name: its arrays} for exactly the layers and shapes the config names; refuses a file
    holding any other array outside the optimizer's state (which is never read)."""
    if layout == "keras":
        root, optimizer = h5safe.group_at(f, "layers"), "/optimizer/"
        if root is None:
            raise ValueError("not a Keras model: model.weights.h5 has no 'layers' group")
    else:
        root, optimizer = h5safe.group_at(f, "model_weights") or f, "/optimizer_weights/"
    datasets = {}
    for name in shapes:
        group = h5safe.group_at(root, name)
        if group is None:
            raise ValueError(f"the file has no weights for layer {name!r}")
        datasets[name] = layer_datasets(group, layout, name)
    wanted = {d.name for found in datasets.values() for d in found}
    present: list[str] = []
    f.visititems(lambda path, obj: present.append(obj.name) if isinstance(obj, h5py.Dataset) else None)
    extra = [p for p in present if p not in wanted and not p.startswith(optimizer)]
    if extra:
        raise ValueError(f"the file holds {len(extra)} array(s) its config does not name (first: {extra[0]}): "
                         "a seed model has none, so it is refused")
    arrays = {}
    for name, found in datasets.items():
        got = [tuple(d.shape) for d in found]
        if got != shapes[name]:
            raise ValueError(f"layer {name!r} holds weights of shapes {got}, its config needs {shapes[name]}")
        arrays[name] = [h5safe.read_array(d, shape, f"layer {name!r} weight {k}")
                        for k, (d, shape) in enumerate(zip(found, shapes[name]))]
    return arrays


def layer_datasets(group, layout: str, name: str) -> list:
    """A layer's datasets in Keras' order, found without following any link."""
    if layout == "keras":
        # An LSTM keeps its arrays one level down, in layers/<name>/cell/vars.
        found = []
        for path in ("vars", "cell/vars"):
            holder = h5safe.group_at(group, path.split("/")[0])
            if holder is not None and path == "cell/vars":
                holder = h5safe.group_at(holder, "vars")
            if holder is None:
                continue
            keys = sorted((k for k in holder.keys() if k.isdigit()), key=int)
            found += [h5safe.dataset_at(holder, k) for k in keys]
        return [d for d in found if d is not None]
    weight_names = h5safe.small_attr(group, "weight_names", [], max_items=16)
    found = [h5safe.dataset_at(group, as_str(w)) for w in np.asarray(weight_names).ravel()]
    if any(d is None for d in found):
        raise ValueError(f"layer {name!r} lists a weight the file does not hold as a plain array")
    return found


def as_str(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def parse_json(raw, where: str) -> dict:
    try:
        parsed = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, RecursionError):
        raise ValueError(f"not a Keras model: its {where} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"not a Keras model: its {where} is not a JSON object")
    return parsed


def budget(shapes: dict[str, list[tuple]]) -> int:
    """The most bytes a weights file of these shapes can need: float64 weights plus Adam's two
    float64 slots per weight, plus 16 MiB (HDF5's bookkeeping, and room for a misfit file to get
    the clearer message about its shapes)."""
    n = sum(int(np.prod(shape)) for layer in shapes.values() for shape in layer)
    return 3 * 8 * n + 16 * 1024 * 1024


# --- mapping the weights ------------------------------------------------------------------------
def take(weights: dict, name: str, shapes: list[tuple]) -> list[np.ndarray]:
    """A layer's arrays, refused unless they have exactly the shapes its config implies."""
    if name not in weights:
        raise ValueError(f"the file has no weights for layer {name!r}")
    arrays = weights[name]
    got = [tuple(a.shape) for a in arrays]
    if got != shapes:
        raise ValueError(f"layer {name!r} holds weights of shapes {got}, its config needs {shapes}")
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(f"layer {name!r} holds NaN or infinite weights")
    return [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in arrays]


def map_weights(weights: dict, names: dict, config) -> dict[str, torch.Tensor]:
    """Keras arrays -> CharLSTM state_dict. Keras computes x @ kernel, torch x @ weight.T."""
    V, E, H = config.vocab_size, config.embedding_dim, config.hidden_size
    (embeddings,) = take(weights, names["embedding"], [(V, E)])
    state = {"embedding.weight": embeddings}  # (V, E)
    for k, name in enumerate(names["lstm"]):
        n_in = E if k == 0 else H
        kernel, recurrent, bias = take(weights, name, [(n_in, 4 * H), (H, 4 * H), (4 * H,)])
        # Both frameworks lay the 4H gate axis out as i, f, g (Keras: c), o: a transpose suffices.
        state[f"lstm.weight_ih_l{k}"] = kernel.T.contiguous()  # (4H, n_in)
        state[f"lstm.weight_hh_l{k}"] = recurrent.T.contiguous()  # (4H, H)
        state[f"lstm.bias_ih_l{k}"] = bias  # (4H,) Keras has one bias where torch adds two
        state[f"lstm.bias_hh_l{k}"] = torch.zeros(4 * H)
    kernel, bias = take(weights, names["dense"], [(H, V), (V,)])
    state["head.weight"] = kernel.T.contiguous()  # (V, H)
    state["head.bias"] = bias  # (V,)
    return state
