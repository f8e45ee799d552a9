"""Choosing the next character from logits: a pure function of logits, temperature, top-k and
an explicit `torch.Generator`, so the same seed always gives the same text.

`Sampler` is what generation uses: the same draws as `torch.multinomial(probs, 1, generator)`,
draw for draw, at a third of the cost. For one sample torch draws q ~ Exp(1) per character and
takes argmax(p / q) (the exponential form of the Gumbel-max trick); the sampler asks the same
generator for the same exponentials into a reused buffer and does the rest in NumPy. `sample`
is the reference it is tested against.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

MAX_TORCH_SEED = 2**64 - 1


def check_sampling(temperature: float, top_k: int | None, vocab_size: int) -> None:
    """Raise a ValueError for a temperature or top-k that sampling cannot use."""
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or temperature != temperature:
        raise ValueError(f"temperature must be a number from 0 to 100, got {temperature!r}")
    if temperature < 0:
        raise ValueError(f"temperature must be 0 (greedy) or more, got {temperature}")
    if temperature > 100:
        raise ValueError(f"temperature must be at most 100, got {temperature}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                              or not 1 <= top_k <= vocab_size):
        raise ValueError(f"top_k must be None or 1..{vocab_size} (the vocabulary size), got {top_k!r}")


def check_seed(seed) -> None:
    """None (a fresh seed) or a whole number torch.Generator takes; never rounded or wrapped."""
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= MAX_TORCH_SEED:
        shown = repr(seed) if len(repr(seed)) <= 40 else repr(seed)[:39] + "…"
        raise ValueError(f"seed must be None or a whole number from 0 to 2**64 - 1, got {shown}")


def make_generator(seed: int | None) -> torch.Generator:
    check_seed(seed)
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(int(seed))
    return generator


def sampling_probs(logits: torch.Tensor, temperature: float, top_k: int | None) -> torch.Tensor:
    """logits (V,) -> (V,) float32: the distribution a character is actually drawn from, after
    temperature and top-k. Temperature 0 puts everything on the argmax. (`sampling_probs_np`
    for a tensor.)"""
    return torch.from_numpy(sampling_probs_np(logits.detach().float().cpu().numpy(), temperature, top_k))


def sampling_probs_np(logits: np.ndarray, temperature: float, top_k: int | None) -> np.ndarray:
    """logits (V,) -> (V,) float32: the distribution a character is drawn from, after
    temperature and top-k; temperature 0 puts everything on the argmax. Shifted so the largest
    is 0 and in float64, so a tiny temperature cannot overflow to NaN."""
    if temperature == 0:
        probs = np.zeros(logits.shape[0], np.float32)
        probs[int(np.argmax(logits))] = 1.0
        return probs
    with np.errstate(over="ignore"):  # a tiny temperature sends all but the largest to -inf, as in torch
        z = (logits.astype(np.float64) - logits.max()) / temperature
    if top_k is not None and top_k < z.shape[0]:
        kth = np.partition(z, -top_k)[-top_k]  # the k-th largest, as torch.topk(...).values[-1]
        z = np.where(z < kth, -np.inf, z)
    e = np.exp(z - z.max())
    return (e / e.sum()).astype(np.float32)


class Sampler:
    """Draws character ids from logits with one seeded generator: `Sampler(seed)(logits, T, k)`.
    Same ids as `sample` with `make_generator(seed)`, call for call."""

    def __init__(self, seed: int | None, vocab_size: int):
        self.generator = make_generator(seed)
        self._q = torch.empty(vocab_size, dtype=torch.float32)  # what multinomial would allocate

    def __call__(self, logits: np.ndarray, temperature: float, top_k: int | None) -> int:
        """logits (V,) float32 -> one character id. Temperature 0 is greedy and draws nothing."""
        if temperature == 0:
            return int(np.argmax(logits))
        probs = sampling_probs_np(logits, temperature, top_k)  # (V,)
        q = self._q.exponential_(1, generator=self.generator).numpy()  # (V,) ~ Exp(1)
        return int(np.argmax(probs / q))


def sample(logits: torch.Tensor, temperature: float, top_k: int | None,
           generator: torch.Generator) -> int:
    """logits (V,) -> one character id. Temperature 0 is greedy (argmax)."""
    if temperature == 0:
        return int(torch.argmax(logits.detach().float().cpu()))
    probs = sampling_probs(logits, temperature, top_k)  # (V,)
    return int(torch.multinomial(probs, 1, generator=generator))
