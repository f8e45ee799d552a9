"""Streamlit wrapper for the browser player in `player/` (a static custom component).

The component folder is assembled once per server in a temporary directory: our three files
plus the plotly.min.js that ships inside the installed `plotly` package, so the browser draws
with the same Plotly the server builds figures for, and nothing is fetched from the internet.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import tempfile
from pathlib import Path

import plotly
import streamlit.components.v1 as components

SOURCE = Path(__file__).resolve().parent / "player"
FILES = ("index.html", "player.js", "player.css")


@functools.lru_cache(maxsize=1)
def _component():
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    digest = hashlib.sha256(b"".join((SOURCE / f).read_bytes() for f in FILES))
    digest.update(plotly.__version__.encode())
    folder = Path(tempfile.gettempdir()) / f"babylm-player-{digest.hexdigest()[:12]}"
    if not (folder / "plotly.min.js").exists():
        staging = Path(tempfile.mkdtemp(prefix="babylm-player-"))
        for name in FILES:
            shutil.copy(SOURCE / name, staging / name)
        shutil.copy(plotly_js, staging / "plotly.min.js")
        try:
            staging.rename(folder)
        except OSError:  # another server process won the race; its copy is identical
            shutil.rmtree(staging, ignore_errors=True)
    return components.declare_component("babylm_player", path=str(folder))


def player(payload: dict, trajectory_id: str, autoplay: bool = False) -> None:
    """Show the player for one generation. A new `trajectory_id` loads a new generation;
    the same id on a rerun leaves the browser's playback where it is."""
    _component()(payload=payload, trajectory_id=trajectory_id, autoplay=autoplay,
                 key="babylm-player", default=None)
