"""The Memory page's figures draw exactly the numbers they are given (NumPy in, Plotly out)."""

from __future__ import annotations

import numpy as np
import pytest

from babylm.memory_figure import CHANCE, COLORS, reach_figure, sounds_figure, spread_figure


def test_reach_figure_one_line_per_model_with_its_numbers():
    distances = [0, 10, 20]
    curves = {"LSTM": np.array([1.0, 0.99, 0.98]), "Simple RNN": np.array([0.25, 0.25, 0.25])}
    fig = reach_figure(distances, curves)
    assert [t.name for t in fig.data] == ["LSTM", "Simple RNN"]
    assert list(fig.data[0].x) == distances and list(fig.data[0].y) == [1.0, 0.99, 0.98]
    assert fig.data[0].line.color == COLORS["LSTM"]
    assert any(shape.y0 == CHANCE for shape in fig.layout.shapes)  # the "forgot" floor
    with pytest.raises(ValueError, match="2 values for 3 distances"):
        reach_figure(distances, {"GRU": np.array([0.5, 0.5])})


def test_sounds_figure_colours_only_the_right_sound():
    probs = {"LSTM": {"meow": 0.97, "woof": 0.01, "quack": 0.01, "oink": 0.01},
             "Simple RNN": {"meow": 0.25, "woof": 0.25, "quack": 0.25, "oink": 0.25}}
    fig = sounds_figure(probs, "meow")
    bars = {t.name: t for t in fig.data}
    assert sorted(bars) == sorted(["meow", "woof", "quack", "oink"])
    assert list(bars["meow"].x) == [0.97, 0.25] and list(bars["meow"].y) == ["LSTM", "Simple RNN"]
    assert list(bars["meow"].marker.color) == [COLORS["LSTM"], COLORS["Simple RNN"]]
    assert set(bars["woof"].marker.color) == {"#dee2e6"}
    assert list(bars["woof"].text) == ["woof 1%", "woof 25%"]  # every bar says what it is


def test_spread_figure_divides_each_model_by_its_own_peak():
    text = "\nme see kitty it say "
    spread = np.linspace(0, 2, len(text))
    fig = spread_figure(text, {"LSTM": spread, "GRU": spread / 10})
    assert np.allclose(fig.data[0].y, spread / 2, atol=1e-4) and np.allclose(fig.data[1].y, fig.data[0].y)
    with pytest.raises(ValueError, match="characters"):
        spread_figure(text, {"LSTM": spread[:-1]})
    # One label per word, at its first character (one per character smeared on a phone).
    axis = fig.layout.xaxis
    assert list(axis.ticktext) == ["me", "see", "kitty", "it", "say"] and list(axis.tickvals) == [2, 5, 9, 15, 18]


def test_the_memory_page_labels_the_fading_chart_with_the_animal_chosen():
    """The chart read "kitty" under the curves while ducky was chosen (teacher click-through)."""
    import json

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("from babylm.app import memory_page\nmemory_page.page()\n", default_timeout=120).run()
    at.radio(key="memory_animal").set_value("ducky").run()
    assert not at.exception
    (spread,) = [c for c in at.get("plotly_chart") if "characters read" in c.proto.spec]
    ticks = json.loads(spread.proto.spec)["layout"]["xaxis"]["ticktext"]
    assert "ducky" in ticks and "kitty" not in ticks
