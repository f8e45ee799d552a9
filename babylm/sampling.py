"""Choosing the next character from logits: a pure function of logits, temperature, top-k and
an explicit `torch.Generator`, so the same seed always gives the same text."""

from __future__ import annotations

import numbers

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
    temperature and top-k. Temperature 0 puts everything on the argmax."""
    logits = logits.detach().float().cpu()
    if temperature == 0:
        return torch.nn.functional.one_hot(torch.argmax(logits), logits.numel()).float()
    # Shifted so the largest is 0 and in float64, so a tiny temperature cannot overflow to NaN.
    logits = (logits.double() - logits.max()) / temperature
    if top_k is not None and top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1).float()  # (V,)


def sample(logits: torch.Tensor, temperature: float, top_k: int | None,
           generator: torch.Generator) -> int:
    """logits (V,) -> one character id. Temperature 0 is greedy (argmax)."""
    if temperature == 0:
        return int(torch.argmax(logits.detach().float().cpu()))
    probs = sampling_probs(logits, temperature, top_k)  # (V,)
    return int(torch.multinomial(probs, 1, generator=generator))
