"""Lessons as data: a lesson is a TOML file in assets/lessons/, a guided walk through the player.

A teacher adds a lesson by dropping a file there (the README's "Lessons" section has the format).
Each file becomes a frozen `Lesson`: a title, a summary and ordered `Stop`s. A stop says which
generation to show (`GenerationSettings`), which step (numbered from 1, as the player's "step N
of M" counter), what to point at (a panel, a unit, a character of the text), a short text and
optionally a question. Texts quote the model's numbers only through placeholders
(`{p("o" after "me want c")}`, see lesson_text.py), computed by `show_stop` from the model the
viewer has: nothing typed into a file can go stale when the model is retrained.

A broken file is a ValueError naming the file and the bad field ("me-want-cookie.toml: stop 3:
unit: ..."). Loading needs no model; `show_stop` needs one. No streamlit here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .data import ASSETS, Vocab
from .generate import MAX_LENGTH
from .lesson_text import Resolver, parse, parse_unit
from .model import CharRNN
from .settings import GenerationSettings

LESSONS_DIR = ASSETS / "lessons"
# What a stop may point at: the player's panels. Internals (h, c and the gates) are named as the
# model names them, so a gate panel makes the player show its gates.
PANELS = ("text", "bars", "history", "h", "c", "i", "f", "g", "o", "r", "z", "n")
MAX_TEXT = 1_200  # characters of a stop's text: a stop is read aloud, not a chapter
MAX_STOPS = 40
LESSON_KEYS = {"title", "summary", "order", "settings", "stop"}
STOP_KEYS = {"step", "settings", "panel", "unit", "char", "text", "question", "sampling", "quiz"}
_SETTING_TYPES = {"prompt": (str,), "length": (int,), "temperature": (int, float), "top_k": (int,),
                  "seed": (int,), "mode": (str,)}


@dataclass(frozen=True)
class Stop:
    """One place in a lesson: a generation, a step in it, what to look at and what to say."""

    settings: GenerationSettings  # the generation the player shows
    step: int  # numbered from 1, as the player's counter: the model has just read character `step`
    text: tuple  # parsed text: plain strings and placeholders (lesson_text.Call)
    question: tuple | None = None  # parsed, like text; None: no question at this stop
    panel: str | None = None  # one of PANELS to point at
    unit: str | None = None  # "layer:unit" from 1, or "contrast:PROMPT_A|PROMPT_B|CONTINUATION[|STATE]"
    char: int | None = None  # a character of the text to point at, numbered from 1
    sampling: bool | None = None  # show what the next character is drawn from; None: as it was
    quiz: bool | None = None  # predict, then reveal; None: as it was

    @property
    def t(self) -> int:
        """The step as a 0-based array index."""
        return self.step - 1


@dataclass(frozen=True)
class Lesson:
    name: str  # the file's name without .toml: what a link says (lesson=me-want-cookie)
    title: str
    summary: str
    stops: tuple[Stop, ...]
    order: int = 100  # lessons are listed by order, then title


@dataclass(frozen=True)
class ShownStop:
    """A stop with its numbers computed from one model: what a page shows and the player gets."""

    number: int  # from 1
    total: int
    settings: GenerationSettings
    step: int  # from 1
    text: str
    question: str | None
    panel: str | None
    unit: tuple[int, int] | None  # (layer, unit) from 1, resolved
    char: int | None
    sampling: bool | None = None
    quiz: bool | None = None

    @property
    def counter(self) -> str:
        return f"stop {self.number} of {self.total}"


# --- loading -------------------------------------------------------------------------------
def load_lesson(path: str | Path) -> Lesson:
    """Read and check one lesson file; a ValueError names the file and the bad field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path.name}: no such lesson file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path.name}: not valid TOML: {err}") from None
    try:
        return _lesson(path.stem, data)
    except ValueError as err:
        raise ValueError(f"{path.name}: {err}") from None


def load_lessons(folder: str | Path = LESSONS_DIR) -> list[Lesson]:
    """Every lesson in `folder`, in order. One broken file raises, naming it."""
    lessons = [load_lesson(p) for p in sorted(Path(folder).glob("*.toml"))]
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.title))


def _lesson(name: str, data: dict) -> Lesson:
    _no_unknown(data, LESSON_KEYS, "")
    title = _text_field(data, "title", required=True, limit=120)
    summary = _text_field(data, "summary", required=False, limit=400) or ""
    order = data.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int):
        raise ValueError(f"order: must be a whole number, got {order!r}")
    base = _settings(data.get("settings", {}), GenerationSettings(), "settings")
    raw_stops = data.get("stop")
    if not isinstance(raw_stops, list) or not raw_stops:
        raise ValueError("stop: a lesson needs at least one [[stop]]")
    if len(raw_stops) > MAX_STOPS:
        raise ValueError(f"stop: at most {MAX_STOPS} stops, got {len(raw_stops)}")
    stops = tuple(_stop(raw, base, n) for n, raw in enumerate(raw_stops, 1))
    return Lesson(name=name, title=title, summary=summary, stops=stops, order=order)


def _stop(raw, base: GenerationSettings, n: int) -> Stop:
    where = f"stop {n}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a [[stop]] table")
    _no_unknown(raw, STOP_KEYS, where + ": ")
    settings = _settings(raw.get("settings", {}), base, f"{where}: settings")
    steps = len(settings.prompt) + settings.length - 1
    step = raw.get("step", 1)
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= steps:
        raise ValueError(f"{where}: step: must be a whole number from 1 to {steps} "
                         f"(this generation's steps), got {step!r}")
    panel = raw.get("panel")
    if panel is not None and panel not in PANELS:
        raise ValueError(f"{where}: panel: must be one of {', '.join(PANELS)}, got {panel!r}")
    unit = raw.get("unit")
    if unit is not None:
        problem = _unit_problem(unit)
        if problem:
            raise ValueError(f"{where}: unit: {problem}, got {unit!r}")
    char = raw.get("char")
    if char is not None and (isinstance(char, bool) or not isinstance(char, int)
                             or not 1 <= char <= steps + 1):
        raise ValueError(f"{where}: char: must be a whole number from 1 to {steps + 1} "
                         f"(a character of the text), got {char!r}")
    for key in ("sampling", "quiz"):
        if key in raw and not isinstance(raw[key], bool):
            raise ValueError(f"{where}: {key}: must be true or false, got {raw[key]!r}")
    text = _parsed(raw, "text", where, required=True)
    question = _parsed(raw, "question", where, required=False)
    return Stop(settings=settings, step=step, text=text, question=question, panel=panel,
                unit=unit, char=char, sampling=raw.get("sampling"), quiz=raw.get("quiz"))


def _parsed(raw: dict, key: str, where: str, required: bool) -> tuple | None:
    value = _text_field(raw, key, required=required, limit=MAX_TEXT, where=where + ": ")
    if value is None:
        return None
    try:
        return parse(value.strip())
    except ValueError as err:
        raise ValueError(f"{where}: {key}: {err}") from None


def _text_field(data: dict, key: str, required: bool, limit: int, where: str = "") -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ValueError(f"{where}{key}: missing; every {'stop' if where else 'lesson'} needs one")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}{key}: must be text in quotes, got {value!r}"[:160])
    if len(value) > limit:
        raise ValueError(f"{where}{key}: at most {limit} characters, got {len(value)}")
    return value


def _no_unknown(data: dict, known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{where}{unknown[0]}: not a field here; known fields: {', '.join(sorted(known))}")


def _settings(raw, base: GenerationSettings, where: str) -> GenerationSettings:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a table like {{ prompt = \"me want \", temperature = 0 }}")
    for key, value in raw.items():
        if key not in _SETTING_TYPES:
            raise ValueError(f"{where}: {key}: not a generation setting; known: {', '.join(_SETTING_TYPES)}")
        if isinstance(value, bool) or not isinstance(value, _SETTING_TYPES[key]):
            raise ValueError(f"{where}: {key}: wrong type, got {value!r}")
    # The same checks as a link: GenerationSettings.from_query knows every range.
    query = {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in raw.items()}
    settings, notices = GenerationSettings.from_query(query, base)
    if notices:
        key = next(k for k in raw if f"Ignored {k}=" in notices[0])
        raise ValueError(f"{where}: {key}: {notices[0].split(': ', 1)[1].rstrip('.')}")
    if settings.length > MAX_LENGTH:
        raise ValueError(f"{where}: length: at most {MAX_LENGTH}")
    return settings


def _unit_problem(unit) -> str | None:
    if not isinstance(unit, str):
        return 'must be text like "2:69" or "contrast:me want |me love |cookie"'
    if unit.startswith("contrast:"):
        parts = unit[len("contrast:"):].split("|")
        if len(parts) not in (3, 4) or not all(parts[:3]):
            return 'must be "contrast:PROMPT_A|PROMPT_B|CONTINUATION" with an optional "|STATE" (c, h, ...)'
        return None
    return None if parse_unit(unit) else 'must be "layer:unit" numbered from 1, like "2:69", or "contrast:..."'


def find(name: str, lessons: list[Lesson] | None = None) -> Lesson:
    """The lesson a link names; a ValueError lists the ones there are."""
    lessons = load_lessons() if lessons is None else lessons
    for lesson in lessons:
        if lesson.name == name:
            return lesson
    raise ValueError(f"no lesson called {name!r}; there are: {', '.join(l.name for l in lessons)}")


# --- showing: the model's own numbers --------------------------------------------------------
def resolve_unit(spec: str | None, model: CharRNN, vocab: Vocab) -> tuple[int, int] | None:
    """A stop's unit as (layer, unit) from 1: as written, or the contrast finder's best unit."""
    if spec is None:
        return None
    if spec.startswith("contrast:"):
        try:
            from .analysis.contrast import contrast  # the inspector's memory-unit finder
        except ImportError:
            raise ValueError("this version of babylm has no contrast finder (babylm.analysis)") from None

        prompt_a, prompt_b, continuation, *rest = spec[len("contrast:"):].split("|")
        layer, unit, _ = contrast(model, vocab, prompt_a, prompt_b, continuation,
                                  state=rest[0] if rest else "c", top=1)[0]
        return layer, unit
    layer, unit = parse_unit(spec)
    L, H = model.config.num_layers, model.config.hidden_size
    if layer > L or unit > H:
        raise ValueError(f"unit {spec} does not exist: this model has {L} layer(s) of {H} units")
    return layer, unit


def show_stop(lesson: Lesson, number: int, model: CharRNN, vocab: Vocab,
              resolver: Resolver | None = None) -> ShownStop:
    """Stop `number` (from 1) of `lesson`, its texts computed from `model`. Raises ValueError if
    the model cannot show it (a character it has never seen, a unit it lacks)."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(lesson.stops):
        raise ValueError(f"stop must be a whole number from 1 to {len(lesson.stops)}, got {number!r}")
    stop = lesson.stops[number - 1]
    where = f"lesson {lesson.name!r}, stop {number}"
    resolver = resolver or Resolver(model, vocab)
    try:
        stop.settings.check(vocab)
    except ValueError as err:
        raise ValueError(f"{where}: settings: {err}") from None
    try:
        unit = resolve_unit(stop.unit, model, vocab)
    except ValueError as err:
        raise ValueError(f"{where}: unit: {err}") from None
    texts = {}
    for key in ("text", "question"):
        parts = getattr(stop, key)
        try:
            texts[key] = None if parts is None else resolver.render(parts, unit)
        except ValueError as err:
            raise ValueError(f"{where}: {key}: {err}") from None
    return ShownStop(number=number, total=len(lesson.stops), settings=stop.settings, step=stop.step,
                     text=texts["text"], question=texts["question"], panel=stop.panel, unit=unit,
                     char=stop.char, sampling=stop.sampling, quiz=stop.quiz)


def opening_settings(folder: str | Path = LESSONS_DIR) -> GenerationSettings:
    """What a first-time visitor sees written: the first stop of the first lesson (the seed's
    "me want cookie" at temperature 0), or greedy defaults if the lessons cannot be read."""
    try:
        lessons = load_lessons(folder)
    except ValueError:
        lessons = []
    return lessons[0].stops[0].settings if lessons else GenerationSettings(temperature=0.0)
