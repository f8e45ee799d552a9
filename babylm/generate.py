"""Generation, one character at a time, as a generator of `Step` records.

Every character the model reads gives one record: first the prompt's own characters (so a viewer
sees memory build up over "me want "), then each sampled character but the last. A record holds
what was read, what came next, the model's full next-character distribution and, per layer, the
cell's internals (an LSTM's h, c and gates) after reading it. The app, the CLI, the trace and
`generate_text` all use this loop.

Two modes:
- "stateful": h and c are carried from character to character (how an RNN is meant to run);
- "window":   the seed's way: at every step re-read the last `seq_length` characters from a zero
              state, so nothing older than the window can be remembered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from .data import Vocab
from .model import CharLSTM, NumpyStep
from .sampling import Sampler, check_sampling, check_seed

MODES = ("stateful", "window")
MAX_LENGTH = 10_000
MAX_PROMPT = 2_000
DEFAULT_SHOW_K = 10
# One request's memory and time grow with steps x layers x units: every step keeps each layer's
# internals, and window mode re-reads up to seq_length characters per step. 3M unit-steps keep
# about 75 MB of LSTM internals; the seed's 2 x 128 model can still write MAX_LENGTH characters
# after a long prompt, the largest (3 x 1024) about 970 (measured: ~15 ms a step on one core).
MAX_UNIT_STEPS = 3_000_000
MAX_WINDOW_UNIT_STEPS = 40_000_000


@dataclass(frozen=True)
class Step:
    """What the model did on reading one character. Internals are (L, H) arrays by name, also
    reachable as attributes: `step.internals["c"][1]` is `step.c[1]`, layer 2's cell state."""

    t: int  # 0-based index of this step
    input_char: str  # the character just read
    output_char: str  # the next character: the prompt's own while reading it, then a sampled one
    from_prompt: bool  # True while output_char is the prompt's (not chosen by the model)
    prob: float  # the model's probability of output_char
    probs: np.ndarray  # (V,) the model's softmax at temperature 1
    top_k: list[tuple[str, float]]  # most likely next characters, best first
    internals: dict[str, np.ndarray]  # {name: (L, H)}: h and c and the gates for an LSTM

    def __getattr__(self, name: str) -> np.ndarray:
        internals = self.__dict__.get("internals") or {}
        if name in internals:
            return internals[name]
        raise AttributeError(f"this step has no {name!r}: its cell exposes {', '.join(internals)}")


def check_generation(vocab: Vocab, prompt: str, length: int, temperature: float,
                     top_k: int | None, mode: str, seed=None, config=None,
                     max_unit_steps: int = MAX_UNIT_STEPS) -> None:
    """Raise a ValueError naming the first bad argument. With the model's `config`, also refuse
    a generation whose steps x layers x units exceed `max_unit_steps` (see `check_work`)."""
    if not isinstance(prompt, str):
        raise ValueError(f"prompt must be text, got {type(prompt).__name__}")
    if prompt == "":
        raise ValueError("prompt is empty: type at least one character to start from")
    if len(prompt) > MAX_PROMPT:
        raise ValueError(f"prompt is too long ({len(prompt)} characters): the limit is {MAX_PROMPT}")
    vocab.encode(prompt)  # names any character the model has never seen
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= MAX_LENGTH:
        raise ValueError(f"length must be a whole number from 1 to {MAX_LENGTH:,}, got {length!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be 'stateful' or 'window', got {mode!r}")
    check_sampling(temperature, top_k, len(vocab))
    check_seed(seed)
    if config is not None:
        check_work(config, len(prompt) + length - 1, mode, max_unit_steps)


def check_work(config, n_steps: int, mode: str = "stateful", max_unit_steps: int = MAX_UNIT_STEPS,
               what: str = "this generation") -> None:
    """Refuse `n_steps` steps of a model too heavy for one request, saying the limit and how many
    characters this model can afford."""
    per_step = config.num_layers * config.hidden_size  # units computed and kept per character
    if n_steps * per_step > max_unit_steps:
        most = max(max_unit_steps // per_step, 1)
        raise ValueError(f"{what} is too large: {n_steps:,} steps x {config.num_layers} layers x "
                         f"{config.hidden_size} units = {n_steps * per_step:,} unit-steps, over the limit of "
                         f"{max_unit_steps:,}; with this model use at most {most:,} characters in all")
    reread = min(config.seq_length, n_steps) if mode == "window" else 1
    if n_steps * per_step * reread > MAX_WINDOW_UNIT_STEPS:
        most = max(MAX_WINDOW_UNIT_STEPS // (per_step * reread), 1)
        raise ValueError(f"{what} is too large in window mode: it re-reads {reread} characters at each of "
                         f"{n_steps:,} steps, {n_steps * per_step * reread:,} unit-steps over the limit of "
                         f"{MAX_WINDOW_UNIT_STEPS:,}; use at most {most:,} characters in all, or stateful mode")


@torch.no_grad()
def read_window(model: CharLSTM, ids: list[int]):
    """Read `ids` from a zero state; return the last step's logits and internals."""
    state = model.initial_state(1)
    for idx in ids:
        logits, state, internals = model.step(torch.tensor([idx], device=state[0].device), state)
    return logits, internals


def _read_window(step: NumpyStep, ids: list[int]):
    """read_window on the NumPy path: logits (V,) and internals {name: (L, H)}."""
    state = step.initial_state()
    for idx in ids:
        logits, state, internals = step(idx, state)
    return logits, internals


@torch.no_grad()
def generate_steps(model: CharLSTM, vocab: Vocab, prompt: str, length: int,
                   temperature: float = 1.0, top_k: int | None = None, seed: int | None = None,
                   mode: str = "stateful", show_k: int | None = None) -> Iterator[Step]:
    """Yield one `Step` per character read: len(prompt) + length - 1 records in all."""
    check_generation(vocab, prompt, length, temperature, top_k, mode, seed=seed, config=model.config)
    if show_k is not None and (isinstance(show_k, bool) or not isinstance(show_k, int) or show_k < 1):
        raise ValueError(f"show_k must be None or a whole number of at least 1, got {show_k!r}")
    show_k = min(show_k or top_k or DEFAULT_SHOW_K, len(vocab))
    sampler = Sampler(seed, len(vocab))
    step = NumpyStep.of(model)  # model.step's arithmetic in NumPy: this loop is torch-overhead bound
    ids = vocab.encode(prompt)
    n_steps = len(prompt) + length - 1
    state = step.initial_state()
    for t in range(n_steps):
        if mode == "stateful":
            logits, state, arrays = step(ids[t], state)  # (V,), ..., {name: (L, H)}
        else:
            logits, arrays = _read_window(step, ids[max(0, t + 1 - model.config.seq_length): t + 1])
        from_prompt = t + 1 < len(prompt)
        next_id = ids[t + 1] if from_prompt else sampler(logits, temperature, top_k)
        if not from_prompt:
            ids.append(next_id)
        probs = softmax(logits)  # (V,)
        best = (np.argmax(probs),) if show_k == 1 else np.argsort(-probs, kind="stable")[:show_k]  # ties: first
        yield Step(
            t=t,
            input_char=vocab.itos[ids[t]],
            output_char=vocab.itos[next_id],
            from_prompt=from_prompt,
            prob=float(probs[next_id]),
            probs=probs,
            top_k=[(vocab.itos[j], float(probs[j])) for j in best],
            internals=arrays,
        )


def softmax(logits: np.ndarray) -> np.ndarray:
    """(V,) float32 logits -> probabilities, float32 (computed in float64: no overflow)."""
    z = np.exp(logits.astype(np.float64) - logits.max())
    return (z / z.sum()).astype(np.float32)


def generate_text(model: CharLSTM, vocab: Vocab, prompt: str, length: int, **kwargs) -> str:
    """The prompt followed by `length` new characters."""
    steps = generate_steps(model, vocab, prompt, length, **kwargs)
    return prompt + "".join(step.output_char for step in steps if not step.from_prompt)
