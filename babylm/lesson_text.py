"""The small template language of lesson texts: numbers in a lesson come from the model when the
stop is shown, never typed into the file.

A placeholder is a function call in braces; everything else is plain text (`{{` and `}}` are
literal braces). Arguments are "double-quoted text" (with \\" \\\\ and \\n escapes), numbers,
or the bare word `unit` (the unit the stop highlights). Between a character and its context the
word `after` may stand for the comma, so `{p("o" after "me want c")}` reads like a sentence.

    p(CHAR after CONTEXT [, MODE])      the model's probability of CHAR next: "81.8%"
    p_sampled(CHAR after CONTEXT, TEMPERATURE [, TOP_K])   the chance sampling draws CHAR
                                        after temperature and top-k reshape the bars: "31.2%"
    top(CONTEXT [, K [, MODE]])         its K likeliest next characters (3): "c 24.5%, b 24.2%, m 13.0%"
    argmax_text(PROMPT, N [, MODE])     the N characters temperature 0 writes after PROMPT
    sample_text(PROMPT, N, TEMPERATURE, SEED [, TOP_K])   what sampling writes, seeded
    value(NAME, UNIT, TEXT)             an internal (c, h, f, ...) of a unit after reading TEXT: "-7.03"
    span(NAME, UNIT, PREFIX, TEXT)      its lowest and highest while reading TEXT after PREFIX: "0.97 to 1.00"
    unit()                              the highlighted unit, as the app names it: "layer 2, unit 69"
    size(NAME)                          the model's own size: "embedding_dim" (32), "hidden_size",
                                        "num_layers", "seq_length" (the window, 15), "vocab_size"

CONTEXT, PROMPT and TEXT are read from a zero state. MODE is "stateful" (carried memory, the
default) or "window" (the seed's last 15 characters only). UNIT is `unit` or "layer:unit" from 1.
A line break in generated text is shown as ⏎. Parsing checks names and arguments (so a typo
fails when the lesson is loaded); resolving needs a model. Nothing here is ever evaluated as code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import torch

from .data import Vocab
from .generate import MODES, generate_text, read_window
from .model import CharRNN
from .sampling import sampling_probs

NEWLINE_SHOWN = "⏎"
SIZES = ("embedding_dim", "hidden_size", "num_layers", "seq_length", "vocab_size")
MAX_ARG_TEXT = 500  # a context or prompt in a placeholder
MAX_ARG_LENGTH = 200  # characters a placeholder may generate


class UnitRef:
    """The bare word `unit`: the stop's own highlighted unit."""

    def __repr__(self) -> str:
        return "unit"

    def __reduce__(self):
        return "UNIT"  # one instance, even through pickle (`arg is UNIT` stays true)


UNIT = UnitRef()


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple  # str, int, float or UNIT


# Each function: (required argument kinds, optional argument kinds). Kinds: "char" (one
# character), "text", "mode", "count" (whole number >= 1), "temp" (number 0..2), "seed"
# (whole number >= 0), "name" (an internal's name), "unit" (`unit` or "L:N").
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "p": (("char", "text"), ("mode",)),
    "p_sampled": (("char", "text", "temp"), ("count",)),
    "top": (("text",), ("count", "mode")),
    "argmax_text": (("text", "count"), ("mode",)),
    "sample_text": (("text", "count", "temp", "seed"), ("count",)),
    "value": (("name", "unit", "text"), ()),
    "span": (("name", "unit", "text", "text"), ()),
    "unit": ((), ()),
    "size": (("size",), ()),
}

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_]\w*)'
                    r'|(?P<punct>[(),])|(?P<end>}))')
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n"}


def parse(text: str) -> tuple:
    """Split a lesson text into plain strings and `Call`s; a ValueError says what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"must be text, got {type(text).__name__}")
    parts, plain, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if text.startswith("{{", i) or text.startswith("}}", i):
            plain.append(ch)
            i += 2
        elif ch == "}":
            raise ValueError(f"a lone '}}' at character {i + 1}: write '}}}}' for a brace")
        elif ch == "{":
            call, i = _parse_call(text, i + 1)
            parts.append("".join(plain))
            plain = []
            parts.append(call)
        else:
            plain.append(ch)
            i += 1
    parts.append("".join(plain))
    return tuple(p for p in parts if p != "")


def _parse_call(text: str, i: int) -> tuple[Call, int]:
    start = i
    where = f"placeholder at character {start}"
    tokens = []
    while True:
        m = _TOKEN.match(text, i)
        if not m:
            rest = text[i:i + 20].strip() or "the end of the text"
            raise ValueError(f"{where}: cannot read {rest!r}; a placeholder looks like {{p(\"o\" after \"me want c\")}}")
        i = m.end()
        kind = m.lastgroup
        if kind == "end":
            break
        tokens.append((kind, m.group(kind)))
    if not tokens or tokens[0][0] != "word":
        raise ValueError(f"{where}: expected a function name such as p, top or argmax_text")
    name = tokens[0][1]
    if name not in SIGNATURES:
        raise ValueError(f"{where}: unknown function {name!r}; known: {', '.join(SIGNATURES)}")
    body = tokens[1:]
    if not body:
        body = [("punct", "("), ("punct", ")")]  # {unit} reads as {unit()}
    if body[0] != ("punct", "(") or body[-1] != ("punct", ")"):
        raise ValueError(f"{where}: write {name}(...) with its arguments in parentheses")
    args, expect_value = [], True
    for kind, raw in body[1:-1]:
        is_sep = (kind == "punct" and raw == ",") or (kind == "word" and raw == "after")
        if expect_value == is_sep:
            raise ValueError(f"{where}: {name}(...) has a misplaced {raw!r}; separate arguments with commas")
        expect_value = is_sep
        if is_sep:
            continue
        if kind == "str":
            args.append(_unquote(raw[1:-1]))
        elif kind == "num":
            args.append(float(raw) if "." in raw else int(raw))
        elif kind == "word" and raw == "unit":
            args.append(UNIT)
        else:
            raise ValueError(f"{where}: {raw!r} is not an argument; quote text like \"me want \"")
    if args and expect_value:
        raise ValueError(f"{where}: {name}(...) ends with a comma")
    call = Call(name, tuple(args))
    _check_args(call, where)
    return call, i


def _unquote(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def _check_args(call: Call, where: str) -> None:
    required, optional = SIGNATURES[call.name]
    n = len(call.args)
    if not len(required) <= n <= len(required) + len(optional):
        shown = ", ".join(list(required) + [f"[{o}]" for o in optional])
        raise ValueError(f"{where}: {call.name}({shown}) takes {len(required)}"
                         f"{f' to {len(required) + len(optional)}' if optional else ''} arguments, got {n}")
    for k, (kind, arg) in enumerate(zip(required + optional, call.args), 1):
        problem = _arg_problem(kind, arg)
        if problem:
            raise ValueError(f"{where}: argument {k} of {call.name}() {problem}, got {arg!r}")


def _arg_problem(kind: str, arg) -> str | None:
    whole = isinstance(arg, int)
    if kind == "char":
        return None if isinstance(arg, str) and len(arg) == 1 else "must be one character in quotes"
    if kind in ("text", "name"):
        if not isinstance(arg, str) or not arg:
            return "must be text in quotes"
        return None if len(arg) <= MAX_ARG_TEXT else f"must be at most {MAX_ARG_TEXT} characters"
    if kind == "mode":
        return None if arg in MODES else f"must be one of {', '.join(MODES)}"
    if kind == "count":
        return None if whole and 1 <= arg <= MAX_ARG_LENGTH else f"must be a whole number from 1 to {MAX_ARG_LENGTH}"
    if kind == "temp":
        return None if isinstance(arg, (int, float)) and 0 <= arg <= 2 else "must be a number from 0 to 2"
    if kind == "seed":
        return None if whole and arg >= 0 else "must be a whole number from 0"
    if kind == "size":
        return None if arg in SIZES else f"must be one of {', '.join(SIZES)}"
    if kind == "unit":
        return None if arg is UNIT or (isinstance(arg, str) and parse_unit(arg)) else \
            'must be unit or "layer:unit" like "2:69"'
    raise AssertionError(kind)


def parse_unit(text: str) -> tuple[int, int] | None:
    """"2:69" -> (2, 69), numbered from 1; None if it is not that shape."""
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text)
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        return None
    return int(m.group(1)), int(m.group(2))


def unit_label(unit: tuple[int, int]) -> str:
    return f"layer {unit[0]}, unit {unit[1]}"


# --- resolving: the model's own numbers --------------------------------------------------------
def percent(p: float) -> str:
    """A probability to 3 significant digits, as people read it: 81.8%, 13.0%, 0.412%. Rounding
    never claims certainty: 0.99997 is "over 99.9%" and 0.000004 "under 0.01%"; 0 is "0%"."""
    if p >= 0.9995:
        return "over 99.9%"
    if p == 0:
        return "0%"
    if p < 0.0001:
        return "under 0.01%"
    return f"{100 * p:#.3g}".rstrip(".") + "%"


def number(x: float) -> str:
    """A value to 3 significant digits, trailing zeros kept: -7.10, 0.970, 12.0."""
    return f"{x:#.3g}".rstrip(".")


def shown_text(text: str) -> str:
    return text.replace("\n", NEWLINE_SHOWN)


class Resolver:
    """Computes placeholders for one model; reads of the same text are computed once."""

    def __init__(self, model: CharRNN, vocab: Vocab):
        self.model, self.vocab = model, vocab
        self._read = lru_cache(maxsize=256)(self._read_uncached)
        self._logits = lru_cache(maxsize=256)(self._logits_uncached)
        self._handlers: dict[str, Callable] = {
            "p": self.p, "p_sampled": self.p_sampled, "top": self.top, "argmax_text": self.argmax_text,
            "sample_text": self.sample_text, "size": self.size,
            "value": self.value, "span": self.span,
        }

    def render(self, parts: tuple, unit: tuple[int, int] | None = None) -> str:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif part.name == "unit":
                out.append(unit_label(self._unit(UNIT, unit)))
            else:
                out.append(self._handlers[part.name](*part.args, current=unit))
        return "".join(out)

    # -- the model, read once per text
    @torch.no_grad()
    def _logits_uncached(self, context: str, mode: str) -> torch.Tensor:
        ids = self.vocab.encode(context)
        if mode == "window":
            ids = ids[-self.model.config.seq_length:]
        logits, _ = read_window(self.model, ids)  # (1, V)
        return logits[0]  # (V,)

    def _probs(self, context: str, mode: str) -> np.ndarray:
        return torch.softmax(self._logits(context, mode).float(), dim=-1).numpy()  # (V,)

    @torch.no_grad()
    def _read_uncached(self, text: str) -> dict[str, np.ndarray]:
        """{name: (N, L, H)}: every internal after each character of `text`, stateful."""
        state, rows = self.model.initial_state(1), []
        for idx in self.vocab.encode(text):
            _, state, internals = self.model.step(torch.tensor([idx]), state)
            rows.append({n: v[:, 0].numpy() for n, v in internals.items()})  # (L, H) each
        return {n: np.stack([r[n] for r in rows]) for n in rows[0]}

    def _unit(self, ref, current: tuple[int, int] | None) -> tuple[int, int]:
        unit = current if ref is UNIT else parse_unit(ref)
        if unit is None:
            raise ValueError("uses `unit` but the stop highlights no unit")
        L, H = self.model.config.num_layers, self.model.config.hidden_size
        if not (unit[0] <= L and unit[1] <= H):
            raise ValueError(f"unit {unit[0]}:{unit[1]} does not exist: this model has {L} layer(s) of {H} units")
        return unit

    def _internal(self, name: str, unit, text: str, current) -> np.ndarray:
        layer, n = self._unit(unit, current)
        internals = self._read(text)
        if name not in internals:
            raise ValueError(f"this model's cell has no {name!r}: it has {', '.join(internals)}")
        return internals[name][:, layer - 1, n - 1]  # (N,)

    # -- the functions
    def p(self, char: str, context: str, mode: str = "stateful", current=None) -> str:
        (j,) = self.vocab.encode(char)
        return percent(float(self._probs(context, mode)[j]))

    def p_sampled(self, char: str, context: str, temperature, top_k: int | None = None,
                  current=None) -> str:
        (j,) = self.vocab.encode(char)
        if top_k is not None and top_k > len(self.vocab):
            raise ValueError(f"top_k {top_k} is more than the model's {len(self.vocab)} characters")
        probs = sampling_probs(self._logits(context, "stateful"), float(temperature), top_k)  # (V,)
        return percent(float(probs[j]))

    def top(self, context: str, k: int = 3, mode: str = "stateful", current=None) -> str:
        probs = self._probs(context, mode)
        best = np.argsort(-probs, kind="stable")[:k]
        return ", ".join(f"{shown_text(self.vocab.itos[j]) if self.vocab.itos[j] != ' ' else 'space'} "
                         f"{percent(float(probs[j]))}" for j in best)

    def argmax_text(self, prompt: str, n: int, mode: str = "stateful", current=None) -> str:
        text = generate_text(self.model, self.vocab, prompt, n, temperature=0.0, mode=mode)
        return shown_text(text[len(prompt):])

    def sample_text(self, prompt: str, n: int, temperature, seed: int, top_k: int | None = None,
                    current=None) -> str:
        text = generate_text(self.model, self.vocab, prompt, n, temperature=float(temperature),
                             top_k=top_k, seed=seed)
        return shown_text(text[len(prompt):])

    def size(self, name: str, current=None) -> str:
        return str(getattr(self.model.config, name))

    def value(self, name: str, unit, text: str, current=None) -> str:
        return number(float(self._internal(name, unit, text, current)[-1]))

    def span(self, name: str, unit, prefix: str, text: str, current=None) -> str:
        values = self._internal(name, unit, prefix + text, current)[len(prefix):]  # (len(text),)
        return f"{float(values.min()):.2f} to {float(values.max()):.2f}"
