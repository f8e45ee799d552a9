"""Generate: pick a prompt and settings, then watch the active model write, one step at a time.

The whole generation is traced once (cached per model and settings), packed by babylm/wire.py and
handed to the browser player, which animates it without asking the server again. The page's URL
holds the settings and the view (`?prompt=me+love+&...&step=9&gates=1&unit=2:90`): a link opens
exactly that view, a reload keeps it.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from babylm import wire
from babylm.generate import MAX_LENGTH, check_work
from babylm.settings import MAX_SEED, GenerationSettings
from babylm.trace import Trace, trace_generation
from babylm.view import VIEW_KEYS, ViewState

from . import state
from .player_component import player

APP_MAX_LENGTH = min(MAX_LENGTH, 1000)  # the browser keeps every step; 1,000 still plays smoothly
# One request's work and message grow with steps x layers x units. The wire sends ~8 bytes per
# unit-step for an LSTM (h, c as 2-byte decimals, four 1-byte gates), so 640,000 unit-steps (the
# seed's 2 x 128 model with a long prompt and 1,000 new characters) keep a message near 5 MB.
APP_MAX_UNIT_STEPS = 640_000
MODES = {"stateful": "carried (stateful)", "window": "the seed's 15-character window"}
FIELDS = ("prompt", "length", "temperature", "top_k", "seed", "mode")


# --- the model's work, cached -------------------------------------------------------------
@st.cache_resource(max_entries=16, show_spinner=False)
def scales(model_key: str, _baby) -> dict[str, tuple[float, float]]:
    """Each internal's fixed colour range, once per model (wire.model_scales)."""
    return wire.model_scales(_baby.model, _baby.vocab, _baby.text)


@st.cache_resource(max_entries=16, show_spinner="The model is writing…")
def generation(model_key: str, settings: GenerationSettings, _baby) -> tuple[Trace, bytes, str]:
    """The trace of one generation, its wire buffer and its id. `model_key` names the model
    (for the cache); the trace and the bytes are shared read-only by every session."""
    trace = trace_generation(_baby.model, _baby.vocab, settings)
    trace_id = wire.trace_id(model_key, trace)
    return trace, wire.encode(trace, scales(model_key, _baby), trace_id), trace_id


# --- settings: the form, the link ---------------------------------------------------------
def fallback_prompt(baby) -> str:
    """A prompt this model can read: the default if it knows those letters, else its text's start."""
    default = GenerationSettings().prompt
    if not baby.vocab.unknown(default):
        return default
    text = baby.text or "".join(baby.itos)
    return text.split("\n")[0][:8] or baby.itos[-1]


def start_session() -> None:
    """The first run of a session: settings and view from the link (defaults where it has none),
    with a one-line notice for every value that did not fit."""
    settings, notices = GenerationSettings.from_query(st.query_params)
    view, view_notices = ViewState.from_query(st.query_params)
    ss = st.session_state
    for key, value in dict(gen_settings=settings, gen_view=view, gen_play=0,
                           gen_notices=notices + view_notices).items():
        ss.setdefault(key, value)
    fill_form(ss.gen_settings)


def fill_form(settings: GenerationSettings) -> None:
    """Set the form's widgets to `settings` (before they are drawn); then they keep what is typed."""
    for name in FIELDS:
        value = getattr(settings, name)
        if name == "temperature":
            value = float(value)
        elif name == "seed" and value is None:
            value = 0
        st.session_state[f"gen_{name}"] = value


def settings_form(baby) -> GenerationSettings | None:
    """The controls; returns new settings when Generate was pressed and they are valid. Every
    widget has a stable key and no `value=`, so it keeps exactly what was typed."""
    with st.sidebar.form("generate", border=False):
        st.text_input("Prompt", key="gen_prompt", help="The model reads these characters first. Spaces count.")
        st.slider("New characters", 1, APP_MAX_LENGTH, key="gen_length")
        st.slider("Temperature", 0.0, 2.0, step=0.05, key="gen_temperature",
                  help="0 always picks the likeliest; higher is more adventurous.")
        st.number_input("Top-k (0 = all)", 0, len(baby.vocab), key="gen_top_k",
                        help="Sample only among the k likeliest characters.")
        st.number_input("Seed", 0, MAX_SEED, key="gen_seed", help="Same seed, same text.")
        st.radio("Memory", list(MODES), format_func=MODES.get, key="gen_mode",
                 help="Stateful carries the memory forward; the seed re-reads its last "
                      "15 characters from a blank memory at every step.")
        submitted = st.form_submit_button("Generate ▶", type="primary", width="stretch")
    if not submitted:
        return None
    ss = st.session_state
    new = GenerationSettings(prompt=ss.gen_prompt, length=int(ss.gen_length),
                             temperature=float(ss.gen_temperature), top_k=int(ss.gen_top_k),
                             seed=int(ss.gen_seed), mode=ss.gen_mode)
    try:
        check(new, baby)
    except ValueError as err:
        st.sidebar.error(f"Can't generate: {err}.", icon="⚠️")
        return None
    return new


def check(settings: GenerationSettings, baby) -> GenerationSettings:
    """Settings the app will run for this model, else a ValueError naming what is wrong."""
    settings.check(baby.vocab, max_length=APP_MAX_LENGTH)
    check_work(baby.config, len(settings.prompt) + settings.length - 1, settings.mode, APP_MAX_UNIT_STEPS)
    return settings


def write_link(settings: GenerationSettings) -> None:
    """Put the settings in the page's URL (the player adds the view as you move)."""
    keep = {k: v for k, v in st.query_params.to_dict().items() if k not in FIELDS and k not in VIEW_KEYS}
    st.query_params.from_dict({**keep, **settings.to_query()})


def usable(settings: GenerationSettings, baby) -> tuple[GenerationSettings, str | None]:
    """Settings this model can run: a prompt it cannot read, or a top-k beyond its vocabulary
    (after switching models), gives way, with a note saying so."""
    if baby.vocab.unknown(settings.prompt):
        settings = replace(settings, prompt=fallback_prompt(baby))
        return settings, f"This model can't read the last prompt, so it starts from “{settings.prompt}”."
    try:
        return check(settings, baby), None
    except ValueError as err:
        default = GenerationSettings(prompt=fallback_prompt(baby))
        return default, f"The last settings don't fit this model ({err}), so it starts from the defaults."


# --- the page -----------------------------------------------------------------------------
def page() -> None:
    model = state.active()
    baby = model.baby
    ss = st.session_state
    if "gen_play" not in ss:
        start_session()
    settings, note = usable(ss.gen_settings, baby)
    if note:  # kept from another model: start over, form included, and say why
        ss.gen_settings = settings
        fill_form(settings)
        st.warning(note, icon="⚠️")
    c = baby.config
    st.markdown(f"#### Watch a baby {c.cell.upper()} write")
    new = settings_form(baby)
    st.sidebar.caption(f"Model: **{model.label}** · {c.num_layers} {c.cell.upper()} layers × "
                       f"{c.hidden_size} units · {len(baby.vocab)} characters")
    if new is not None:
        ss.update(gen_settings=new, gen_view=ViewState(), gen_play=ss.gen_play + 1, gen_notices=[])
        write_link(new)
        settings = new
    for notice in ss.gen_notices:
        st.info(notice, icon="ℹ️")
    trace, data, trace_id = generation(model.key, settings, baby)
    view, fit_notices = ss.gen_view.fit(*trace.shape)
    for notice in fit_notices:
        st.info(notice, icon="ℹ️")
    shown = player(data, trace_id, view, play=ss.gen_play)
    # What the viewer is on, for other parts of the page (lessons, the inspector).
    ss["player_view"] = shown or view
    with st.expander("What am I looking at?"):
        st.markdown(EXPLAINER)


EXPLAINER = """
* **The text**: bold is the prompt, blue is what the model wrote. The **outlined** character is
  the one just read; the **orange** one is what comes next. ␣ is a space, ⏎ a new line.
* **Next character**: the model's own probabilities for the next character after reading the
  outlined one (temperature 1; temperature and top-k only reshape them before sampling).
* **Memory now**: each square is one unit. `h` (the hidden state, what the layer shows the next
  layer) lies between −1 and 1. `c` (the cell state, the long-term memory) can grow larger; its
  colour range is fixed for this model, so a colour means the same for every prompt.
  Click a square to follow that unit everywhere; its exact values appear below the grids.
* **Memory over time**: one column per character read, one row per unit (the most active first,
  or by number), so you can see which units switch on at a space, stay on through a word, or keep
  a value for a long time. Nothing after the current step is shown.
* **Gates** (tick *gates*): the forget gate near 1 keeps memory, near 0 wipes it; the input
  gate decides how much of the candidate is written; the output gate how much of `c` is shown in `h`.
* **Memory mode**: *stateful* carries memory from every character so far. The seed's *window*
  re-reads only the last 15 characters from a blank memory at every step (shaded yellow).
* **🔗 Copy link** gives a link to exactly this view: the settings, the step, the selected unit.
"""
