"""What the pages share: the pretrained model (one per server, never mutated), this session's own
model, and the server-wide limit on concurrent trainers."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st

from babylm import BabyLanguageModel
from babylm.checkpoint import model_digest

from . import session
from .limits import LIMITS

MAX_TRAINERS = LIMITS.max_trainers


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


def set_session_model(baby: BabyLanguageModel, label: str, source: str) -> ActiveModel:
    """Make `baby` this session's model and the active one. The pretrained model is untouched."""
    model = make_model(baby, label, source)
    session.get()  # a training run's model, if one is just ending, first (this one replaces it)
    session.adopt(model)
    return model


def make_model(baby: BabyLanguageModel, label: str, source: str) -> ActiveModel:
    """An ActiveModel for a model of this session's own (no Streamlit call)."""
    return ActiveModel(baby, label, f"{source}:" + cache_key(baby), source)


def session_model() -> ActiveModel | None:
    session.get()
    return st.session_state.get("session_model")


def active() -> ActiveModel:
    own = session_model()
    if own is not None and st.session_state.get("use_session_model", True):
        return own
    return pretrained()


def use_pretrained() -> None:
    st.session_state["use_session_model"] = False


@st.cache_resource
def trainer_slots() -> threading.BoundedSemaphore:
    """Shared by every session on this server: at most MAX_TRAINERS train at once."""
    return threading.BoundedSemaphore(MAX_TRAINERS)
