"""What a checkpoint's training summary may hold, and cleaning one read from an untrusted file.

The checkpoint's SHA-256 covers the weights only, so the summary (epochs, losses, the validation
curve, where a Keras model came from) is whatever the file says. `clean_summary` keeps each
field that has the type and range babylm writes, drops any other with a one-line notice saying
which field and why, and so every page and command can read a summary without checking it again:
a number is a finite float, a curve is a list of (epoch, loss) pairs, text is short plain text.
"""

from __future__ import annotations

import math
import numbers

MAX_TEXT = 200  # characters in a text field (a file name, a Keras version)
MAX_CURVE = 100_000  # points in the validation curve (one per epoch; a chain of resumed runs keeps its last 100,000)
MAX_SETTINGS = 32  # entries in the training settings record


def _number(value, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < low:
        raise ValueError(f"expected a finite number of at least {low:g}")
    return float(value)


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError("expected a whole number of at least 0")
    return int(value)


def _loss(value) -> float | None:
    return None if value is None else _number(value)


def _text(value) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(f"expected text of at most {MAX_TEXT} characters")
    return value


def _scalar(value):
    """A short text, finite number, true/false or null: the only things an unknown field may be."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real):
        return _number(value, low=-math.inf)
    return _text(value)


def _settings(value) -> dict:
    if not isinstance(value, dict) or len(value) > MAX_SETTINGS:
        raise ValueError(f"expected a mapping of at most {MAX_SETTINGS} settings")
    return {_text(k): _scalar(v) for k, v in value.items()}


def _curve(value) -> list[list[float]]:
    if not isinstance(value, list) or len(value) > MAX_CURVE:
        raise ValueError(f"expected a list of at most {MAX_CURVE:,} [epoch, loss] pairs")
    points = []
    for point in value:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise ValueError("expected [epoch, loss] pairs")
        points.append([_number(point[0]), _number(point[1])])
    return points


FIELDS = {
    "epochs": lambda v: _number(v),
    "steps": _count,
    "seconds": lambda v: _number(v),
    "best_val_loss": _loss,
    "final_loss": _loss,
    "config": _settings,
    "val_curve": _curve,
    "imported_from": _text,
    "keras_version": _text,
}


def clean_summary(summary) -> tuple[dict, list[str]]:
    """(the fields that are what they claim to be, one notice per field dropped)."""
    if summary is None:
        return {}, []
    if not isinstance(summary, dict):
        return {}, [f"dropped the training summary: expected a mapping, got {type(summary).__name__}"]
    clean, notices = {}, []
    for key, value in summary.items():
        name = key if isinstance(key, str) and len(key) <= 40 and key.isprintable() else "(a field with an odd name)"
        try:
            clean[_text(key)] = FIELDS.get(key, _scalar)(value)
        except (ValueError, TypeError) as err:
            notices.append(f"dropped training.{name} from the checkpoint: {err}")
    return clean, notices
