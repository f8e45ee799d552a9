"""What a unit tracks: its correlation with simple, named properties of the text, and its value
over a stretch of text with the contexts where it is most and least active (Karpathy, Johnson &
Fei-Fei 2015 coloured text by one cell and found cells that track quotes and line length).

A correlation is a measured hint, never a claim: "best match: inside a word (r = 0.83)" says how
well one property lines up with the unit over this text, nothing more.

Steps follow the trace: at step t the model has read text[t] and the next character is text[t+1],
so a text of N characters gives N - 1 values per unit and N - 1 values per property.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..data import Vocab
from ..model import CharRNN
from ..trace import Trace, trace_text
from .common import check_state

VOWELS = set("aeiou")
# name -> what it is at step t (the model has just read text[t]; text[t+1] comes next)
PROPERTIES = {
    "inside a word": "the character just read is part of a word (not a space or a line break)",
    "position within the word": "1 on a word's first character, 2 on its second, ...; 0 between words",
    "a space comes next": "the next character is a space",
    "start of a line": "the character just read is the first of its line",
    "a vowel comes next": "the next character is a, e, i, o or u",
    'after "me want"': 'from the space after "me want" to the end of the word that follows it',
}


def text_properties(text: str) -> dict[str, np.ndarray]:
    """{name: (N-1,) float64} for a text of N characters, one value per step (see PROPERTIES)."""
    if not isinstance(text, str) or len(text) < 2:
        raise ValueError(f"text must be at least 2 characters, got {text!r}"[:120])
    read, nxt = text[:-1], text[1:]
    T = len(read)
    in_word = np.array([not ch.isspace() for ch in read], dtype=np.float64)  # (T,)
    position = np.zeros(T)
    for t in range(T):
        position[t] = position[t - 1] + 1 if in_word[t] and t > 0 else in_word[t]
    line_start = np.array([t == 0 or text[t - 1] == "\n" for t in range(T)], dtype=np.float64)
    after_want = np.zeros(T)
    for match in re.finditer(r"me want (\S*)", text):
        after_want[match.start(1) - 1: min(T, match.end(1))] = 1.0  # the space, then the word
    return {
        "inside a word": in_word,
        "position within the word": position,
        "a space comes next": np.array([ch == " " for ch in nxt], dtype=np.float64),
        "start of a line": line_start,
        "a vowel comes next": np.array([ch in VOWELS for ch in nxt], dtype=np.float64),
        'after "me want"': after_want,
    }


def correlations(values: np.ndarray, properties: np.ndarray) -> np.ndarray:
    """Pearson r of every unit with every property: values (T, U), properties (T, P) -> (P, U).
    NaN where the unit or the property does not vary over the text (r is undefined there)."""
    v = values - values.mean(axis=0)  # (T, U)
    p = properties - properties.mean(axis=0)  # (T, P)
    norm = np.sqrt((p ** 2).sum(axis=0))[:, None] * np.sqrt((v ** 2).sum(axis=0))[None, :]  # (P, U)
    tiny = 1e-12 * max(1.0, float(norm.max(initial=0.0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > tiny, (p.T @ v) / norm, np.nan)


def check_unit(shape: tuple[int, int], layer: int, unit: int) -> tuple[int, int]:
    """1-based (layer, unit) as the app shows them -> 0-based indices, or a clear ValueError."""
    L, H = shape
    for name, value, top in (("layer", layer, L), ("unit", unit, H)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= top:
            raise ValueError(f"{name} must be a whole number from 1 to {top} (numbered from 1, as "
                             f"the app shows them), got {value!r}")
    return int(layer) - 1, int(unit) - 1


@dataclass(frozen=True, eq=False)
class UnitProperties:
    """Correlations of every unit's `state` with every named property over one text."""

    state: str  # which internal: "c", "h", "f", ...
    names: tuple[str, ...]  # property names, in PROPERTIES order
    r: np.ndarray  # (P, L, H) Pearson r; NaN where undefined

    def best(self, layer: int, unit: int) -> tuple[str, float] | None:
        """The property with the largest |r| for a unit (numbered from 1), or None if none is defined."""
        k, j = check_unit(self.r.shape[1:], layer, unit)
        column = self.r[:, k, j]  # (P,)
        if np.isnan(column).all():
            return None
        n = int(np.nanargmax(np.abs(column)))
        return self.names[n], float(column[n])

    def describe(self, layer: int, unit: int) -> str:
        best = self.best(layer, unit)
        if best is None:
            return "best match: none (this unit or every property is constant over this text)"
        return f"best match: {best[0]} (r = {best[1]:.2f})"

    def ranked(self, name: str, top: int = 10) -> list[tuple[int, int, float]]:
        """Units whose |r| with one property is largest: (layer, unit, r), numbered from 1."""
        if name not in self.names:
            raise ValueError(f"no property {name!r}: choose one of {', '.join(self.names)}")
        r = self.r[self.names.index(name)]  # (L, H)
        order = np.argsort(-np.nan_to_num(np.abs(r), nan=-1.0), axis=None, kind="stable")[:top]
        H = r.shape[1]
        return [(int(n // H) + 1, int(n % H) + 1, float(r.flat[n])) for n in order if not np.isnan(r.flat[n])]


def properties_of_trace(trace: Trace, state: str = "c") -> UnitProperties:
    """Correlations over a trace the caller already has (a generation or a read text)."""
    if state not in trace.internals:
        raise ValueError(f"this {trace.cell.upper()} has no internal {state!r}: "
                         f"choose one of {', '.join(trace.internals)}")
    props = text_properties(trace.text)
    values = trace.internals[state].astype(np.float64)  # (T, L, H)
    T, L, H = values.shape
    r = correlations(values.reshape(T, L * H), np.stack(list(props.values()), axis=1))  # (P, L*H)
    return UnitProperties(state=state, names=tuple(props), r=r.reshape(len(props), L, H))


def unit_properties(model: CharRNN, vocab: Vocab, text: str, state: str = "c") -> UnitProperties:
    """Read `text` (stateful, from a zero state) and correlate every unit with every property."""
    check_state(model, state)
    return properties_of_trace(trace_text(model, vocab, text), state)


# --- one unit across a stretch of text -------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """Where a unit was unusually high or low: `left + char + right`, the value after reading `char`."""

    t: int  # the step (0-based position in the text of the character read)
    left: str
    char: str
    right: str
    value: float


@dataclass(frozen=True, eq=False)
class UnitReading:
    """One unit's value at every step of a text: colour `text[t]` by `values[t]`."""

    layer: int  # numbered from 1
    unit: int  # numbered from 1
    state: str
    text: str  # the N - 1 characters read
    values: np.ndarray  # (N-1,) float32, the trace's own numbers
    most: list[Context]  # highest values first
    least: list[Context]  # lowest values first


def top_contexts(text: str, values: np.ndarray, k: int = 5, lowest: bool = False,
                 gap: int = 5, left: int = 20, right: int = 5) -> list[Context]:
    """The k steps with the highest (or lowest) values, at least `gap` characters apart, so one
    stretch does not fill the list."""
    order = np.argsort(values if lowest else -values, kind="stable")
    chosen: list[int] = []
    for t in order:
        if all(abs(int(t) - c) >= gap for c in chosen):
            chosen.append(int(t))
            if len(chosen) == k:
                break
    return [Context(t, text[max(0, t - left): t], text[t], text[t + 1: t + 1 + right], float(values[t]))
            for t in chosen]


def reading_of_trace(trace: Trace, layer: int, unit: int, state: str = "c", k: int = 5) -> UnitReading:
    if state not in trace.internals:
        raise ValueError(f"this {trace.cell.upper()} has no internal {state!r}: "
                         f"choose one of {', '.join(trace.internals)}")
    L, H = trace.shape[1:]
    i, j = check_unit((L, H), layer, unit)
    values = trace.internals[state][:, i, j]  # (T,)
    read = "".join(trace.inputs)
    return UnitReading(layer=layer, unit=unit, state=state, text=read, values=values,
                       most=top_contexts(read, values, k), least=top_contexts(read, values, k, lowest=True))


def read_unit(model: CharRNN, vocab: Vocab, text: str, layer: int, unit: int, state: str = "c",
              k: int = 5) -> UnitReading:
    """One unit's `state` over `text` (stateful, from zero) and its k most and least active contexts."""
    check_state(model, state)
    return reading_of_trace(trace_text(model, vocab, text), layer, unit, state, k)
