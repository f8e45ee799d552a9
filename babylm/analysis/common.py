"""Small checks shared by the analyses: which internal a question is about, and reading a text
whole (every character of it, the last one included) through the trace."""

from __future__ import annotations

import numpy as np

from ..data import Vocab
from ..model import CharRNN
from ..trace import trace_text


def check_state(model: CharRNN, state: str) -> None:
    """A ValueError naming the internals this cell has, for a name it lacks."""
    names = model.internal_names
    if not isinstance(state, str) or state not in names:
        raise ValueError(f"this {model.config.cell.upper()} has no internal {state!r}: "
                         f"choose one of {', '.join(names)}")


def read_all(model: CharRNN, vocab: Vocab, text: str, state: str) -> np.ndarray:
    """(N, L, H): `state` after reading each of the N characters of `text`, stateful from zero.

    A trace of a text stops before reading its last character (that one is only ever "next"), so
    one more character is appended and its step dropped; what comes next never changes what was
    read before it."""
    trace = trace_text(model, vocab, text + text[-1], mode="stateful")
    return trace.internals[state]  # (N, L, H)
