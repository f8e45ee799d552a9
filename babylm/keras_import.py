"""Load a model saved by the seed's Keras script (.keras or legacy .h5) into babylm, no TensorFlow.

The seed trains Embedding -> LSTM (1 to 3) -> Dropout -> Dense(softmax) in Keras. This module
reads such a file with zipfile and h5py, checks from the saved config that our `CharLSTM`
computes exactly the same function, and copies the weights across. It is not a general Keras
loader: a layer or setting the mapping cannot reproduce is refused with a one-line ValueError
saying what differs, and so is any file that is not a Keras model or is damaged.

A Keras file does not hold the vocabulary: it comes from the training text (`sorted(set(text))`,
as the seed builds it) or from an explicit list of characters in id order.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np
import torch

from .api import BabyLanguageModel
from .model import CharLSTM

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_FILE_BYTES = 200 * 1024 * 1024  # also the limit on what an archive member may unpack to
MAX_ARRAY_ELEMENTS = 50_000_000  # far above the largest model babylm allows; stops crafted files
DEFAULT_DROPOUT = 0.2  # the seed's Dropout rate, for a model saved without Dropout layers
DEFAULT_SEQ_LENGTH = 15  # the seed's SEQ_LENGTH, for a model saved without a fixed input length
SHAPE = "Embedding -> 1 to 3 LSTM -> Dense (with Dropout anywhere)"

# Settings that change what a layer computes, and the only values our model reproduces.
# (unit_forget_bias, initialisers, dropout and recurrent_dropout only matter while training.)
LSTM_SETTINGS = {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
                 "go_backwards": False, "time_major": False, "return_state": False}
DENSE_ACTIVATIONS = ("softmax", "linear")  # linear: the model outputs logits, softmax comes later


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
    """The same from the bytes of an uploaded file; the format is told by content, not name."""
    if text is None and chars is None:
        raise ValueError("a Keras file holds no vocabulary: give the text the model was trained on "
                         "(text=..., --text) or its characters in id order (chars=..., --chars)")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"{filename}: expected the file's bytes, got {type(data).__name__}")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{filename} is too large for the seed's model (limit {MAX_FILE_BYTES:,} bytes)")
    config, weights, version = read_file(bytes(data), filename)
    fields, names = read_architecture(config)
    vocab_size = fields.pop("vocab_size")
    baby = BabyLanguageModel(text, chars=chars, **fields)  # builds and checks the vocabulary
    if len(baby.vocab) != vocab_size:
        given = f"{len(baby.vocab)} were given" if chars is not None else f"the text uses {len(baby.vocab)}"
        raise ValueError(f"the Keras model knows {vocab_size} characters but {given}: give the exact "
                         "text it was trained on, or its characters in id order")
    model = CharLSTM(baby.config)
    model.load_state_dict(map_weights(weights, names, baby.config))
    baby.model = model.eval()
    baby.training_summary = {"imported_from": filename, "keras_version": version}
    return baby


# --- reading the file ---------------------------------------------------------------------------
def read_file(data: bytes, filename: str) -> tuple[dict, dict[str, list[np.ndarray]], str]:
    """Bytes -> (model config, {layer name: its weight arrays in Keras' order}, Keras version)."""
    try:
        if data.startswith(ZIP_MAGIC):
            return read_keras_zip(data)
        if data.startswith(HDF5_MAGIC):
            return read_legacy_h5(data)
    except (OSError, KeyError, RuntimeError, TypeError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        reason = str(err.args[0] if err.args else type(err).__name__).splitlines()[0]
        raise ValueError(f"cannot read {filename}: the file is damaged or truncated ({reason})") from None
    raise ValueError(f"{filename} is not a Keras model: expected a .keras archive (zip) "
                     "or a legacy HDF5 .h5 file")


def read_keras_zip(data: bytes):
    """Keras 3 archive: config.json, plus model.weights.h5 with layers/<name>/vars/<i>."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        for needed in ("config.json", "model.weights.h5"):
            if needed not in names:
                raise ValueError(f"not a Keras model: the .keras archive has no {needed}")
        if any(info.file_size > MAX_FILE_BYTES for info in archive.infolist()):
            raise ValueError(f"the .keras archive unpacks to more than {MAX_FILE_BYTES:,} bytes")
        config = parse_json(archive.read("config.json"), "config.json")
        meta = archive.read("metadata.json") if "metadata.json" in names else b"{}"
        version = str(parse_json(meta, "metadata.json").get("keras_version", "unknown"))
        weights_file = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(weights_file), "r") as f:
        if not isinstance(f.get("layers"), h5py.Group):
            raise ValueError("not a Keras model: model.weights.h5 has no 'layers' group")
        # An LSTM keeps its arrays one level down, in layers/<name>/cell/vars.
        weights = {name: h5_vars(group) + (h5_vars(group["cell"]) if "cell" in group else [])
                   for name, group in f["layers"].items()}
    return config, weights, version


def h5_vars(group: h5py.Group) -> list[np.ndarray]:
    found = group.get("vars")
    if not isinstance(found, h5py.Group):
        return []
    return [read_array(found[key]) for key in sorted(found, key=lambda k: int(k) if k.isdigit() else -1)]


def read_array(item) -> np.ndarray:
    if not isinstance(item, h5py.Dataset) or item.size > MAX_ARRAY_ELEMENTS:
        raise ValueError(f"not a Keras model: {item.name} is not a weight array of a sensible size")
    return np.asarray(item)


def read_legacy_h5(data: bytes):
    """Legacy .h5: a model_config attribute, and model_weights/<name> listing its weight_names."""
    with h5py.File(io.BytesIO(data), "r") as f:
        if "model_config" not in f.attrs:
            raise ValueError("not a whole Keras model: this .h5 has no model_config (a weights-only "
                             "file?); save the model with model.save(...)")
        config = parse_json(f.attrs["model_config"], "model_config")
        version = as_str(f.attrs.get("keras_version", "unknown"))
        root = f["model_weights"] if "model_weights" in f else f
        weights = {name: [read_array(group[as_str(w)]) for w in group.attrs.get("weight_names", [])]
                   for name, group in root.items() if isinstance(group, h5py.Group)}
    return config, weights, version


def as_str(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def parse_json(raw, where: str) -> dict:
    try:
        parsed = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError):
        raise ValueError(f"not a Keras model: its {where} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"not a Keras model: its {where} is not a JSON object")
    return parsed


# --- checking the architecture ------------------------------------------------------------------
def read_architecture(config: dict) -> tuple[dict, dict]:
    """Model config -> (ModelConfig fields incl. vocab_size, {"embedding", "lstm", "dense": names})."""
    try:
        return _read_architecture(config)
    except (KeyError, TypeError, AttributeError, IndexError) as err:
        raise ValueError(f"the Keras model config is malformed ({type(err).__name__}: {err})") from None


def _read_architecture(config: dict) -> tuple[dict, dict]:
    kind = config.get("class_name")
    if kind != "Sequential":
        raise ValueError(f"the Keras model is a {kind}, not the seed's Sequential model ({SHAPE})")
    inner = config["config"]
    layers = inner if isinstance(inner, list) else inner["layers"]  # very old Keras: a bare list
    seq_length, rates, stack = None, [], []
    for layer in layers:
        kind, cfg = layer["class_name"], layer["config"]
        seq_length = seq_length or fixed_length(cfg)
        if kind == "InputLayer":
            continue
        if kind == "Dropout":
            rates.append(float(cfg.get("rate", DEFAULT_DROPOUT)))
        elif kind in ("Embedding", "LSTM", "Dense"):
            stack.append((kind, cfg))
        else:
            raise ValueError(f"layer {cfg.get('name')!r} is a {kind}: babylm maps only {SHAPE}")
    kinds = [kind for kind, _ in stack]
    if kinds[:1] != ["Embedding"] or kinds[-1:] != ["Dense"] or any(k != "LSTM" for k in kinds[1:-1]):
        shown = " -> ".join(f"{kind}({cfg.get('name')})" for kind, cfg in stack)
        raise ValueError(f"the layers are {shown or 'none'}: babylm maps only {SHAPE}")
    embedding, lstms, dense = stack[0][1], [cfg for _, cfg in stack[1:-1]], stack[-1][1]
    if not 1 <= len(lstms) <= 3:
        raise ValueError(f"the model has {len(lstms)} LSTM layers: babylm maps 1 to 3")
    if embedding.get("mask_zero"):
        raise ValueError("the Embedding has mask_zero=True (Keras skips id 0): babylm does not")
    for cfg in lstms:
        for key, want in LSTM_SETTINGS.items():
            if cfg.get(key, want) != want:
                raise ValueError(f"LSTM {cfg.get('name')!r} has {key}={cfg[key]!r}: "
                                 f"babylm's LSTM has {want!r}")
    sizes = [cfg["units"] for cfg in lstms]
    if len(set(sizes)) != 1:
        raise ValueError(f"the LSTM layers have different sizes {sizes}: babylm uses one hidden size")
    if dense.get("activation") not in DENSE_ACTIVATIONS or not dense.get("use_bias", True):
        raise ValueError(f"the Dense layer {dense.get('name')!r} has activation={dense.get('activation')!r}, "
                         f"use_bias={dense.get('use_bias')!r}: babylm needs softmax (or linear) with a bias")
    if dense["units"] != embedding["input_dim"]:
        raise ValueError(f"the Dense layer predicts {dense['units']} characters but the Embedding "
                         f"reads {embedding['input_dim']}: they must be the same vocabulary")
    fields = dict(vocab_size=embedding["input_dim"], embedding_dim=embedding["output_dim"],
                  hidden_size=sizes[0], num_layers=len(lstms),
                  dropout=rates[0] if rates else DEFAULT_DROPOUT,
                  seq_length=seq_length or DEFAULT_SEQ_LENGTH)
    names = {"embedding": embedding["name"], "lstm": [cfg["name"] for cfg in lstms], "dense": dense["name"]}
    return fields, names


def fixed_length(cfg: dict) -> int | None:
    """The window length a layer was built for, if the config says (Keras 3 or Keras 2 keys)."""
    shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
    length = shape[1] if isinstance(shape, list) and len(shape) == 2 else cfg.get("input_length")
    return length if isinstance(length, int) else None


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
