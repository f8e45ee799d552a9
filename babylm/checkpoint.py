"""Checkpoints as data: one safetensors file whose header metadata holds the JSON description.

A file is the model's weights (safetensors) plus, under the metadata key "babylm", a JSON object:
format name and version, the ModelConfig, the vocabulary, a training summary and a SHA-256 of the
weights. Loading rebuilds the model from the config and refuses anything that does not fit, with
a ValueError naming the problem. Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import struct
import zipfile
from pathlib import Path

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .data import Vocab
from .model import CharLSTM, ModelConfig
from .summary import clean_summary

FORMAT = "babylm-checkpoint"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024
KNOWN_FIELDS = {"format", "format_version", "config", "vocab", "training", "sha256"}


class CheckpointNotice(UserWarning):
    """Something in a checkpoint's description was dropped on loading (the weights never are)."""


def weights_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, shape, dtype and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tuple(tensor.shape)}|{tensor.dtype}|".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def model_digest(model, vocab: Vocab, training: dict | None = None, text: str | None = None) -> str:
    """SHA-256 of everything that defines what a model does and what its file holds: weights,
    vocabulary (same weights with another vocabulary write other text), the whole config
    (seq_length changes window mode, cell the computation), the training summary and, when
    given, the training text (the app's colour ranges and corpus views are computed from it)."""
    text_digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() if text else None
    described = {"config": model.config.to_dict(), "vocab": list(vocab.itos), "training": training or {},
                 "text": text_digest}
    digest = hashlib.sha256(weights_digest(model.state_dict()).encode())
    digest.update(json.dumps(described, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def to_bytes(model: CharLSTM, vocab: Vocab, training: dict | None = None) -> bytes:
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "vocab": list(vocab.itos),
        "training": training or {},
        "sha256": weights_digest(state),
    }
    return st_save(state, metadata={"babylm": json.dumps(meta)})


def check_destination(path: str | Path) -> Path:
    """Refuse, before any work, a path a checkpoint must not be written to: a folder, a device,
    pipe or link (replacing one with a file would destroy it), or a place that cannot be written."""
    path = Path(path)
    if path.name in ("", ".", "..") or path.is_dir():
        raise ValueError(f"{path} is a folder: give a file name, e.g. {path / 'model.safetensors'}")
    if path.is_symlink():
        raise ValueError(f"{path} is a symbolic link: babylm writes checkpoints only to regular files")
    if path.exists() and not path.is_file():
        raise ValueError(f"{path} is not a regular file (a device, pipe or socket): babylm writes "
                         "checkpoints only to regular files")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ValueError(f"cannot write {path}: permission denied")
    return path


def save(path: str | Path, model: CharLSTM, vocab: Vocab, training: dict | None = None) -> Path:
    """Write a checkpoint to a temporary file beside `path`, then rename it into place, so a
    half-written file is never left under the name; errors name `path`, not the temporary."""
    path = check_destination(path)
    data = to_bytes(model, vocab, training)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        check_destination(path)  # still a regular file (or nothing) just before replacing it
        os.replace(tmp, path)
    except BaseException as err:  # also Ctrl-C: never leave the temporary behind
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise ValueError(f"cannot write {path}: {err.strerror or err}") from None
        raise
    return path


MAX_ZIP_ENTRIES = 100  # a .keras archive holds 3 files; a torch.save zip a few per tensor


def open_small_zip(data: bytes) -> zipfile.ZipFile:
    """A zip archive of at most MAX_ZIP_ENTRIES members, counted from its end-of-directory record
    before Python parses the directory (200,000 empty members in 17 MB cost 116 MB and 5 s)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        raise zipfile.BadZipFile("no end of central directory")
    (entries,) = struct.unpack("<H", data[end + 10: end + 12])
    if entries > MAX_ZIP_ENTRIES:  # 0xFFFF (ZIP64) included: no model archive needs it
        raise ValueError(f"the zip archive has {entries:,} members or more; a model archive has a few "
                         f"(limit {MAX_ZIP_ENTRIES})")
    return zipfile.ZipFile(io.BytesIO(data))


def other_format(data: bytes) -> str | None:
    """What a file that is not safetensors is, from its first bytes (nothing is unpickled or
    unpacked: a zip's member names come from its central directory)."""
    if data.startswith(b"\x89HDF\r\n\x1a\n"):
        return "keras"  # legacy Keras .h5
    if data.startswith(b"PK"):
        try:
            with open_small_zip(data) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "zip"
        if {"config.json", "model.weights.h5"} <= names:
            return "keras"
        return "pickle" if any(n.endswith(("data.pkl", ".pkl")) for n in names) else "zip"
    return "pickle" if data[:1] == b"\x80" else None


def read_metadata(data: bytes) -> dict:
    """Parse the safetensors header ourselves so a bad file gets a message a person can act on."""
    if len(data) < 8:
        raise ValueError("not a babylm checkpoint: the file is empty or truncated")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > MAX_HEADER_BYTES or 8 + header_len > len(data):
        kind = other_format(data)
        if kind == "keras":
            raise ValueError("not a babylm checkpoint: this is a Keras model; import it with "
                             "BabyLanguageModel.from_keras(path, text=...) or `python -m babylm import-keras`")
        if kind == "pickle":
            raise ValueError("not a babylm checkpoint: this looks like a pickle / torch.save file, "
                             "which babylm never loads; save it with babylm instead")
        if kind == "zip":
            raise ValueError("not a babylm checkpoint: this is a zip archive (neither a babylm nor a Keras model)")
        raise ValueError("not a babylm checkpoint: the header is cut short or is not safetensors")
    try:
        header = json.loads(data[8: 8 + header_len].decode("utf-8"))
        meta = json.loads(header["__metadata__"]["babylm"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        raise ValueError("not a babylm checkpoint: no babylm description in the safetensors header") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError("not a babylm checkpoint: its description names another format")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported checkpoint version {meta.get('format_version')!r}: "
                         f"this babylm reads version {FORMAT_VERSION}")
    return meta


def from_bytes(data: bytes) -> tuple[CharLSTM, Vocab, dict]:
    """Checkpoint bytes -> (model in eval mode on CPU, vocab, metadata); ValueError if bad.

    Every field of the description is checked, since the checksum covers only the weights: the
    metadata returned has a clean training summary and `notices`, one line per field dropped."""
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"checkpoint is too large ({len(data):,} bytes): the limit is {MAX_FILE_BYTES:,}")
    meta = read_metadata(data)
    unknown = sorted(set(meta) - KNOWN_FIELDS)
    if unknown:
        raise ValueError(f"checkpoint description has fields babylm never writes ({', '.join(map(repr, unknown[:3]))}): "
                         "it was not saved by babylm, or was edited")
    if not isinstance(meta.get("vocab"), list):
        raise ValueError("checkpoint description is malformed: its vocabulary is not a list of characters")
    try:
        vocab = Vocab(tuple(meta["vocab"]))
    except ValueError as err:
        raise ValueError(f"checkpoint description is malformed: its vocabulary ({err})") from None
    if not isinstance(meta.get("config"), dict):
        raise ValueError("checkpoint description is incomplete or malformed (its config is not a mapping)")
    try:
        config = ModelConfig(**meta["config"])
    except TypeError as err:
        raise ValueError(f"checkpoint description is incomplete or malformed ({err})") from None
    if not isinstance(meta.get("training", {}), dict):
        raise ValueError("checkpoint description is malformed (its training summary is not a mapping)")
    sha = meta.get("sha256")
    if not isinstance(sha, str) or len(sha) != 64:
        raise ValueError("checkpoint description is malformed: its sha256 is missing or not a SHA-256")
    training, notices = clean_summary(meta.get("training"))
    meta = dict(meta, training=training, notices=notices)
    if config.vocab_size != len(vocab):
        raise ValueError(f"checkpoint vocabulary has {len(vocab)} characters but the model expects "
                         f"{config.vocab_size}")
    try:
        state = st_load(data)
    except Exception as err:  # safetensors raises its own error types for damaged files
        raise ValueError(f"checkpoint weights are damaged or truncated ({err})") from None
    if weights_digest(state) != meta.get("sha256"):
        raise ValueError("checkpoint weights do not match their checksum: the file is corrupt")
    model = CharLSTM(config)
    expected = model.state_dict()
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        raise ValueError(f"checkpoint weights do not fit the model: missing {missing[:4]}, "
                         f"unexpected {extra[:4]}" + (" and more" if len(missing) > 4 or len(extra) > 4 else ""))
    for name, tensor in state.items():
        if tensor.dtype != torch.float32:
            raise ValueError(f"checkpoint weight {name} is {str(tensor.dtype).removeprefix('torch.')}: "
                             "babylm writes float32 weights and converts nothing silently")
        if tensor.shape != expected[name].shape:
            raise ValueError(f"checkpoint weight {name} has shape {tuple(tensor.shape)}, "
                             f"the config needs {tuple(expected[name].shape)}")
        if not torch.isfinite(tensor).all():
            raise ValueError(f"checkpoint weight {name} holds NaN or infinite values")
    model.load_state_dict(state)
    model.eval()
    return model, vocab, meta


def load(path: str | Path) -> tuple[CharLSTM, Vocab, dict]:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no such checkpoint file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{path} is too large to be a babylm checkpoint (limit {MAX_FILE_BYTES:,} bytes)")
    return from_bytes(path.read_bytes())
