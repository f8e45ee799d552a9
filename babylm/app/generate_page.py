"""Generate: pick a prompt and settings, then watch the active model write, one step at a time.

The whole generation is traced once (cached per model and settings), packed by babylm/wire.py and
handed to the browser player, which animates it without asking the server again. The page's URL
holds the settings and the view (`?prompt=me+love+&...&step=9&gates=1&unit=2:90`): a link opens
exactly that view, a reload keeps it.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from babylm.safe_text import md, plain  # torch-free, like babylm.view
from babylm.view import VIEW_KEYS, ViewState

from . import warm
from .player_component import player

# Imported when first needed, not here: the first page of a fresh server is drawn from the
# precomputed default generation (warm.py) before torch, which they all import, has loaded.
#   babylm.wire, babylm.settings, babylm.trace, babylm.generate and .state

APP_MAX_LENGTH = 1000  # the browser keeps every step; 1,000 still plays smoothly (<= generate.MAX_LENGTH)
# One request's work and message grow with steps x layers x units. The wire sends ~8 bytes per
# unit-step for an LSTM (h, c as 2-byte decimals, four 1-byte gates), so 640,000 unit-steps (the
# seed's 2 x 128 model with a long prompt and 1,000 new characters) keep a message near 5 MB.
APP_MAX_UNIT_STEPS = 640_000
MODES = {"stateful": "carried (stateful)", "window": "the seed's 15-character window"}
FIELDS = ("prompt", "length", "temperature", "top_k", "seed", "mode")
MAX_SEED = 2**31 - 1  # babylm.settings.MAX_SEED (a test keeps them equal), without importing torch


# --- the model's work, cached -------------------------------------------------------------
@st.cache_resource(max_entries=16, show_spinner=False)
def scales(model_key: str, _baby) -> dict[str, tuple[float, float]]:
    """Each internal's fixed colour range, once per model (wire.model_scales)."""
    from babylm import wire

    return wire.model_scales(_baby.model, _baby.vocab, _baby.text)


SPINNER_STEPS = 1_500  # a generation this long (prompt included) shows "The model is writing…"


def generation(model_key: str, settings: GenerationSettings, _baby) -> tuple[Trace, bytes, str]:
    """The trace of one generation, its wire buffer and its id, shared read-only by every
    session. A spinner only for long ones: a default generation takes milliseconds, and the
    spinner's own messages cost a class's server more than that (bench/app_speed.py)."""
    if len(settings.prompt) + settings.length < SPINNER_STEPS:
        return _generation(model_key, settings, _baby)
    with st.spinner("The model is writing…"):
        return _generation(model_key, settings, _baby)


@st.cache_resource(max_entries=16, show_spinner=False)
def _generation(model_key: str, settings: GenerationSettings, _baby) -> tuple[Trace, bytes, str]:
    """The trace of one generation, its wire buffer and its id. `model_key` names the model
    (for the cache); the trace and the bytes are shared read-only by every session."""
    from babylm import wire
    from babylm.trace import trace_generation

    from .compute import turn

    with turn():
        trace = trace_generation(_baby.model, _baby.vocab, settings)
        trace_id = wire.trace_id(model_key, trace)
        return trace, wire.encode(trace, scales(model_key, _baby), trace_id), trace_id


# --- settings: the form, the link ---------------------------------------------------------
def fallback_prompt(baby) -> str:
    """A prompt this model can read: the default if it knows those letters, else its text's start."""
    from babylm.settings import GenerationSettings

    default = GenerationSettings().prompt
    if not baby.vocab.unknown(default):
        return default
    text = baby.text or "".join(baby.itos)
    return text.split("\n")[0][:8] or baby.itos[-1]


def first_visit() -> bool:
    """A link that names no generation settings and no view: the page opens on the story (lesson one's first
    generation, warm.opening()), plays it by itself once and invites to the lessons."""
    return not any(name in st.query_params for name in FIELDS + VIEW_KEYS)  # a shared view is not


def start_session() -> None:
    """The first run of a session: settings and view from the link (the opening story where it
    has none), with a one-line notice for every value that did not fit."""
    from babylm.settings import GenerationSettings

    welcome = first_visit()
    settings, notices = GenerationSettings.from_query(st.query_params, warm.opening(), max_length=APP_MAX_LENGTH)
    view, view_notices = ViewState.from_query(st.query_params)
    ss = st.session_state
    for key, value in dict(gen_settings=settings, gen_view=view, gen_play=0, gen_welcome=welcome,
                           gen_notices=[md(n) for n in notices + view_notices]).items():  # they quote the link
        ss.setdefault(key, value)
    fill_form(ss.gen_settings)


def fill_form(settings) -> None:
    """Set the form's widgets to `settings` (before they are drawn); then they keep what is typed."""
    fill_form_from_query(settings.to_query())


def fill_form_from_query(query: dict[str, str]) -> None:
    """The same from settings as query strings (GenerationSettings.to_query), without torch."""
    types = dict(prompt=str, length=int, temperature=float, top_k=int, seed=int, mode=str)
    for name in FIELDS:
        st.session_state[f"gen_{name}"] = types[name](query[name]) if name in query else 0


def settings_form(vocab_size: int) -> bool:
    """The controls; True when Generate was pressed. Every widget has a stable key and no
    `value=`, so it keeps exactly what was typed."""
    with st.sidebar.form("generate", border=False):
        st.text_input("Prompt", key="gen_prompt", help="The model reads these characters first. Spaces count.")
        st.slider("New characters", 1, APP_MAX_LENGTH, key="gen_length")
        st.slider("Temperature", 0.0, 2.0, step=0.05, key="gen_temperature",
                  help="0 always picks the likeliest; higher is more adventurous.")
        # No min or max on the numbers: Streamlit leaves an out-of-range number in a red box and
        # silently submits the old one; the settings check names what is wrong instead.
        st.number_input("Top-k (0 = all)", step=1, key="gen_top_k",
                        help=f"Sample only among the k likeliest characters (0 to {vocab_size}).")
        st.number_input("Seed", step=1, key="gen_seed", help=f"Same seed, same text (0 to {MAX_SEED:,}).")
        st.radio("Memory", list(MODES), format_func=MODES.get, key="gen_mode",
                 help="Stateful carries the memory forward; the seed re-reads its last "
                      "15 characters from a blank memory at every step.")
        return st.form_submit_button("Generate ▶", type="primary", width="stretch")


def submitted_settings(baby):
    """The form's settings after Generate, if this model can run them; else None and an error."""
    from babylm.settings import GenerationSettings

    ss = st.session_state
    new = GenerationSettings(prompt=ss.gen_prompt, length=int(ss.gen_length),
                             temperature=float(ss.gen_temperature), top_k=int(ss.gen_top_k),
                             seed=int(ss.gen_seed), mode=ss.gen_mode)
    try:
        check(new, baby)
    except ValueError as err:
        # Kept until the next press: the player's own reports rerun the page in between.
        ss["gen_error"] = f"Can't generate: {md(str(err))}."
        return None
    ss.pop("gen_error", None)
    return new


def check(settings, baby):
    """Settings the app will run for this model, else a ValueError naming what is wrong."""
    from babylm.generate import check_work

    settings.check(baby.vocab, max_length=APP_MAX_LENGTH)
    check_work(baby.config, len(settings.prompt) + settings.length - 1, settings.mode, APP_MAX_UNIT_STEPS)
    return settings


def write_link(settings) -> None:
    """Put the settings in the page's URL (the player adds the view as you move)."""
    keep = {k: v for k, v in st.query_params.to_dict().items() if k not in FIELDS and k not in VIEW_KEYS}
    st.query_params.from_dict({**keep, **settings.to_query()})


def usable(settings, baby):
    """Settings this model can run: a prompt it cannot read, or a top-k beyond its vocabulary
    (after switching models), gives way, with a note saying so: (settings, note or None)."""
    from babylm.settings import GenerationSettings

    if settings is None:  # the first page came from assets/: the opening story
        settings = warm.opening()
    if baby.vocab.unknown(settings.prompt):
        settings = replace(settings, prompt=fallback_prompt(baby))
        shown = md(plain(settings.prompt))
        return settings, f"This model can't read the last prompt, so it starts from “{shown}”."
    try:
        return check(settings, baby), None
    except ValueError as err:
        default = GenerationSettings(prompt=fallback_prompt(baby))
        # Keep what fits: only the setting that does not goes back to its default.
        for name in ("top_k", "length", "mode", "temperature", "seed"):
            try:
                kept = check(replace(settings, **{name: getattr(default, name)}), baby)
            except ValueError:
                continue
            return kept, (f"These settings don't fit this model ({md(str(err))}), so {name.replace('_', '-')} is "
                          f"back to {getattr(default, name)}.")
        return default, f"These settings don't fit this model ({md(str(err))}), so it starts from the defaults."


# --- the page -----------------------------------------------------------------------------
def page() -> None:
    ss = st.session_state
    if "gen_play" not in ss and not own_model_in_use():
        ready = warm.default_generation()
        if ready is not None and link_wants(ready[1]["settings"]):
            first_page(*ready)
            warm.start(delay=warm.FIRST_PAGE_HEAD_START)  # then load torch and the model for the first Generate
            return
    warm.torch_ready()
    warm.start()
    from . import state

    model = state.active()
    baby = model.baby
    if "gen_play" not in ss:
        start_session()
    elif "gen_prompt" not in ss:
        # Streamlit forgets a widget's value on a run that does not draw it (a visit to Train or
        # Model): refill the form with the settings on screen, or it comes back empty.
        from babylm.settings import GenerationSettings

        fill_form(ss.gen_settings or GenerationSettings())
    settings, note = usable(ss.gen_settings, baby)
    if note or ss.gen_settings is None:  # kept from another model: start over, form included
        ss.gen_settings = settings
        if note:  # kept with the link's notices until the next Generate (a rerun used to wipe it)
            fill_form(settings)
            ss.gen_notices = [*ss.gen_notices, note]
    c = baby.config
    box, invite = heading(c.cell)
    submitted = settings_form(len(baby.vocab))
    caption(model.label, c.cell, c.num_layers, c.hidden_size, len(baby.vocab))
    new = submitted_settings(baby) if submitted else None
    if ss.get("gen_error"):  # above the player, where the eye is: below the sidebar's fold it went unseen
        box.error(ss["gen_error"], icon=":material/warning:")
    if new is not None:
        ss.update(gen_settings=new, gen_view=ViewState(), gen_play=ss.gen_play + 1, gen_notices=[])
        write_link(new)
        settings = new
    for notice in ss.gen_notices:
        box.info(notice, icon=":material/info:")
    trace, data, trace_id = generation(model.key, settings, baby)
    from .inspect_panel import Inspector  # the analyses need torch: not on the first page

    show(box, invite, data, trace_id, *trace.shape, make_inspector=lambda: Inspector(model, trace, trace_id, settings.prompt))
    from .export_section import export_section  # Pillow and Plotly's colours: not on the first page

    export_section(trace, scales(model.key, baby), ss["player_view"])


def first_page(data: bytes, meta: dict) -> None:
    """A fresh session on the shipped model with the default settings: the precomputed
    generation, no torch. Draws exactly what the full page would."""
    view, notices = ViewState.from_query(st.query_params)
    notices = [md(n) for n in notices]  # they quote the link
    st.session_state.update(gen_settings=None, gen_view=view, gen_play=0, gen_notices=notices,
                            gen_welcome=first_visit())
    fill_form_from_query(meta["settings"])
    box, invite = heading(meta["cell"])
    settings_form(meta["vocab"])  # nothing can have been pressed yet in a new session
    caption(meta["label"], meta["cell"], meta["layers"], meta["units"], meta["vocab"])
    for notice in notices:
        box.info(notice, icon=":material/info:")
    show(box, invite, data, meta["id"], meta["steps"], meta["layers"], meta["units"])


def own_model_in_use() -> bool:
    """Whether this session uses its own model (state.active() without importing torch)."""
    ss = st.session_state
    return ss.get("session_model") is not None and ss.get("use_session_model", True)


def link_wants(defaults: dict[str, str]) -> bool:
    """Whether the link asks for these settings: each settings parameter it has is the same text."""
    return all(st.query_params[name] == value for name, value in defaults.items() if name in st.query_params)


def heading(cell: str):
    """The title; the one container every notice of this run goes into: the player keeps its
    place in the page (and so its iframe, and where the viewer is) whether a run has notices or
    not (a notice appearing or going above it between reruns made Streamlit mount a new frame);
    and the slot beside the title for the invitation to the lessons (welcome)."""
    row = st.container(horizontal=True, vertical_alignment="center", gap="medium")
    row.markdown(f"#### Watch a baby {cell.upper()} write", width="content")
    # The invitation to the lessons goes beside the title, not on a line of its own: on a
    # first visit at 1280x720 that line pushed the history's last rows below the fold.
    invite = row.empty()
    return st.container(), invite


def caption(label: str, cell: str, layers: int, units: int, vocab: int) -> None:
    plural = "s" if layers != 1 else ""
    st.sidebar.caption(f"Model: **{label}** · {layers} {cell.upper()} layer{plural} × {units} units · {vocab} characters")


def show(box, invite, data: bytes, trace_id: str, steps: int, layers: int, units: int, make_inspector=None) -> None:
    """The player, opened at this session's view, and what the viewer is on, kept for other
    parts of the page (lessons, the inspector) in st.session_state["player_view"].
    `make_inspector()` builds the inspector's sections under the player (not on the torch-free
    first page: they need the model)."""
    ss = st.session_state
    view, fit_notices = ss.gen_view.fit(steps, layers, units)
    for notice in fit_notices:
        box.info(notice, icon=":material/info:")
    opening = welcome(invite)  # a first visit: the invitation above the player, and play the story once
    player_box = st.container()
    inspector = make_inspector() if make_inspector else None  # its sections sit below the player
    command, saliency_rows = inspector.controls() if inspector else (None, None)
    command = opening or command
    with player_box:
        shown = player(data, trace_id, view, play=ss.gen_play, command=command, saliency=saliency_rows)
    ss["player_view"] = shown or view
    if inspector:
        inspector.unit_view(ss["player_view"].unit)
    with st.expander("What am I looking at?"):
        st.markdown(EXPLAINER)


def _lessons() -> None:
    """Never run: st.page_link finds the Lessons page of streamlit_app.py by its url_path."""


def welcome(slot) -> dict | None:
    """On a first visit: the invitation to the lessons and, on the very first run only, the
    command that plays the opening story by itself."""
    ss = st.session_state
    # Always one slot (beside the title, see heading), filled or not: the player keeps its place
    # in the page, so Streamlit never mounts a new player (which would lose the replay that
    # Generate asks for).
    if not ss.get("gen_welcome") or ss.gen_play or ss.get("landing_page", "Generate") != "Generate":
        return None
    slot.page_link(st.Page(_lessons, title="Lessons", url_path="lessons"), icon=":material/cookie:",
                 label="New here? Lesson one: how it writes “me want cookie” →",
                 query_params={"lesson": "me-want-cookie", "stop": "1"})
    if ss.get("gen_welcomed"):
        return None
    ss["gen_welcomed"] = True
    return {"id": "welcome", "play": True}


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
