"""The inspector's Python side: the coloured text carries the trace's own numbers, the saliency
buffer reads back what was computed, and the Streamlit sections (compare, this unit across the
corpus) show the analyses' numbers and hand the player a command."""

from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from babylm import saliency_wire
from babylm.analysis import contrast, saliency
from babylm.analysis.units import reading_of_trace
from babylm.app.coloured_text import coloured_html, colours, value_range
from babylm.settings import GenerationSettings
from babylm.trace import trace_generation, trace_text


def test_coloured_text_carries_the_traces_values(pretrained):
    text = "me want cookie\nme see doggy\n"
    trace = trace_text(pretrained.model, pretrained.vocab, text)
    reading = reading_of_trace(trace, 2, 69, "c")
    lo, hi = value_range(reading.values)
    page = coloured_html(reading.text, reading.values, lo, hi)
    shown = [float(v) for v in re.findall(r'data-v="([^"]+)"', page)]
    np.testing.assert_array_equal(np.array(shown, dtype=np.float32), trace.internals["c"][:, 1, 68])
    assert page.count("<br>") == text[:-1].count("\n")
    assert lo == -hi == -np.abs(reading.values).max()


def test_colours_run_from_blue_through_white_to_red_and_clip():
    low, mid, high, beyond = colours(np.array([-1.0, 0.0, 1.0, 5.0]), -1.0, 1.0)
    assert (low, mid, high, beyond) == ("rgb(5,48,97)", "rgb(247,247,247)", "rgb(103,0,31)", "rgb(103,0,31)")
    assert colours(np.array([0.0]), 0.0, 1.0) == ["rgb(68,1,84)"]  # a gate: sequential
    with pytest.raises(ValueError, match="one value per character"):
        coloured_html("abc", np.zeros(2), -1, 1)


def test_saliency_buffer_reads_back_to_within_its_step(pretrained):
    text = "me want cookie\n"
    S = saliency(pretrained.model, pretrained.vocab, text)
    R, key = saliency_wire.decode(saliency_wire.encode(S, "trace-7"))
    assert key == "trace-7" and R.shape == S.shape
    np.testing.assert_allclose(R, S, atol=0.5 / saliency_wire.SCALE + 1e-7)
    assert np.all(np.triu(R, k=1) == 0)
    with pytest.raises(ValueError, match="BLMS"):
        saliency_wire.decode(b"nope" + bytes(20))


SECTIONS = """
import streamlit as st
from babylm.app import state
from babylm.app.inspect_panel import compare_section, unit_corpus_section
model = state.active()
command = compare_section(model, "me want ")
if command:
    st.session_state["command"] = command
    st.session_state["unit"] = tuple(command["unit"])
unit_corpus_section(model, st.session_state.get("unit"))
"""


def test_compare_finds_the_units_and_one_click_selects_one(pretrained):
    at = AppTest.from_string(SECTIONS, default_timeout=240).run()
    assert not at.exception
    at.button[0].click().run()  # Compare, with the defaults "me want " / "me love " / "cookie"
    assert not at.exception
    expected = contrast(pretrained.model, pretrained.vocab, "me want ", "me love ", "cookie")
    labels = [b.label for b in at.button]
    assert labels[1:6] == [f"{la}:{u}" for la, u, _ in expected[:5]]
    table = at.dataframe[0].value
    assert list(table["unit"][:3]) == [f"{la}:{u}" for la, u, _ in expected[:3]]
    np.testing.assert_allclose(table["score"][:3], [round(s, 4) for _, _, s in expected[:3]])
    layer, unit, _ = expected[1]
    at.button(key=f"cmp_pick_{layer}_{unit}").click().run()
    assert at.session_state["command"]["unit"] == [layer - 1, unit - 1]
    assert any(f"Layer {layer} · unit {unit}" in m.value and "best match" in m.value for m in at.markdown)
    at.button(key="cmp_order").click().run()  # the history in this ranking, the top unit's layer
    command = at.session_state["command"]
    top_layer = expected[0][0]
    assert command["rows"] == [u - 1 for la, u, _ in expected if la == top_layer]
    assert command["unit"] == [top_layer - 1, expected[0][1] - 1]
    # A bad prompt: one line, and the old result is gone rather than shown for the wrong prompts.
    at.text_input(key="cmp_b").set_value("me love 7")
    at.button[0].click().run()  # a form's values count when it is submitted
    assert "Can't compare" in at.error[0].value and "never seen these characters: 7" in at.error[0].value
    assert not any(b.label == f"{layer}:{unit}" for b in at.button)


def test_saliency_heatmap_holds_the_matrix_and_leaves_the_future_blank(pretrained):
    from babylm.inspect_figures import saliency_figure

    text = "me want cookie\n"
    S = saliency(pretrained.model, pretrained.vocab, text)
    z = np.array(saliency_figure(S, list(text)).data[0].z, dtype=float)
    lower = np.tril(np.ones_like(S, dtype=bool))
    np.testing.assert_array_equal(z[lower], S[lower])
    assert np.isnan(z[~lower]).all()


SALIENCY_SWITCH = """
import streamlit as st
from babylm.app import state
from babylm.app.inspect_panel import saliency_toggle
from babylm.settings import GenerationSettings
from babylm.trace import trace_generation
model = state.active()
length = st.session_state.get("length", 20)
trace = trace_generation(model.baby.model, model.baby.vocab, GenerationSettings(length=length, seed=1))
st.session_state["rows"] = saliency_toggle(model, trace, f"trace-{length}")
"""


def test_saliency_switch_sends_the_rows_and_refuses_a_long_text_with_a_note(pretrained):
    at = AppTest.from_string(SALIENCY_SWITCH, default_timeout=240).run()
    assert at.session_state["rows"] is None  # off until asked for
    at.toggle(key="gen_saliency").set_value(True).run()
    assert not at.exception
    S, key = saliency_wire.decode(at.session_state["rows"])
    trace = trace_generation(pretrained.model, pretrained.vocab, GenerationSettings(length=20, seed=1))
    assert key == "trace-20"
    np.testing.assert_allclose(S, saliency(pretrained.model, pretrained.vocab, trace.text), atol=1e-5)
    at.session_state["length"] = 600  # longer than MAX_SALIENCY_TEXT
    at.run()
    assert at.session_state["rows"] is None
    assert "up to 500 characters" in at.info[0].value
