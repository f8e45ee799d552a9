"""The inspector's Streamlit sections under the player on Generate: the saliency switch (its rows
go to the player, which shades the text; the whole matrix as a heatmap in an expander), one unit
across the training text, and "Compare with another prompt" (the memory-unit finder). Each
section only lays out widgets and calls babylm.analysis; the numbers are the model's own (the
tests read them back out of the page). Imported only once torch is loaded (not on the first page).

A section that changes what the player shows (select a unit, order the history) returns a
*command* for the player (player_component.player's `command`): a dict with a fresh `id`.
"""

from __future__ import annotations

import streamlit as st

from babylm import saliency_wire
from babylm.analysis import MAX_SALIENCY_TEXT, contrast
from babylm.analysis.units import properties_of_trace, reading_of_trace
from babylm.trace import Trace, trace_text
from babylm.safe_text import md

from .coloured_text import coloured_html, legend_html, value_range
from .compute import turn

CORPUS_CHARS = 2_000  # characters of the training text a unit is shown over
TOP_BUTTONS = 5  # units one click away after a comparison
TABLE_ROWS = 12
BOUNDS = {"h": (-1.0, 1.0), "g": (-1.0, 1.0), "n": (-1.0, 1.0), "i": (0.0, 1.0), "f": (0.0, 1.0),
          "o": (0.0, 1.0), "r": (0.0, 1.0), "z": (0.0, 1.0)}  # c has no bound: its own range
LABELS = {"h": "h (hidden)", "c": "c (cell)", "i": "i (input gate)", "f": "f (forget gate)",
          "g": "g (candidate)", "o": "o (output gate)", "r": "r (reset gate)", "z": "z (update gate)",
          "n": "n (candidate)"}


# --- the model's work, cached per model -----------------------------------------------------
def corpus_stretch(text: str | None) -> str | None:
    """The first whole lines of the training text, about CORPUS_CHARS characters."""
    if not text or len(text) < 2:
        return None
    cut = text[: text.rfind("\n", 0, CORPUS_CHARS) + 1]
    return cut if len(cut) >= 2 else text[:CORPUS_CHARS]


@st.cache_resource(max_entries=8, show_spinner="Reading the training text…")
def corpus_trace(model_key: str, _baby) -> Trace | None:
    stretch = corpus_stretch(_baby.text)
    if not stretch:
        return None
    with turn():
        return trace_text(_baby.model, _baby.vocab, stretch)


@st.cache_resource(max_entries=32, show_spinner=False)
def corpus_properties(model_key: str, state: str, _baby):
    trace = corpus_trace(model_key, _baby)
    return properties_of_trace(trace, state) if trace is not None else None


@st.cache_data(max_entries=64, show_spinner="Comparing…")
def ranking(model_key: str, prompt_a: str, prompt_b: str, continuation: str, state: str,
            _baby) -> list[tuple[int, int, float]]:
    with turn():
        return contrast(_baby.model, _baby.vocab, prompt_a, prompt_b, continuation, state=state)


def default_state(names) -> str:
    return "c" if "c" in names else names[0]


def new_command(**fields) -> dict:
    st.session_state["inspect_command_id"] = st.session_state.get("inspect_command_id", 0) + 1
    return {"id": f"inspect-{st.session_state['inspect_command_id']}", **fields}


# --- one unit across the training text --------------------------------------------------------
def unit_corpus_section(model, unit: tuple[int, int] | None) -> None:
    """`unit` is 0-based (layer, unit), or None."""
    baby = model.baby
    if unit is None:
        st.markdown(":gray[Select a unit (click a square or a history row in the player, or a unit "
                    "found by *Compare with another prompt*) to see it over the training text.]")
        return
    trace = corpus_trace(model.key, baby)
    if trace is None:
        st.info("This model has no training text attached, so there is no corpus to read it over.",
                icon=":material/info:")
        return
    names = list(trace.internals)
    state = st.radio("Colour by", names, index=names.index(default_state(names)), horizontal=True,
                     format_func=lambda n: LABELS.get(n, n), key="inspect_corpus_state")
    layer, number = unit[0] + 1, unit[1] + 1
    reading = reading_of_trace(trace, layer, number, state)
    lo, hi = value_range(reading.values, *BOUNDS.get(state, (None, None)))
    note = "the activation's own range" if state in BOUNDS else "this unit's largest |value| over the text"
    props = corpus_properties(model.key, state, baby)
    st.markdown(f"**Layer {layer} · unit {number}**, `{state}` after each character of the first "
                f"{len(trace) + 1:,} characters of the training text · {props.describe(layer, number)}")
    st.html(legend_html(lo, hi, note) +
            '<div style="max-height:240px;overflow-y:auto;border:1px solid #e3e6ee;padding:6px">'
            + coloured_html(reading.text, reading.values, lo, hi, label=f"{state} {layer}:{number}",
                            css_class="unit-text corpus-text") + "</div>")
    most, least = st.columns(2)
    for column, title, contexts in ((most, "Most active", reading.most), (least, "Least active", reading.least)):
        with column:
            st.markdown(f"**{title}**")
            st.html(contexts_html(contexts, state, lo, hi))


def contexts_html(contexts, state: str, lo: float, hi: float) -> str:
    """One line per context: the text before, the character read (coloured by the value after
    reading it), a little after, and the value."""
    import html as html_lib

    from .coloured_text import VISIBLE, colours, ink

    lines = []
    for c, colour in zip(contexts, colours([c.value for c in contexts], lo, hi)):
        show = lambda text: html_lib.escape("".join(VISIBLE.get(ch, ch) for ch in text))  # noqa: E731
        lines.append(
            f'<div class="context" data-t="{c.t}" data-v="{c.value!r}" style="display:flex;gap:0;'
            f'font-family:\'DejaVu Sans Mono\',Menlo,monospace;font-size:14px;white-space:pre">'
            f'<span style="color:#5b6375">{show(c.left)}</span>'
            f'<span style="background:{colour};color:{ink(colour)};padding:0 2px;border-radius:3px">'
            f'{show(c.char)}</span><span style="color:#5b6375">{show(c.right)}</span>'
            f'<span style="margin-left:auto;padding-left:10px">{state} = {c.value:.3g}</span></div>')
    return "".join(lines)


# --- compare with another prompt ----------------------------------------------------------------
def compare_section(model, prompt: str) -> dict | None:
    """The memory-unit finder. Returns a command for the player when a unit or the order is
    picked, else None."""
    baby = model.baby
    names = list(baby.model.internal_names)
    ss = st.session_state
    st.markdown(":gray[The same continuation read after two prompts: which units carry it "
                "differently? Score = the mean over the continuation's characters of |value after "
                "A − value after B|, both read from a blank memory.]")
    if "cmp_a" not in ss:
        ss.update(cmp_a=prompt if prompt.endswith(" ") else "me want ", cmp_b="me love ",
                  cmp_cont="cookie", cmp_state=default_state(names))
    if ss.cmp_state not in names:
        ss.cmp_state = default_state(names)
    with st.form("compare", border=False):
        a, b, cont, which = st.columns([3, 3, 3, 2])
        a.text_input("Prompt A", key="cmp_a")
        b.text_input("Prompt B", key="cmp_b")
        cont.text_input("Then read", key="cmp_cont")
        which.selectbox("Compare", names, format_func=lambda n: LABELS.get(n, n), key="cmp_state")
        submitted = st.form_submit_button("Compare", type="primary")
    if submitted:
        try:
            ranked = ranking(model.key, ss.cmp_a, ss.cmp_b, ss.cmp_cont, ss.cmp_state, baby)
            ss.cmp_result = dict(model=model.key, a=ss.cmp_a, b=ss.cmp_b, cont=ss.cmp_cont,
                                 state=ss.cmp_state, ranked=ranked)
        except ValueError as err:
            st.error(f"Can't compare: {md(str(err))}.", icon=":material/warning:")
            ss.pop("cmp_result", None)
    result = ss.get("cmp_result")
    if not result or result["model"] != model.key:
        return None
    ranked, state = result["ranked"], result["state"]
    props = corpus_properties(model.key, state, baby)
    st.markdown(f"Units whose `{state}` differs most while reading “{result['cont']}” after "
                f"“{result['a']}” vs “{result['b']}”:")
    command = None
    buttons = st.columns(TOP_BUTTONS + 1)
    for column, (layer, unit, score) in zip(buttons, ranked[:TOP_BUTTONS]):
        if column.button(f"{layer}:{unit}", key=f"cmp_pick_{layer}_{unit}",
                         help=f"select layer {layer}, unit {unit} (score {score:.3g})"):
            command = new_command(unit=[layer - 1, unit - 1])
    if buttons[-1].button("Order history", key="cmp_order",
                          help="the history's rows in this ranking (the top unit's layer)"):
        layer = ranked[0][0]
        command = new_command(unit=[layer - 1, ranked[0][1] - 1],
                              rows=[u - 1 for la, u, _ in ranked if la == layer])
    st.dataframe(
        [{"unit": f"{la}:{u}", "score": round(s, 4),
          "what it tracks (over the training text)": props.describe(la, u) if props else "—"}
         for la, u, s in ranked[:TABLE_ROWS]],
        hide_index=True, width="stretch")
    return command


# --- saliency -----------------------------------------------------------------------------------
@st.cache_resource(max_entries=32, show_spinner="Working out which past characters matter…")
def saliency_matrix(model_key: str, trace_id: str, _baby, _trace: Trace):
    """(T, T): the trace's saliency rows (one per model and generation)."""
    from babylm.analysis import saliency

    with turn():
        return saliency(_baby.model, _baby.vocab, _trace.text, mode=_trace.mode)


@st.cache_resource(max_entries=32, show_spinner=False)
def saliency_bytes(model_key: str, trace_id: str, _baby, _trace: Trace) -> bytes:
    """The same rows packed for the player."""
    return saliency_wire.encode(saliency_matrix(model_key, trace_id, _baby, _trace), trace_id)


def saliency_toggle(model, trace: Trace, trace_id: str) -> bytes | None:
    """The switch under the player; the packed rows when it is on and the text is short enough."""
    on = st.toggle("Shade the text by which past characters the prediction leans on (saliency)",
                   key="gen_saliency",
                   help="For the current step: the size of the gradient of log p(next character) "
                        "with respect to each character read so far, as shares of the whole.")
    if not on:
        return None
    if len(trace.text) > MAX_SALIENCY_TEXT:
        st.info(f"Saliency is worked out for texts of up to {MAX_SALIENCY_TEXT} characters; this "
                f"generation has {len(trace.text):,}. Generate fewer characters to see it.", icon=":material/info:")
        return None
    rows = saliency_bytes(model.key, trace_id, model.baby, trace)
    with st.expander("Every step at once: the saliency matrix"):
        from babylm.inspect_figures import saliency_figure  # Plotly: only when opened

        S = saliency_matrix(model.key, trace_id, model.baby, trace)
        st.plotly_chart(saliency_figure(S, list(trace.text)), width="stretch", key="saliency_matrix")
        st.markdown(":gray[Row: the character being predicted; column: a character read before it. "
                    "Each row sums to 1. The player shades the text by the current step's row.]")
    return rows



# --- under the player ---------------------------------------------------------------------------
class Inspector:
    """The inspector's sections under the player. Made before the player is drawn (its
    containers sit below it), so a click here reaches the player in the same run:

        box = st.container(); inspector = Inspector(model, trace, trace_id, prompt)
        command, rows = inspector.controls()
        with box: shown = player(..., command=command, saliency=rows)
        inspector.unit_view(shown.unit if shown else None)
    """

    def __init__(self, model, trace: Trace, trace_id: str, prompt: str):
        self.model, self.trace, self.trace_id, self.prompt = model, trace, trace_id, prompt
        self.switch = st.container()
        self.corpus_tab, self.compare_tab = st.tabs(["This unit across the training text",
                                                     "Compare with another prompt"])
        self.picked = None

    def controls(self) -> tuple[dict | None, bytes | None]:
        """(the command for the player, kept until the next one; the saliency rows or None)."""
        with self.switch:
            rows = saliency_toggle(self.model, self.trace, self.trace_id)
        with self.compare_tab:
            command = compare_section(self.model, self.prompt)
        ss = st.session_state
        if command is not None:
            ss["gen_command"] = command
            self.picked = tuple(command["unit"])
        return ss.get("gen_command"), rows

    def unit_view(self, unit: tuple[int, int] | None) -> None:
        with self.corpus_tab:
            unit_corpus_section(self.model, self.picked or unit)
