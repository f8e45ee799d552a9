"""The Plotly figures left after the player moved to canvases: the training curves."""

from __future__ import annotations

from babylm import figures


def test_loss_figure_has_both_curves():
    fig = figures.loss_figure([0.5, 1.0], [2.0, 1.5], [1.0], [1.7])
    assert [t.name for t in fig.data] == ["training loss", "validation loss"]
    assert list(fig.data[1].y) == [1.7]


def test_visible_shows_spaces_and_newlines():
    assert [figures.visible(ch) for ch in "a \n"] == ["a", "␣", "⏎"]
