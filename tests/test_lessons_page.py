"""The Lessons page and the Generate page's opening, run headless with AppTest: what the server
tells the player at each stop. Clicking in the player itself is in test_lessons_browser.py."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from babylm.lessons import find, show_stop

from test_app import player_args

LESSONS = """
from babylm.app import lessons_page
lessons_page.page()
"""
GENERATE = """
from babylm.app import generate_page
generate_page.page()
"""


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def lesson_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "lesson-text" in m.value)


@pytest.fixture
def lessons_app() -> AppTest:
    return AppTest.from_string(LESSONS, default_timeout=60)


def test_the_list_starts_a_lesson_and_next_back_move_between_stops(lessons_app, pretrained):
    at = lessons_app.run()
    assert not at.exception
    assert any("Me want cookie" in m.value for m in at.markdown)
    button(at, "Start ▶").click().run()  # the first lesson: me want cookie
    assert at.query_params["lesson"] == "me-want-cookie" and at.query_params["stop"] == "1"
    assert any("stop 1 of 9" in m.value for m in at.markdown)
    assert button(at, "◀ Back").disabled
    lesson = find("me-want-cookie")
    for number in (2, 3):
        button(at, "Next ▶").click().run()
        assert not at.exception
        assert at.query_params["stop"] == str(number)
    want = show_stop(lesson, 3, pretrained.model, pretrained.vocab)
    assert want.text.split("”")[0] in lesson_text(at)  # the model's own numbers, computed
    assert "c 24" in lesson_text(at)
    args = player_args(at)
    assert args["view"]["t"] == 7 and args["command"]["t"] == 7  # step 8: it has read "me want "
    assert args["command"]["highlight"] == "bars"
    assert "".join(args["payload"]["itos"][i] for i in args["payload"]["inputs"][:8]) == "me want "
    button(at, "◀ Back").click().run()
    assert at.query_params["stop"] == "2" and player_args(at)["command"]["highlight"] == "history"
    first = player_args(at)["command"]["id"]
    button(at, "Next ▶").click().run()
    button(at, "◀ Back").click().run()
    assert player_args(at)["command"]["id"] != first  # coming back re-applies the stop


def test_a_stop_with_a_unit_selects_the_finders_unit_and_opens_the_gates(lessons_app, pretrained):
    from babylm.analysis.contrast import contrast

    lessons_app.query_params.update(lesson="me-want-cookie", stop="8")
    at = lessons_app.run()
    assert not at.exception
    layer, unit, _ = contrast(pretrained.model, pretrained.vocab, "me want ", "me love ", "cookie")[0]
    command = player_args(at)["command"]
    assert command["unit"] == [layer - 1, unit - 1] and command["gates"] is True
    assert command["highlight"] == "f"
    assert f"layer {layer}, unit {unit}" in lesson_text(at)


def test_a_sampling_stop_opens_what_it_draws_from(lessons_app):
    lessons_app.query_params.update(lesson="sampling", stop="3")
    at = lessons_app.run()
    assert player_args(at)["command"]["sampling"] is True
    assert float(player_args(at)["payload"]["settings"]["temperature"]) == 1


def test_a_stop_with_a_character_and_other_settings(lessons_app):
    lessons_app.query_params.update(lesson="me-want-cookie", stop="9")
    at = lessons_app.run()
    args = player_args(at)
    assert args["command"]["char"] == 10  # the 11th character, counted from 0 in the player
    assert args["payload"]["settings"]["mode"] == "window"
    assert button(at, "Next ▶").disabled


@pytest.mark.parametrize("query, says", [
    ({"lesson": "nope"}, "no lesson called 'nope'"),
    ({"lesson": "sampling", "stop": "99"}, "This lesson has stops 1 to 6: showing stop 1."),
    ({"lesson": "sampling", "stop": "two"}, "This lesson has stops 1 to 6: showing stop 1."),
])
def test_a_bad_lesson_link_says_so_in_one_line(lessons_app, query, says):
    lessons_app.query_params.update(query)
    at = lessons_app.run()
    assert not at.exception
    assert any(says in i.value for i in at.info)


def test_a_first_visit_to_generate_plays_lesson_ones_story_once_and_invites_to_the_lessons():
    at = AppTest.from_string(GENERATE, default_timeout=60).run()
    assert not at.exception
    args = player_args(at)
    settings = args["payload"]["settings"]
    assert (settings["prompt"], float(settings["temperature"])) == ("me want ", 0.0)
    written = "".join(args["payload"]["itos"][i] for i in args["payload"]["outputs"][7:13])
    assert written == "cookie"
    assert args["command"] == {"id": "welcome", "play": True}
    links = at.get("page_link")
    assert links and "Lesson one" in links[0].proto.label
    at.run()
    assert player_args(at)["command"] is None  # played once; a rerun does not replay


def test_a_link_with_settings_opens_them_without_the_welcome():
    at = AppTest.from_string(GENERATE, default_timeout=60)
    at.query_params.update(prompt="me love ", temperature="0.8", seed="3")
    at.run()
    args = player_args(at)
    assert args["payload"]["settings"]["prompt"] == "me love " and args["command"] is None
    assert not at.get("page_link")


def test_next_counts_from_the_stop_the_link_is_on_now(monkeypatch):
    """Back and Next move from the URL's stop when pressed, not from the stop their button was
    drawn at: a clicker's second quick PageDown, arriving before the redraw, carried the same
    target and moved to the same stop again (found by a hostile click-through)."""
    import types

    from babylm.app import lessons_page

    class Params(dict):
        def update(self, **kw):
            super().update(kw)

        def from_dict(self, values):
            self.clear()
            super().update(values)

    fake = types.SimpleNamespace(query_params=Params(lesson="me-want-cookie", stop="3"), session_state={})
    monkeypatch.setattr(lessons_page, "st", fake)
    lessons_page.move("me-want-cookie", +1, 9)
    lessons_page.move("me-want-cookie", +1, 9)  # the same button, pressed again before a redraw
    assert fake.query_params["stop"] == "5"
    for _ in range(9):
        lessons_page.move("me-want-cookie", +1, 9)
    assert fake.query_params["stop"] == "9"  # never past the last stop
    fake.query_params.update(stop="not a number")
    lessons_page.move("me-want-cookie", -1, 9)
    assert fake.query_params["stop"] == "1"


def test_coming_back_to_lessons_finds_the_stop_the_class_was_on():
    """Found by a hostile click-through: Lessons at stop 5 -> Generate -> Lessons showed the
    list, and the teacher clicked through from the start again. "All lessons" still lists."""
    at = AppTest.from_string(LESSONS, default_timeout=60)
    at.query_params.update(lesson="me-want-cookie", stop="5")
    at.run()
    assert "stop 5 of" in at.markdown[1].value or any("stop 5 of" in m.value for m in at.markdown)
    at.query_params.clear()  # the navigation's Lessons link carries no lesson
    at.run()
    assert any("stop 5 of" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "All lessons").click().run()
    assert not any("stop 5 of" in m.value for m in at.markdown)
    at.query_params.clear()
    at.run()
    assert any(m.value.startswith("#### Lessons") for m in at.markdown)


def test_a_lesson_uses_the_shipped_model_while_ones_own_is_active(lessons_app, pretrained):
    """Its words were written about the shipped model: with a model of one's own active (a tiny,
    barely trained one), stop 3 still quotes and shows the shipped model, and says so."""
    from babylm import BABY_DATASET, BabyLanguageModel
    from babylm.app import session, state

    baby = BabyLanguageModel(BABY_DATASET, hidden_size=8, num_layers=1, embedding_dim=4)
    baby.build_model(seed=1)
    own = state.make_model(baby, "your model (0 epochs)", "trained")
    lessons_app.session_state["babylm"] = session.Session(pending=own)  # adopted as the active model
    lessons_app.query_params.update(lesson="me-want-cookie", stop="3")
    at = lessons_app.run()
    assert not at.exception
    assert at.session_state["session_model"] is own and at.session_state["use_session_model"]
    want = show_stop(find("me-want-cookie"), 3, pretrained.model, pretrained.vocab)
    assert want.text.split("”")[0] in lesson_text(at) and "c 24" in lesson_text(at)
    from babylm.trace import trace_generation

    shipped = trace_generation(pretrained.model, pretrained.vocab, want.settings)
    np.testing.assert_array_equal(player_args(at)["payload"]["probs"], shipped.probs)  # the shipped model's bars
    assert any("Lessons use the shipped model" in c.value for c in at.caption)
