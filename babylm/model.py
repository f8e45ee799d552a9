"""The seed's network: Embedding -> stacked LSTM -> Dropout -> Linear, as a pure torch module.

Two ways through it, computed from the same weights:
- `forward` reads a whole (B, T) batch with torch's own `nn.LSTM` (fast: training, scoring);
- `step` reads one character per sequence and recomputes every layer by hand, returning the
  four gate activations as well, so a viewer can see inside the cell. Tests hold the two equal.

The model is pure: state in, state out. No sampling, printing or file I/O here.
"""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_LAYERS = 3
MAX_HIDDEN = 1024
MAX_EMBEDDING = 512


def check_types(config, whole: tuple[str, ...], real: tuple[str, ...] = ()) -> None:
    """A ValueError for a setting of the wrong type, before a range check fails with a TypeError."""
    for name in whole + real:
        value = getattr(config, name)
        kind, word = (numbers.Integral, "a whole number") if name in whole else (numbers.Real, "a number")
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ValueError(f"{name} must be {word}, got {value!r}")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the network. Defaults are the seed's Keras model."""

    vocab_size: int
    embedding_dim: int = 32  # seed: Embedding(output_dim=32)
    hidden_size: int = 128  # seed: LSTM(128), each layer
    num_layers: int = 2  # seed: two stacked LSTMs; 1 to 3 allowed
    dropout: float = 0.2  # seed: Dropout(0.2) after each LSTM
    seq_length: int = 15  # seed: SEQ_LENGTH, the context window of "window" mode

    def __post_init__(self):
        check_types(self, ("vocab_size", "embedding_dim", "hidden_size", "num_layers", "seq_length"),
                    ("dropout",))
        checks = [
            (2 <= self.vocab_size <= 100_000, f"vocab_size must be at least 2, got {self.vocab_size}"),
            (1 <= self.embedding_dim <= MAX_EMBEDDING,
             f"embedding_dim must be 1..{MAX_EMBEDDING}, got {self.embedding_dim}"),
            (1 <= self.hidden_size <= MAX_HIDDEN, f"hidden_size must be 1..{MAX_HIDDEN}, got {self.hidden_size}"),
            (1 <= self.num_layers <= MAX_LAYERS, f"num_layers must be 1..{MAX_LAYERS}, got {self.num_layers}"),
            (0.0 <= self.dropout < 1.0, f"dropout must be in [0, 1), got {self.dropout}"),
            (1 <= self.seq_length <= 1000, f"seq_length must be 1..1000, got {self.seq_length}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_dict(self) -> dict:
        return asdict(self)


class State(NamedTuple):
    """Recurrent state of every layer, as `nn.LSTM` takes it."""

    h: torch.Tensor  # (L, B, H)
    c: torch.Tensor  # (L, B, H)


class Internals(NamedTuple):
    """Everything one step computed, per layer; gates are after their sigmoid / tanh."""

    h: torch.Tensor  # (L, B, H) hidden state after this step
    c: torch.Tensor  # (L, B, H) cell state after this step
    i: torch.Tensor  # (L, B, H) input gate
    f: torch.Tensor  # (L, B, H) forget gate
    g: torch.Tensor  # (L, B, H) candidate cell values
    o: torch.Tensor  # (L, B, H) output gate


class CharLSTM(nn.Module):
    """Character-level LSTM language model. `state_dict` keys are the plain torch names:
    embedding.weight, lstm.{weight_ih,weight_hh,bias_ih,bias_hh}_l{k}, head.weight, head.bias."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
        # nn.LSTM applies dropout between its layers; the seed also drops after the last one.
        self.lstm = nn.LSTM(
            config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def initial_state(self, batch_size: int = 1) -> State:
        """The zero state every sequence starts from (Keras' default too)."""
        weight = self.head.weight
        shape = (self.config.num_layers, batch_size, self.config.hidden_size)
        return State(weight.new_zeros(shape), weight.new_zeros(shape))

    def forward(self, idx: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """idx (B, T) of character ids -> logits (B, T, V) and the state after the last step."""
        x = self.embedding(idx)  # (B, T, E)
        out, (h, c) = self.lstm(x, state)  # out (B, T, H); h, c (L, B, H)
        logits = self.head(self.drop(out))  # (B, T, V)
        return logits, State(h, c)

    def step(self, idx: torch.Tensor, state: State) -> tuple[torch.Tensor, Internals]:
        """Read one character per sequence, layer by layer, exposing the gates.

        idx (B,) -> logits (B, V) and Internals whose h, c are the new state. This is the
        inference path: dropout is not applied (as in `eval()` mode).
        """
        x = self.embedding(idx)  # (B, E)
        hs, cs, gates = [], [], []
        for k in range(self.config.num_layers):
            w_ih = getattr(self.lstm, f"weight_ih_l{k}")  # (4H, E or H)
            w_hh = getattr(self.lstm, f"weight_hh_l{k}")  # (4H, H)
            b = getattr(self.lstm, f"bias_ih_l{k}") + getattr(self.lstm, f"bias_hh_l{k}")  # (4H,)
            pre = F.linear(x, w_ih) + F.linear(state.h[k], w_hh) + b  # (B, 4H)
            # PyTorch's gate order along the 4H axis: input, forget, cell candidate, output.
            i, f, g, o = pre.chunk(4, dim=-1)  # each (B, H)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * state.c[k] + i * g  # (B, H)
            h = o * torch.tanh(c)  # (B, H)
            hs.append(h)
            cs.append(c)
            gates.append((i, f, g, o))
            x = h
        logits = self.head(x)  # (B, V)
        stack = lambda j: torch.stack([gate[j] for gate in gates])  # noqa: E731  (L, B, H)
        internals = Internals(torch.stack(hs), torch.stack(cs), stack(0), stack(1), stack(2), stack(3))
        return logits, internals

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
