"""Probes: small facts a class can watch a model learn, such as the probability of "o" after
"me want c", measured epoch by epoch while it trains.

A probe is written as a lesson placeholder reads: `"o" after "me want c"` (the character may
also stand bare: `o after "me want c"`; `"\\n"` is a line break, `" "` a space). `measure` reads
each context from a zero state with carried memory, dropout off, and returns the model's own
softmax probability of the character; it leaves the model's mode, weights and the random number
generators as they were, so measuring during training does not change what is learned.
No streamlit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from .data import Vocab
from .model import CharRNN

MAX_PROBES = 8
MAX_CONTEXT = 200
DEFAULT_PROBES = ('"o" after "me want c"', '"m" after "me love "', '"y" after "me see dogg"',
                  '"\\n" after "me want cookie"')
_LINE = re.compile(r'^\s*(?:"(?P<q>(?:[^"\\]|\\.)+)"|(?P<bare>\S))\s+after\s+"(?P<ctx>(?:[^"\\]|\\.)*)"\s*$')
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


@dataclass(frozen=True)
class Probe:
    char: str  # the character whose probability is watched
    context: str  # what the model has read just before it

    @property
    def label(self) -> str:
        shown = {"\n": "⏎", " ": "space"}.get(self.char, self.char)
        return f"{shown} after “{self.context.replace(chr(10), '⏎')}”"

    def __str__(self) -> str:
        return f'"{_quote(self.char)}" after "{_quote(self.context)}"'


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


def parse_probes(text: str) -> list[Probe]:
    """One probe per non-empty line; a ValueError names the first bad line and shows the form."""
    probes = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f'probe line {n} ({line.strip()[:40]!r}) is not like "o" after "me want c"')
        char = _unquote(m.group("q")) if m.group("q") is not None else m.group("bare")
        context = _unquote(m.group("ctx"))
        if len(char) != 1:
            raise ValueError(f"probe line {n}: {char!r} is not one character")
        if not context:
            raise ValueError(f"probe line {n}: the context in quotes is empty; give what comes before")
        if len(context) > MAX_CONTEXT:
            raise ValueError(f"probe line {n}: the context is longer than {MAX_CONTEXT} characters")
        probes.append(Probe(char, context))
    if len(probes) > MAX_PROBES:
        raise ValueError(f"{len(probes)} probes: at most {MAX_PROBES} fit on one chart")
    return probes


def check_probes(vocab: Vocab, probes: list[Probe]) -> list[Probe]:
    """`probes` if the vocabulary has every character they use, else a ValueError naming the probe."""
    for probe in probes:
        try:
            vocab.encode(probe.context + probe.char)
        except ValueError as err:
            raise ValueError(f"probe {probe}: {err}") from None
    return probes


@torch.no_grad()
def measure(model: CharRNN, vocab: Vocab, probes: list[Probe]) -> np.ndarray:
    """(P,) float: the model's probability of each probe's character after its context."""
    if not probes:
        return np.zeros(0)
    check_probes(vocab, probes)
    was_training = model.training
    model.eval()  # no dropout; eval-mode forward draws no random numbers
    try:
        device = model.head.weight.device
        out = np.empty(len(probes))
        for k, probe in enumerate(probes):
            idx = torch.tensor([vocab.encode(probe.context)], device=device)  # (1, T)
            logits, _ = model(idx)  # (1, T, V)
            probs = torch.softmax(logits[0, -1].float(), dim=-1)  # (V,)
            out[k] = float(probs[vocab.stoi[probe.char]])
    finally:
        model.train(was_training)
    return out


@dataclass(frozen=True)
class ProbeLog:
    """What the probes measured at each epoch's end: epochs (E,), values (E, P)."""

    probes: tuple[Probe, ...]
    epochs: tuple[float, ...] = ()
    values: tuple[tuple[float, ...], ...] = ()

    def add(self, epoch: float, values: np.ndarray) -> "ProbeLog":
        return ProbeLog(self.probes, self.epochs + (float(epoch),), self.values + (tuple(map(float, values)),))

    def series(self) -> np.ndarray:
        """(P, E): one row per probe."""
        return np.array(self.values, dtype=float).reshape(len(self.epochs), len(self.probes)).T
