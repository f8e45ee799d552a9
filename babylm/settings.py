"""What one generation is asked to do, as one frozen dataclass shared by every front end.

The API, the CLI, the app's cache keys, lesson stops and shareable links all describe a generation
with `GenerationSettings`. A link carries it as query parameters (`to_query` / `from_query`):
`?prompt=me+love+&length=60&temperature=0&top_k=0&seed=3&mode=stateful`. Reading a link never
raises: a value that does not fit falls back to its default with a one-line notice.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Mapping

from .data import Vocab
from .generate import MAX_LENGTH, MAX_PROMPT, MODES, check_generation

MAX_SEED = 2**31 - 1  # torch.Generator takes any 64-bit seed; this keeps links and number boxes tidy


@dataclass(frozen=True)
class GenerationSettings:
    """One generation: what to read first, how much to write and how to choose each character."""

    prompt: str = "me want "  # read first, character by character; spaces count
    length: int = 60  # new characters to write after the prompt
    temperature: float = 0.8  # 0 always takes the likeliest character; higher is more adventurous
    top_k: int = 0  # sample among the k likeliest only; 0 means all
    seed: int | None = 7  # same seed, same text; None draws a fresh one
    mode: str = "stateful"  # "stateful" carries memory; "window" re-reads the seed's last 15 characters

    def check(self, vocab: Vocab, max_length: int = MAX_LENGTH) -> "GenerationSettings":
        """Return self if a model with `vocab` can run these settings, else a ValueError naming
        the first bad one."""
        if isinstance(self.length, int) and not isinstance(self.length, bool) and self.length > max_length:
            raise ValueError(f"length must be a whole number from 1 to {max_length:,}, got {self.length!r}")
        check_seed(self.seed)
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 0:
            raise ValueError(f"top_k must be a whole number, 0 for all characters, got {self.top_k!r}")
        if self.top_k > len(vocab):
            raise ValueError(f"top_k must be 0 (all characters) to {len(vocab)}, this model's number of "
                             f"characters; got {self.top_k:,}")
        check_generation(vocab, self.prompt, self.length, self.temperature, self.top_k or None, self.mode)
        return self

    @property
    def top_k_or_none(self) -> int | None:
        return self.top_k or None

    def to_query(self) -> dict[str, str]:
        """The settings as URL query parameters (strings)."""
        out = {}
        for name, value in asdict(self).items():
            if value is None:
                continue
            out[name] = f"{value:g}" if isinstance(value, float) else str(value)
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, object], base: "GenerationSettings | None" = None,
                   max_length: int = MAX_LENGTH) -> tuple["GenerationSettings", list[str]]:
        """Settings from URL query parameters over `base` (the defaults): unknown parameters are
        left for others to read; a bad value keeps the base value and adds a notice. An app
        with a lower length limit than the core's passes it, so the notice gives its range."""
        settings, notices = base or cls(), []
        parsers = dict(_PARSERS, length=_whole(1, max_length))
        for f in fields(cls):
            if f.name not in query:
                continue
            raw = query[f.name]
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            try:
                value = parsers[f.name](str(raw))
            except ValueError as err:
                notices.append(f"Ignored {f.name}={str(raw)[:40]!r} in the link: {err}.")
                continue
            settings = replace(settings, **{f.name: value})
        return settings, notices


def check_seed(seed) -> None:
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED:,} (or None), got {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED:,}, got {seed!r}")


def _whole(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"must be a whole number from {lo:,} to {hi:,}") from None
        if not lo <= value <= hi:
            raise ValueError(f"must be a whole number from {lo:,} to {hi:,}")
        return value
    return parse


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("must be a number from 0 to 2") from None
    if not math.isfinite(value) or not 0 <= value <= 2:
        raise ValueError("must be a number from 0 to 2")
    return value


def _prompt(text: str) -> str:
    if not text or len(text) > MAX_PROMPT:
        raise ValueError(f"must be 1 to {MAX_PROMPT:,} characters")
    return text


def _mode(text: str) -> str:
    if text not in MODES:
        raise ValueError(f"must be one of {', '.join(MODES)}")
    return text


_PARSERS = {"prompt": _prompt, "length": _whole(1, MAX_LENGTH), "temperature": _temperature,
            "top_k": _whole(0, 256), "seed": _whole(0, MAX_SEED), "mode": _mode}
