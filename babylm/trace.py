"""A trace: every step of one run of the model, as plain arrays. The one object the player, the
exports and the analyses (contrast, saliency, what a unit tracks) all read.

Two ways to make one:
- `trace_generation(model, vocab, settings)`: the model writes (the prompt's characters are read
  first, then each chosen one);
- `trace_text(model, vocab, text)`: the model reads a given text, nothing is sampled.

Internals are kept by the names the cell gives them (`model.internal_names`: h, c, i, f, g, o for
an LSTM), so nothing after this point needs to know which cell made them. No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .data import Vocab
from .generate import MODES, generate_steps
from .model import CharRNN
from .settings import GenerationSettings

MIN_TEXT = 2  # a text of N characters gives N - 1 steps: read text[t], the next is text[t + 1]


@dataclass(frozen=True, eq=False)
class Trace:
    """Steps t = 0..T-1: the model read inputs[t]; outputs[t] came next."""

    inputs: list[str]  # (T,) the character read at each step
    outputs: list[str]  # (T,) the character that came next
    from_prompt: np.ndarray  # (T,) bool: the next character was given (prompt or text), not chosen
    probs: np.ndarray  # (T, V) float32: the model's next-character softmax at temperature 1
    internals: dict[str, np.ndarray]  # {name: (T, L, H) float32}, in the cell's display order
    itos: tuple[str, ...]  # the vocabulary: probs[:, j] is the probability of itos[j]
    cell: str  # "lstm", "gru" or "rnn"
    mode: str  # "stateful" or "window"
    seq_length: int  # the window's length in "window" mode
    settings: GenerationSettings | None = None  # what made it, for a generation; None for a text

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def text(self) -> str:
        """Everything read plus the last character that came next."""
        return "".join(self.inputs) + (self.outputs[-1] if self.outputs else "")

    @property
    def chosen(self) -> np.ndarray:
        """(T,) ids of the next characters."""
        stoi = {ch: n for n, ch in enumerate(self.itos)}
        return np.array([stoi[ch] for ch in self.outputs], dtype=np.int64)

    @property
    def chosen_prob(self) -> np.ndarray:
        """(T,) the model's probability of each next character."""
        return self.probs[np.arange(len(self)), self.chosen]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(T, L, H): steps, layers, units per layer."""
        return self.internals["h"].shape


def _stack(steps, itos, cell: str, mode: str, seq_length: int,
           settings: GenerationSettings | None) -> Trace:
    if not steps:
        raise ValueError("no steps to trace: give at least two characters or generate at least one")
    names = list(steps[0].internals)
    return Trace(
        inputs=[s.input_char for s in steps],
        outputs=[s.output_char for s in steps],
        from_prompt=np.array([s.from_prompt for s in steps], dtype=bool),
        probs=np.stack([s.probs for s in steps]).astype(np.float32),  # (T, V)
        internals={n: np.stack([s.internals[n] for s in steps]).astype(np.float32) for n in names},
        itos=tuple(itos), cell=cell, mode=mode, seq_length=seq_length, settings=settings,
    )


@torch.no_grad()
def trace_generation(model: CharRNN, vocab: Vocab, settings: GenerationSettings) -> Trace:
    """The model writes `settings.length` characters after reading `settings.prompt`."""
    settings.check(vocab)
    steps = list(generate_steps(model, vocab, settings.prompt, settings.length,
                                temperature=settings.temperature, top_k=settings.top_k_or_none,
                                seed=settings.seed, mode=settings.mode, show_k=1))
    return _stack(steps, vocab.itos, model.config.cell, settings.mode, model.config.seq_length, settings)


@torch.no_grad()
def trace_text(model: CharRNN, vocab: Vocab, text: str, mode: str = "stateful") -> Trace:
    """The model reads `text` (from a zero state); at step t it has read text[:t+1] and the next
    character is text[t+1]. Nothing is sampled: every next character is given."""
    if not isinstance(text, str) or len(text) < MIN_TEXT:
        raise ValueError(f"text must be at least {MIN_TEXT} characters, got {text!r}"[:120])
    if mode not in MODES:
        raise ValueError(f"mode must be 'stateful' or 'window', got {mode!r}")
    # Reading a text is generating with the whole text as the prompt and one character to write,
    # minus that last write: the same loop, so the two kinds of trace cannot drift apart.
    steps = list(generate_steps(model, vocab, text, 1, temperature=0.0, mode=mode, show_k=1))[:-1]
    return _stack(steps, vocab.itos, model.config.cell, mode, model.config.seq_length, None)
