"""ViewState: where the viewer looks, as a link. Numbered from 1 in links, 0-based inside; bad
values fall back with one notice each."""

from __future__ import annotations

import pytest

from babylm.view import ViewState


def test_lesson_link_round_trip():
    query = {"prompt": "me love ", "step": "9", "gates": "1", "unit": "2:90"}
    view, notices = ViewState.from_query(query)
    assert view == ViewState(t=8, gates=True, unit=(1, 89)) and notices == []
    assert view.to_query() == {"step": "9", "gates": "1", "unit": "2:90"}
    assert ViewState.from_query(view.to_query())[0] == view
    assert ViewState(order="index").to_query() == {"step": "1", "order": "index"}


@pytest.mark.parametrize("key, value", [("step", "0"), ("step", "x"), ("gates", "yes"),
                                        ("unit", "90"), ("unit", "0:3"), ("unit", "a:b"), ("order", "random")])
def test_bad_view_values_fall_back_with_a_notice(key, value):
    view, notices = ViewState.from_query({key: value, "prompt": "me "})
    assert view == ViewState()
    assert len(notices) == 1 and key in notices[0]


def test_a_view_is_fitted_to_the_trace_and_model():
    view, notices = ViewState(t=500, unit=(2, 5)).fit(steps=67, layers=2, units=128)
    assert view == ViewState(t=66) and len(notices) == 2
    assert ViewState(t=3, unit=(1, 127)).fit(67, 2, 128) == (ViewState(t=3, unit=(1, 127)), [])


def test_player_reports_round_trip():
    view = ViewState(t=4, gates=True, unit=(0, 7), order="index")
    assert ViewState.from_player(view.to_player()) == view
    with pytest.raises(ValueError):
        ViewState.from_player({"t": -1})
