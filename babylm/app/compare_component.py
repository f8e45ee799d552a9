"""Models side by side in the browser player: the same text read by two or three models, one
step counter (player/compare.js). Uses the player's own component; a render message that carries
`compare` is handed to compare.js.

Args sent: `compare` = {id, labels, colors, spreads} (small JSON) and one wire buffer per model
as `trace0`, `trace1`, ... (bytes, sent once; Streamlit re-sends them only when they change).
Nothing comes back: the side-by-side view has no state Python needs.
"""

from __future__ import annotations

import json

from .player_component import _component

MAX_MODELS = 3


def compare_player(traces: list[bytes], labels: list[str], colors: list[str], spreads: list[list[float]],
                   compare_id: str, key: str = "babylm-compare") -> None:
    """Show `traces` (wire buffers of the same text) side by side under `labels`; `spreads` is
    one list of numbers per model (babylm.memory.animal_spread), drawn under each label."""
    if not 2 <= len(traces) <= MAX_MODELS or not len(traces) == len(labels) == len(colors) == len(spreads):
        raise ValueError(f"give 2 to {MAX_MODELS} traces, each with a label, a colour and a spread")
    buffers = {f"trace{k}": data for k, data in enumerate(traces)}
    spec = {"id": compare_id, "labels": labels, "colors": colors, "spreads": spreads}
    _component()(compare=json.dumps(spec),  # as text: see player_component.player
                 key=key, default=None, **buffers)
