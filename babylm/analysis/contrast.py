"""The memory-unit finder: read the same continuation after two prompts and rank units by how
differently they carry it ("me want " vs "me love ", continuing "cookie").

For each unit, score = the mean over the continuation's characters of
|value after prompt_a + continuation so far - value after prompt_b + continuation so far|,
where "so far" runs from the continuation's first character to its whole length and both texts
are read from a zero state in stateful mode. A unit that still differs at the end of "cookie"
remembers which prompt came before it.
"""

from __future__ import annotations

import numpy as np

from ..data import Vocab
from ..model import CharRNN
from .common import check_state, read_all

MAX_CONTRAST_TEXT = 2_000  # prompt + continuation, the generation prompt's own limit


def _check_text(vocab: Vocab, name: str, text: str, allow_empty: bool = False) -> None:
    if not isinstance(text, str):
        raise ValueError(f"{name} must be text, got {type(text).__name__}")
    if text == "" and not allow_empty:
        raise ValueError(f"{name} is empty: give at least one character")
    vocab.encode(text)  # names any character the model has never seen


def contrast_scores(model: CharRNN, vocab: Vocab, prompt_a: str, prompt_b: str, continuation: str,
                    state: str = "c") -> np.ndarray:
    """(L, H) scores, 0-based like every array: entry [k, j] is layer k + 1, unit j + 1."""
    check_state(model, state)
    for name, text in (("prompt_a", prompt_a), ("prompt_b", prompt_b), ("continuation", continuation)):
        _check_text(vocab, name, text)
    longest = max(len(prompt_a), len(prompt_b)) + len(continuation)
    if longest > MAX_CONTRAST_TEXT:
        raise ValueError(f"prompt and continuation are too long ({longest} characters): "
                         f"the limit is {MAX_CONTRAST_TEXT}")
    K = len(continuation)
    a = read_all(model, vocab, prompt_a + continuation, state)[-K:]  # (K, L, H)
    b = read_all(model, vocab, prompt_b + continuation, state)[-K:]  # (K, L, H)
    return np.abs(a.astype(np.float64) - b).mean(axis=0)  # (L, H)


def contrast(model: CharRNN, vocab: Vocab, prompt_a: str, prompt_b: str, continuation: str,
             state: str = "c", top: int | None = None) -> list[tuple[int, int, float]]:
    """Every unit as (layer, unit, score), best first, numbered from 1 as the app shows them.
    `state` is any internal the cell has (c, h, f, ... for an LSTM); `top` keeps only the first few.
    Ties keep layer-then-unit order."""
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ValueError(f"top must be None or a whole number of at least 1, got {top!r}")
    scores = contrast_scores(model, vocab, prompt_a, prompt_b, continuation, state)  # (L, H)
    order = np.argsort(-scores, axis=None, kind="stable")[:top]
    H = scores.shape[1]
    return [(int(n // H) + 1, int(n % H) + 1, float(scores.flat[n])) for n in order]
