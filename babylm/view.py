"""What the player shows of one trace, as one frozen dataclass: the step, the selected unit, the
history's row order and whether the gates are shown. No streamlit here.

`GenerationSettings` (settings.py) says what was generated; `ViewState` says where you are looking.
Together they are a lesson link:
`?prompt=me+love+&length=60&temperature=0&top_k=0&seed=3&mode=stateful&step=9&gates=1&unit=2:90`.
In links and on screen steps, layers and units are numbered from 1 (`step=9` is the counter's
"step 9 of M", `unit=2:90` is layer 2, unit 90); inside this object they are 0-based array indices
(`t=8`, `unit=(1, 89)`). The browser player keeps the same fields in its store
(babylm/app/player/store.js) and writes the same query parameters.

Lessons (a stop is a ViewState plus its text) and the inspector (select a unit, pick an order)
build these and hand them to the player as commands. Reading a link never raises: a value that
does not fit is dropped with a one-line notice, like `GenerationSettings.from_query`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

ORDERS = ("index", "active")  # history rows by unit number, or most active so far first
VIEW_KEYS = ("step", "gates", "unit", "order")  # the query parameters this module reads


@dataclass(frozen=True)
class ViewState:
    """Where the viewer is looking in one trace. Indices are 0-based."""

    t: int = 0  # the step shown: the model has read inputs[t]
    gates: bool = False  # show the gate grids (every internal that is not the recurrent state)
    unit: tuple[int, int] | None = None  # (layer, unit) selected in every view, or none
    order: str = "active"  # history rows: "index" or "active" (most active so far first)

    def to_query(self) -> dict[str, str]:
        """Query parameters, numbered as the app shows them (from 1)."""
        out = {"step": str(self.t + 1)}
        if self.gates:
            out["gates"] = "1"
        if self.unit is not None:
            out["unit"] = f"{self.unit[0] + 1}:{self.unit[1] + 1}"
        if self.order != ViewState.order:
            out["order"] = self.order
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, object]) -> tuple["ViewState", list[str]]:
        """A view from query parameters; a bad value keeps the default and adds a notice."""
        view, notices = cls(), []
        for name, parse in _PARSERS.items():
            if name not in query:
                continue
            raw = query[name]
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            try:
                view = replace(view, **parse(str(raw)))
            except ValueError as err:
                notices.append(f"Ignored {name}={str(raw)[:40]!r} in the link: {err}.")
        return view, notices

    def fit(self, steps: int, layers: int, units: int) -> tuple["ViewState", list[str]]:
        """This view made to fit a trace of `steps` steps and a model of `layers` x `units`:
        a step past the end goes to the last step, a unit the model lacks is unselected."""
        view, notices = self, []
        if not 0 <= view.t < steps:
            notices.append(f"Ignored step={view.t + 1} in the link: this generation has {steps} steps.")
            view = replace(view, t=min(max(view.t, 0), steps - 1))
        if view.unit is not None and not (0 <= view.unit[0] < layers and 0 <= view.unit[1] < units):
            notices.append(f"Ignored unit={view.unit[0] + 1}:{view.unit[1] + 1} in the link: "
                           f"this model has {layers} layer(s) of {units} units.")
            view = replace(view, unit=None)
        return view, notices

    def to_player(self) -> dict:
        """The view as the player's store takes it (JSON)."""
        return {"t": self.t, "gates": self.gates, "unit": list(self.unit) if self.unit else None,
                "order": self.order}

    @classmethod
    def from_player(cls, value: Mapping) -> "ViewState":
        """The view the player reported (its component value); raises ValueError if malformed."""
        unit = value.get("unit")
        view = cls(t=int(value["t"]), gates=bool(value.get("gates", False)),
                   unit=(int(unit[0]), int(unit[1])) if unit else None,
                   order=str(value.get("order", cls.order)))
        if view.t < 0 or view.order not in ORDERS:
            raise ValueError(f"not a player view: {dict(value)!r}"[:120])
        return view


def _step(text: str) -> dict:
    try:
        step = int(text)
    except ValueError:
        raise ValueError("must be a whole number from 1") from None
    if step < 1:
        raise ValueError("must be a whole number from 1")
    return {"t": step - 1}


def _gates(text: str) -> dict:
    if text not in ("0", "1"):
        raise ValueError("must be 0 or 1")
    return {"gates": text == "1"}


def _unit(text: str) -> dict:
    try:
        layer, unit = (int(part) for part in text.split(":"))
    except ValueError:
        raise ValueError("must be layer:unit, numbered from 1, like 2:90") from None
    if layer < 1 or unit < 1:
        raise ValueError("must be layer:unit, numbered from 1, like 2:90")
    return {"unit": (layer - 1, unit - 1)}


def _order(text: str) -> dict:
    if text not in ORDERS:
        raise ValueError(f"must be one of {', '.join(ORDERS)}")
    return {"order": text}


_PARSERS = {"step": _step, "gates": _gates, "unit": _unit, "order": _order}
