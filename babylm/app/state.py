"""What the pages share: the pretrained model (one per server, never mutated), this session's own
model, and the server-wide limit on concurrent trainers."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st

from babylm import BabyLanguageModel
from babylm.checkpoint import model_digest

from .limits import LIMITS

MAX_TRAINERS = LIMITS.max_trainers
SETTLE_SECONDS = 10.0  # longest wait for an interrupted training run to store its model


@dataclass
class ActiveModel:
    """A model as the pages see it: the model, a name for people, and a key for caches. The key
    covers weights, vocabulary, config and training summary, so two sessions share a cached
    generation or download only when their models would give the same one."""

    baby: BabyLanguageModel
    label: str  # Markdown: a file name in it must already be escaped (safe_text.md(plain(name)))
    key: str
    source: str = field(default="pretrained")  # "pretrained", "trained", "uploaded", "keras"


@st.cache_resource(show_spinner="Loading the pretrained model…")
def pretrained() -> ActiveModel:
    baby = BabyLanguageModel.pretrained()
    return ActiveModel(baby, "pretrained baby-talk model", "pretrained:" + cache_key(baby))


def cache_key(baby: BabyLanguageModel) -> str:
    return model_digest(baby.model, baby.vocab, baby.training_summary, baby.text)


@dataclass
class TrainRun:
    """How this session's last training run ended, for the Train page to say so."""

    model_key: str  # the ActiveModel.key of the model it made
    label: str
    summary: dict  # BabyLanguageModel.training_summary
    ending: str  # "finished", "stopped early" (validation stopped improving) or "stopped"


@dataclass
class Session:
    """This session's own model, whether it is the active one, and its last training run.

    One plain mutable object, put into st.session_state once. Every read or write of
    st.session_state is a point where Streamlit raises its stop or rerun exception once a person
    has pressed Stop, left the page or closed the tab; the end of a training run must still store
    the model then, so it changes this object's fields, which no Streamlit call guards."""

    own: ActiveModel | None = None
    use_own: bool = True
    last_run: TrainRun | None = None
    widgets: dict = field(default_factory=dict)  # kept widget values, see kept()
    training: threading.RLock = field(default_factory=threading.RLock)  # held by a training run


def session() -> Session:
    """This session's Session. If a training run of this session is still ending, waits (up to
    SETTLE_SECONDS) until it has stored its model: with fast reruns Streamlit starts the next run
    as soon as a person clicks Stop or another page, while the interrupted run is on its way out."""
    if "babylm" not in st.session_state:
        st.session_state["babylm"] = Session()
    own = st.session_state["babylm"]
    if own.training.acquire(timeout=SETTLE_SECONDS):
        own.training.release()
    return own


def kept(key: str, default) -> dict:
    """Keyword arguments for a widget whose value should outlive visits to other pages:
    `st.slider("Epochs", 1, 300, **kept("epochs", 150))`.

    The widget gets a stable key and no default of its own: its value lives in session state.
    (A widget whose default followed the value it set got a new identity after every change and
    so dropped every second one.) Streamlit forgets a widget's state on a run that does not draw
    it, so each change is also copied aside and given back when the page is drawn again."""
    if key not in st.session_state:
        st.session_state[key] = session().widgets.get(key, default)
    return dict(key=key, on_change=_keep, args=(key,))


def _keep(key: str) -> None:
    session().widgets[key] = st.session_state[key]


def set_session_model(baby: BabyLanguageModel, label: str, source: str,
                      into: Session | None = None) -> ActiveModel:
    """Make `baby` this session's model and the active one. The pretrained model is untouched.
    With `into` (fetched beforehand) it makes no Streamlit call, so nothing can interrupt it."""
    model = ActiveModel(baby, label, f"{source}:" + cache_key(baby), source)
    into = into if into is not None else session()
    into.own, into.use_own = model, True
    return model


def session_model() -> ActiveModel | None:
    return session().own


def active() -> ActiveModel:
    own = session()
    if own.own is not None and own.use_own:
        return own.own
    return pretrained()


def use_pretrained() -> None:
    session().use_own = False


@st.cache_resource
def trainer_slots() -> threading.BoundedSemaphore:
    """Shared by every session on this server: at most MAX_TRAINERS train at once."""
    return threading.BoundedSemaphore(MAX_TRAINERS)
