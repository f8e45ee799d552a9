"""The Memory page's "try one line", headless with AppTest: what it says matches its controls."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

PAGE = "from babylm.app import memory_page\nmemory_page.page()"


def test_the_filler_slider_offers_only_lengths_a_filler_can_have_and_the_sentence_agrees():
    """Found by a hostile click-through: the slider went to 1 and 2 while the sentence said
    "3 characters" (no baby word is shorter than 2 letters and a space)."""
    at = AppTest.from_string(PAGE, default_timeout=120).run()
    assert not at.exception
    (slider,) = [s for s in at.select_slider if s.key == "memory_distance"]
    assert slider.options[:3] == ["0", "3", "4"] and slider.value == 40
    for distance in (0, 3, 57):
        slider.set_value(distance).run()
        said = next(m.value for m in at.markdown if "characters before" in m.value)
        assert f"The animal is **{distance}** characters before" in said


def test_a_filler_seed_out_of_range_says_so_and_shows_a_line():
    """Found by a hostile click-through: 99999 sat in a red box and nothing changed."""
    at = AppTest.from_string(PAGE, default_timeout=120).run()
    at.number_input(key="memory_seed").set_value(99999).run()
    assert not at.exception
    assert "must be a whole number from 0 to 9,999, got 99,999" in at.error[0].value
    assert any("characters before" in m.value for m in at.markdown)
