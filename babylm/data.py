"""Text in, ids out: the character vocabulary, corpus checks, the train/validation split.

The vocabulary is built as the seed builds it, `sorted(set(text))`, so an id means the same
character here as in the seed's Keras script trained on the same text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

ASSETS = Path(__file__).resolve().parent.parent / "assets"
MIN_CORPUS_CHARS = 20
MAX_CORPUS_CHARS = 2_000_000
MAX_VOCAB = 256


def _show(ch: str) -> str:
    """A character as a person can read it in an error message."""
    return {"\n": "\\n", "\t": "\\t", " ": "' '"}.get(ch, repr(ch) if not ch.isprintable() else ch)


def check_corpus(text: str) -> str:
    """Return `text` if a model can be trained on it, else raise a ValueError that says why."""
    if not isinstance(text, str):
        raise ValueError(f"corpus must be text, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("corpus is empty: paste or upload some text to train on")
    if len(text) < MIN_CORPUS_CHARS:
        raise ValueError(
            f"corpus is too short ({len(text)} characters): give at least {MIN_CORPUS_CHARS}"
        )
    if len(text) > MAX_CORPUS_CHARS:
        raise ValueError(
            f"corpus is too large ({len(text):,} characters): the limit is {MAX_CORPUS_CHARS:,}"
        )
    n_chars = len(set(text))
    if n_chars < 2:
        raise ValueError("corpus uses only one distinct character: there is nothing to predict")
    if n_chars > MAX_VOCAB:
        raise ValueError(
            f"corpus uses {n_chars} distinct characters: the limit is {MAX_VOCAB}; "
            "remove unusual symbols or use plainer text"
        )
    return text


@dataclass(frozen=True)
class Vocab:
    """Character <-> id maps (`stoi`, `itos`) with `encode` / `decode`."""

    itos: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> "Vocab":
        return cls(tuple(sorted(set(text))))

    def __post_init__(self):
        if not isinstance(self.itos, tuple) or not all(isinstance(ch, str) for ch in self.itos):
            raise ValueError("a vocabulary must be distinct single characters (text), got "
                             + ", ".join(sorted({type(ch).__name__ for ch in self.itos if not isinstance(ch, str)})
                                         or [type(self.itos).__name__]))
        if len(self.itos) < 2:
            raise ValueError("a vocabulary needs at least 2 characters")
        if len(set(self.itos)) != len(self.itos) or any(len(ch) != 1 for ch in self.itos):
            raise ValueError("a vocabulary must be distinct single characters")

    @property
    def stoi(self) -> dict[str, int]:
        return {ch: i for i, ch in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` this vocabulary lacks, in order of first appearance."""
        known = set(self.itos)
        return list(dict.fromkeys(ch for ch in text if ch not in known))

    def encode(self, text: str) -> list[int]:
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(_show(ch) for ch in missing)
            raise ValueError(
                f"the model has never seen these characters: {shown}; "
                "use only characters from its training text"
            )
        stoi = self.stoi
        return [stoi[ch] for ch in text]

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)


def split_text(text: str, val_fraction: float) -> tuple[str, str]:
    """Split off the last `val_fraction` of the text (at a line break when there is one nearby)
    for validation. Returns (train, val); val is empty when val_fraction is 0."""
    if not 0.0 <= val_fraction < 0.5:
        raise ValueError(f"val_fraction must be in [0, 0.5), got {val_fraction}")
    if val_fraction == 0:
        return text, ""
    cut = int(len(text) * (1 - val_fraction))
    newline = text.rfind("\n", 0, cut)
    if newline > len(text) * (1 - 2 * val_fraction):
        cut = newline + 1
    return text[:cut], text[cut:]


def encode_tensor(vocab: Vocab, text: str) -> torch.Tensor:
    return torch.tensor(vocab.encode(text), dtype=torch.long)


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file, with a clear error for a missing or non-text file."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not a text file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None


BABY_DATASET: str = (ASSETS / "baby_corpus.txt").read_text(encoding="utf-8")
