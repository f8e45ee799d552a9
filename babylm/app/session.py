"""This session's own bookkeeping, without torch: what a training run left behind, widget values
kept across pages, and the wait for a training run that is still ending.

The session's own model lives where every page looks for it, st.session_state["session_model"]
(an ActiveModel) and ["use_session_model"]. A training run cannot always write there: once a
person presses Stop, opens another page or closes the tab, Streamlit ends the run by raising an
exception from the next Streamlit call, and every st.session_state read or write is one (and
once the tab is gone, every call raises). So the end of a run puts its model into this plain
object, fetched beforehand, with no Streamlit call; `get()`, at the start of the next run,
waits for that and moves the model to its keys. With fast reruns Streamlit starts that next run
as soon as the person clicks, while the interrupted one is still on its way out.

No torch here: streamlit_app.py calls `get()` before any page, including the Generate page's
first, torch-free draw.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

SETTLE_SECONDS = 10.0  # longest wait for an interrupted training run to store its model


@dataclass
class TrainRun:
    """How this session's last training run ended, for the Train page to say so."""

    model_key: str  # the ActiveModel.key of the model it made
    label: str
    summary: dict  # BabyLanguageModel.training_summary
    ending: str  # "finished", "stopped early", "time limit" or "stopped" (Stop, another page, tab closed)
    note: str = ""  # what to add: a resumed run that left the weights as they were, and why


@dataclass
class Session:
    """One per browser session, in st.session_state["babylm"]; changed without Streamlit calls."""

    pending: Any = None  # an ActiveModel a training run made, not yet moved to "session_model"
    last_run: TrainRun | None = None
    widgets: dict = field(default_factory=dict)  # kept widget values, see kept()
    training: threading.RLock = field(default_factory=threading.RLock)  # held by a training run


def get() -> Session:
    """This session's Session, once any training run of this session that is still ending (up to
    SETTLE_SECONDS) has stored its model; that model is then this session's active model."""
    if "babylm" not in st.session_state:
        st.session_state["babylm"] = Session()
    own = st.session_state["babylm"]
    if own.training.acquire(timeout=SETTLE_SECONDS):
        own.training.release()
    if own.pending is not None:
        adopt(own.pending)
        own.pending = None
    return own


def adopt(model) -> None:
    """Make `model` (an ActiveModel) this session's own and active model. Each one gets a new
    serial number, so widgets about it (the Model page's radio) start afresh even when a model
    comes back with the same weights."""
    st.session_state["session_model"], st.session_state["use_session_model"] = model, True
    st.session_state["own_model_serial"] = st.session_state.get("own_model_serial", 0) + 1


def kept(key: str, default) -> dict:
    """Keyword arguments for a widget whose value should outlive visits to other pages:
    `st.slider("Epochs", 1, 300, **kept("epochs", 150))`.

    The widget gets a stable key and no default of its own: its value lives in session state.
    (A widget whose default followed the value it set got a new identity after every change and
    so dropped every second one.) Streamlit forgets a widget's state on a run that does not draw
    it, so each change is also copied aside and given back when the page is drawn again."""
    if key not in st.session_state:
        st.session_state[key] = get().widgets.get(key, default)
    return dict(key=key, on_change=_keep, args=(key,))


def _keep(key: str) -> None:
    get().widgets[key] = st.session_state[key]
