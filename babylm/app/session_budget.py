"""The server-wide memory budget for sessions' own models (BABYLM_SESSION_MODELS_MB).

Every session may train or upload a model of its own, and a server keeps each one (with the
generations and downloads made from it) until the session ends. The budget counts what those
models cost; a new one that would pass it is refused with a message, and the pretrained model
(shared by all, counted once) stays usable. A session's share is released when Streamlit drops
the session (a while after its browser closes), through a token kept in its session state.

Cost of one model, from bench/session_memory.py (a 2-core server, the default 2 x 128 LSTM,
0.84 MB of weights; bench/results/session_memory.json): a session costs under 1 MB with the
pretrained model (its generations are shared) and ~21 MB more with its own (weights, the
generations and colour ranges cached from them, what training leaves in the allocator). We
count 16 MB plus 6 x the weights' size.
"""

from __future__ import annotations

import threading
import weakref

import streamlit as st

from .limits import LIMITS

BASE_MB = 16.0  # per own model, whatever its size: payloads, caches, bookkeeping
WEIGHT_FACTOR = 6.0  # the weights themselves and the copies made from them (checkpoint bytes, training)


def model_cost_mb(num_parameters: int) -> float:
    """What keeping one session model of `num_parameters` float32 weights costs, in MB."""
    return BASE_MB + WEIGHT_FACTOR * num_parameters * 4 / 2**20


class Budget:
    """Reservations by session, in MB; thread-safe (every session's script runs in a thread)."""

    def __init__(self, limit_mb: float):
        self.limit_mb = limit_mb
        self._held: dict[int, float] = {}
        self._lock = threading.Lock()

    def held_mb(self) -> float:
        with self._lock:
            return sum(self._held.values())

    def reserve(self, owner: int, cost_mb: float) -> bool:
        """Give `owner` (one session) a model of `cost_mb` in place of its last one, if it fits."""
        with self._lock:
            others = sum(mb for key, mb in self._held.items() if key != owner)
            if others + cost_mb > self.limit_mb:
                return False
            self._held[owner] = cost_mb
            return True

    def release(self, owner: int) -> None:
        with self._lock:
            self._held.pop(owner, None)


@st.cache_resource
def budget() -> Budget:
    """One per server, shared by every session."""
    return Budget(LIMITS.session_models_mb)


class _Token:
    """Lives in one session's state; when Streamlit drops the session, it releases the share."""


def reserve_for_session(num_parameters: int) -> str | None:
    """Reserve room for this session's next own model: None if it fits, else what to tell the user."""
    token = st.session_state.get("_budget_token")
    if token is None:
        token = st.session_state["_budget_token"] = _Token()
        weakref.finalize(token, budget().release, id(token))
    cost, shared = model_cost_mb(num_parameters), budget()
    if shared.reserve(id(token), cost):
        return None
    return (f"This server is holding as many people's own models as its memory allows "
            f"({shared.held_mb():,.0f} of {shared.limit_mb:,} MB; this one needs {cost:,.0f} MB). "
            "Try a smaller model, try again in a few minutes, or use the pretrained model.")
