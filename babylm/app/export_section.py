"""The Generate page's Export control: this generation as CSV, JSON, a PNG of the step on screen,
or the offline lesson file opening at the view on screen. Each file is made only when its button
is pressed (a deferred download), so showing the buttons costs nothing; pressing one does not
rerun the page. Not on a fresh session's first page, which is drawn before torch has loaded:
the buttons appear with the first rerun (Generate, or any move in the player). The files are the same as `python -m babylm export` writes (babylm/export.py).
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import streamlit as st

from babylm.export import csv_text, to_json
from babylm.export_html import write_html
from babylm.render import render_step
from babylm.trace import Trace
from babylm.view import ViewState


def _png(trace: Trace, t: int, scales: dict) -> bytes:
    buf = io.BytesIO()
    render_step(trace, t, scales).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _html(trace: Trace, scales: dict, view: ViewState) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = write_html(trace, Path(folder) / "lesson.html", scales, view=view)
        return path.read_bytes()


def export_section(trace: Trace, scales: dict, view: ViewState) -> None:
    """Four download buttons for `trace`, the PNG and the lesson file at `view`."""
    step = view.t + 1
    with st.expander("Export this generation: slides, handouts, an offline lesson file"):
        cols = st.columns(4)
        cols[0].download_button(f"PNG of step {step}", lambda: _png(trace, view.t, scales),
                                file_name=f"babylm-step-{step}.png", mime="image/png", on_click="ignore",
                                help="1920×1080 for a projector, with legends; nothing after this step.")
        cols[1].download_button("Offline lesson file", lambda: _html(trace, scales, view),
                                file_name="babylm-lesson.html", mime="text/html", on_click="ignore",
                                help="One HTML file that plays like this player with no server and no "
                                     "network: e-mail it or put it on a course site.")
        cols[2].download_button("CSV", lambda: csv_text(trace), file_name="babylm-steps.csv",
                                mime="text/csv", on_click="ignore",
                                help="One row per step: the characters, the probability, every unit.")
        cols[3].download_button("JSON", lambda: json.dumps(to_json(trace), ensure_ascii=False),
                                file_name="babylm-trace.json", mime="application/json", on_click="ignore",
                                help="The whole trace; the README's Exports section has the schema.")
        st.markdown("A GIF or MP4 of a range of steps: `python -m babylm export --format gif --steps 8:30` "
                   "(the README's Exports section).")
