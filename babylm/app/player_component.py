"""Streamlit wrapper for the browser player in `player/` (a static custom component, v1).

What goes over the wire, and when (see player/main.js for the other side):
- `trace`: the wire buffer (babylm/wire.py) as a bytes arg, which Streamlit sends as a binary
  `SpecialArg` (it arrives in the browser as a Uint8Array, no JSON, no base64). Streamlit re-sends
  an element only when its args change; on a rerun with the same args it sends a reference to the
  cached message, so a rerun costs the network almost nothing.
- `id`, `view`, `play`: small, constant for one generation in one session (`view` and `command`
  as JSON text: see `player`).
- `command`: what a page tells the player (go to a step, select a unit, highlight a panel).
  Changing it changes the element, so Streamlit sends it again, trace included: commands are for
  lesson stops and the inspector, not for every frame.

The player reports the view it shows (step, unit, gates, order) as the component value, debounced
and never while playing; `player()` returns it as a ViewState, or None.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import streamlit.components.v1 as components

from babylm.view import ViewState

SOURCE = Path(__file__).resolve().parent / "player"


@functools.lru_cache(maxsize=1)
def _component():
    return components.declare_component("babylm_player", path=str(SOURCE))


def player(trace: bytes, trace_id: str, view: ViewState | None = None, play: int = 0,
           command: dict | None = None, key: str = "babylm-player",
           saliency: bytes | None = None) -> ViewState | None:
    """Show the player for one trace; return the view the viewer is on (None until they move).

    `trace_id` names the trace: a new one loads a new trace; the same one on a rerun leaves the
    browser where it is. `view` is where a new trace opens. A new `play` value replays from step
    0 (Generate pressed, even with the same settings). `command` is applied once per new
    `command["id"]`: keys t, unit ([layer, unit], 0-based), gates, order, rows, highlight, shade,
    play. `saliency`: the trace's saliency rows (babylm/saliency_wire.py) to shade the text by, or
    None; a new set switches the text's colouring to it.
    """
    # view and command go as JSON text (protocol.js parses them): Streamlit checks every dict
    # arg for being a dataframe, importing pandas and pyarrow on a fresh server's first page.
    value = _component()(trace=trace, id=trace_id, view=json.dumps((view or ViewState()).to_player()),
                         play=play, command=json.dumps(command) if command else None,
                         saliency=saliency, key=key, default=None)
    if not isinstance(value, dict) or value.get("trace") != trace_id:
        return None  # nothing reported yet, or a report about the previous trace
    try:
        return ViewState.from_player(value)
    except (KeyError, TypeError, ValueError):
        return None
