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
