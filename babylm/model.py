"""The seed's network: Embedding -> stacked recurrent cells -> Dropout -> Linear, as a pure torch
module. The cell is the seed's LSTM by default; a GRU or a simple (tanh) RNN can take its place, so
a class can see why the LSTM remembers.

Two ways through it, computed from the same weights:
- `forward` reads a whole (B, T) batch with torch's own `nn.LSTM` / `nn.GRU` / `nn.RNN` (fast:
  training, scoring);
- `step` reads one character per sequence and recomputes every layer by hand, returning the
  cell's internals by name (the LSTM's h, c and four gates; the GRU's h, r, z, n; the RNN's h),
  so a viewer can see inside the cell. Tests hold the two equal.

This is the only file that knows which cell it is: everything downstream reads internals by name.
The model is pure: state in, state out. No sampling, printing or file I/O here.
"""

from __future__ import annotations

import numbers
import threading
import weakref
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_LAYERS = 3
MAX_HIDDEN = 1024
MAX_EMBEDDING = 512
CELLS = ("lstm", "gru", "rnn")
# What `step` exposes, per cell, in display order; the first is always the hidden state h.
INTERNAL_NAMES = {
    "lstm": ("h", "c", "i", "f", "g", "o"),  # hidden, cell state, input/forget gates, candidate, output gate
    "gru": ("h", "r", "z", "n"),  # hidden, reset gate, update gate, candidate
    "rnn": ("h",),  # the hidden state is all a simple RNN has
}
# What each internal is, for viewers: a short name, and the range its activation keeps it in
# (None: unbounded, like the LSTM's cell state, which adds up over time). The recurrent state
# (what `initial_state` carries) is listed by STATE_NAMES.
INTERNAL_INFO = {
    "h": ("hidden state", (-1.0, 1.0)),  # tanh (LSTM: o * tanh(c); GRU: a mix of two tanh values)
    "c": ("cell state", None),
    "i": ("input gate", (0.0, 1.0)),
    "f": ("forget gate", (0.0, 1.0)),
    "g": ("candidate", (-1.0, 1.0)),
    "o": ("output gate", (0.0, 1.0)),
    "r": ("reset gate", (0.0, 1.0)),
    "z": ("update gate", (0.0, 1.0)),
    "n": ("candidate", (-1.0, 1.0)),
}
STATE_NAMES = {"lstm": ("h", "c"), "gru": ("h",), "rnn": ("h",)}


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
    cell: str = "lstm"  # seed: LSTM; "gru" and "rnn" (tanh) show what the LSTM's memory buys

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
        checks.append((self.cell in CELLS, f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}"))
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_dict(self) -> dict:
        return asdict(self)


State = tuple  # the recurrent state: one (L, B, H) tensor per entry, (h, c) for an LSTM, (h,) otherwise


class CharRNN(nn.Module):
    """Character-level recurrent language model. `state_dict` keys are the plain torch names, under
    the cell's own name: embedding.weight, lstm.{weight_ih,weight_hh,bias_ih,bias_hh}_l{k} (or
    gru.*, rnn.*), head.weight, head.bias."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
        # torch's modules apply dropout between their layers; the seed also drops after the last one.
        kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[config.cell]
        extra = {"nonlinearity": "tanh"} if config.cell == "rnn" else {}
        setattr(self, config.cell, kind(
            config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            **extra,
        ))
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    @property
    def rnn(self) -> nn.Module:
        """The torch recurrent module (nn.LSTM, nn.GRU or nn.RNN), whatever the cell."""
        return self._modules[self.config.cell]

    @property
    def internal_names(self) -> tuple[str, ...]:
        return INTERNAL_NAMES[self.config.cell]

    def initial_state(self, batch_size: int = 1) -> State:
        """The zero state every sequence starts from (Keras' default too): (h, c) or (h,)."""
        weight = self.head.weight
        shape = (self.config.num_layers, batch_size, self.config.hidden_size)
        n = 2 if self.config.cell == "lstm" else 1
        return tuple(weight.new_zeros(shape) for _ in range(n))

    def forward(self, idx: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """idx (B, T) of character ids -> logits (B, T, V) and the state after the last step."""
        return self.forward_embedded(self.embedding(idx), state)  # embedding (B, T, E)

    def forward_embedded(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Embedded input x (B, T, E) -> logits (B, T, V) and the new state. Split from `forward`
        so attribution can take gradients with respect to the embedding vectors."""
        if self.config.cell == "lstm":
            out, new = self.rnn(x, None if state is None else tuple(state))  # out (B, T, H)
        else:
            out, h = self.rnn(x, None if state is None else state[0])  # h (L, B, H)
            new = (h,)
        logits = self.head(self.drop(out))  # (B, T, V)
        return logits, tuple(new)

    def step(self, idx: torch.Tensor, state: State) -> tuple[torch.Tensor, State, dict[str, torch.Tensor]]:
        """Read one character per sequence, layer by layer, exposing the cell's internals.

        idx (B,) -> logits (B, V), the new state, and {name: (L, B, H)} for `internal_names`.
        This is the inference path: dropout is not applied (as in `eval()` mode).
        """
        x = self.embedding(idx)  # (B, E)
        per_layer = []
        for k in range(self.config.num_layers):
            w_ih = getattr(self.rnn, f"weight_ih_l{k}")  # (G*H, E or H)
            w_hh = getattr(self.rnn, f"weight_hh_l{k}")  # (G*H, H)
            b_ih = getattr(self.rnn, f"bias_ih_l{k}")  # (G*H,)
            b_hh = getattr(self.rnn, f"bias_hh_l{k}")  # (G*H,)
            h_prev = state[0][k]  # (B, H)
            if self.config.cell == "lstm":
                pre = F.linear(x, w_ih, b_ih) + F.linear(h_prev, w_hh, b_hh)  # (B, 4H)
                # PyTorch's gate order along the 4H axis: input, forget, cell candidate, output.
                i, f, g, o = pre.chunk(4, dim=-1)  # each (B, H)
                i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                c = f * state[1][k] + i * g  # (B, H)
                h = o * torch.tanh(c)  # (B, H)
                values = dict(h=h, c=c, i=i, f=f, g=g, o=o)
            elif self.config.cell == "gru":
                # PyTorch's order along the 3H axis: reset, update, new; the reset gate scales the
                # recurrent part of the candidate including its bias.
                x_r, x_z, x_n = F.linear(x, w_ih, b_ih).chunk(3, dim=-1)  # each (B, H)
                h_r, h_z, h_n = F.linear(h_prev, w_hh, b_hh).chunk(3, dim=-1)
                r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
                n = torch.tanh(x_n + r * h_n)
                h = (1 - z) * n + z * h_prev  # (B, H)
                values = dict(h=h, r=r, z=z, n=n)
            else:
                h = torch.tanh(F.linear(x, w_ih, b_ih) + F.linear(h_prev, w_hh, b_hh))  # (B, H)
                values = dict(h=h)
            per_layer.append(values)
            x = h
        logits = self.head(x)  # (B, V)
        internals = {name: torch.stack([v[name] for v in per_layer]) for name in self.internal_names}  # (L, B, H)
        new_state = (internals["h"], internals["c"]) if self.config.cell == "lstm" else (internals["h"],)
        return logits, new_state, internals

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


CharLSTM = CharRNN  # the name the seed's readers and older code use


class NumpyStep:
    """`CharRNN.step` for one sequence, in NumPy float32: the same arithmetic without torch's
    per-call overhead, which dominates at this size (the seed's 2 x 128 LSTM: ~27 us a step
    against ~140 us). Generation's step loop uses it; `step` stays the reference, and the tests
    hold the two equal (and to torch's nn.LSTM / nn.GRU / nn.RNN).

    Built from the model's weights at construction. `NumpyStep.of(model)` keeps one per model
    and builds a new one when any weight has changed in place since (training, loading).
    """

    _cache: "weakref.WeakKeyDictionary[CharRNN, tuple[tuple, NumpyStep]]" = weakref.WeakKeyDictionary()
    _cache_lock = threading.Lock()

    @classmethod
    def of(cls, model: CharRNN) -> "NumpyStep":
        """The model's NumpyStep, rebuilt only when a weight changed (torch counts every in-place
        change of a tensor in `_version`; a replaced tensor has a new address), so a class's generations share one copy of the weights."""
        version = tuple((p.data_ptr(), p._version) for p in model.parameters())
        with cls._cache_lock:
            hit = cls._cache.get(model)
        if hit is not None and hit[0] == version:
            return hit[1]
        step = cls(model)
        with cls._cache_lock:
            cls._cache[model] = (version, step)
        return step

    def __init__(self, model: CharRNN):
        self.cell = model.config.cell
        self.names = model.internal_names
        self.hidden = model.config.hidden_size
        as_np = lambda t: t.detach().float().cpu().numpy()  # noqa: E731
        rnn = model.rnn
        self.layers = []
        for k in range(model.config.num_layers):
            w_ih, w_hh = as_np(getattr(rnn, f"weight_ih_l{k}")), as_np(getattr(rnn, f"weight_hh_l{k}"))
            b_ih, b_hh = as_np(getattr(rnn, f"bias_ih_l{k}")), as_np(getattr(rnn, f"bias_hh_l{k}"))
            self.layers.append((w_ih.T.copy(), w_hh.T.copy(), b_ih, b_hh))  # (in, G*H), (H, G*H), (G*H,)
        # Layer 1's input part for every character at once: a lookup instead of a product.
        w_ih0, _, b_ih0, _ = self.layers[0]
        self.x0 = as_np(model.embedding.weight) @ w_ih0 + b_ih0  # (V, G*H)
        self.head_w, self.head_b = as_np(model.head.weight).T.copy(), as_np(model.head.bias)  # (H, V), (V,)
        if self.cell == "lstm":
            self._fuse_lstm()

    def _fuse_lstm(self) -> None:
        """The LSTM's weights arranged for `_lstm`: each gate's pre-activation comes out already
        halved where a sigmoid follows (i, f, o), so one tanh over all four gates gives
        sigmoid(z) = (1 + tanh(z / 2)) / 2 for those and tanh(z) for g. Halving is exact in
        float32; both biases are summed once."""
        H = self.hidden
        half = np.full(4 * H, 0.5, np.float32)
        half[2 * H:3 * H] = 1.0  # g keeps its scale
        self._gate_mul = half.copy()  # tanh -> gate: i, f, o map t to t / 2 + 1 / 2; g stays t
        self._gate_add = np.where(half == 0.5, 0.5, 0.0).astype(np.float32)
        self._fused = []
        for k, (w_ih, w_hh, b_ih, b_hh) in enumerate(self.layers):
            bias = (b_ih + b_hh) * half
            if k == 0:  # the input part is a lookup: fold both biases into it
                self._x0_half = (self.x0 + b_hh) * half  # (V, 4H)
                bias = None
            self._fused.append((w_ih * half, w_hh * half, bias))

    def _lstm(self, idx: int, state: tuple[np.ndarray, ...]):
        """The LSTM step, writing each layer's h, c, i, f, g, o straight into one (L, 6, H) array
        (i, f, g, o contiguous, in torch's gate order): about half the NumPy calls of the
        general path."""
        H, h_prev, c_prev = self.hidden, state[0], state[1]
        out = np.empty((len(self.layers), 6, H), np.float32)
        x = None
        for k, (w_ih, w_hh, bias) in enumerate(self._fused):
            pre = h_prev[k] @ w_hh  # (4H,)
            if k == 0:
                pre += self._x0_half[idx]
            else:
                pre += x @ w_ih
                pre += bias
            gates = out[k, 2:].reshape(4 * H)  # a view: i, f, g, o
            np.tanh(pre, out=gates)
            gates *= self._gate_mul
            gates += self._gate_add
            i, f, g, o = out[k, 2], out[k, 3], out[k, 4], out[k, 5]
            c, h = out[k, 1], out[k, 0]
            np.multiply(f, c_prev[k], out=c)
            c += i * g  # c = f * c + i * g
            np.tanh(c, out=h)
            h *= o  # h = o * tanh(c)
            x = h
        logits = x @ self.head_w + self.head_b  # (V,)
        internals = {name: out[:, n] for n, name in enumerate(self.names)}  # {name: (L, H)}
        return logits, (out[:, 0], out[:, 1]), internals

    def initial_state(self) -> tuple[np.ndarray, ...]:
        """Zeros: (h, c) for an LSTM, (h,) otherwise, each (L, H)."""
        shape = (len(self.layers), self.hidden)
        return tuple(np.zeros(shape, np.float32) for _ in range(2 if self.cell == "lstm" else 1))

    def __call__(self, idx: int, state: tuple[np.ndarray, ...]
                 ) -> tuple[np.ndarray, tuple[np.ndarray, ...], dict[str, np.ndarray]]:
        """Read character `idx`: logits (V,), the new state, and {name: (L, H)} internals."""
        if self.cell == "lstm":
            return self._lstm(idx, state)
        H = self.hidden
        out = np.empty((len(self.names), len(self.layers), H), np.float32)  # internals, in order
        x = None
        for k, (w_ih, w_hh, b_ih, b_hh) in enumerate(self.layers):
            x_part = self.x0[idx] if k == 0 else x @ w_ih + b_ih  # (G*H,)
            h_part = state[0][k] @ w_hh + b_hh  # (G*H,)
            if self.cell == "gru":
                rz = _sigmoid(x_part[:2 * H] + h_part[:2 * H])  # r, z
                n = np.tanh(x_part[2 * H:] + rz[:H] * h_part[2 * H:])
                z = rz[H:]
                h = (1 - z) * n + z * state[0][k]
                out[:, k] = (h, rz[:H], z, n)  # h, r, z, n
            else:
                h = np.tanh(x_part + h_part)
                out[0, k] = h
            x = h
        logits = x @ self.head_w + self.head_b  # (V,)
        internals = dict(zip(self.names, out))  # {name: (L, H)}
        return logits, (out[0],), internals


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # never overflows, unlike 1 / (1 + exp(-x))
