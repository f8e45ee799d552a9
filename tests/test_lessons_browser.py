"""Teaching in a real headless Chromium: a lesson's stops command the player, the quiz hides
the answer until a guess, and the in-player temperature reshapes the bars without the server.
Screenshots of each test land in artifacts/screenshots/ (the projector and the phone sizes too).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from babylm.sampling import sampling_probs
from browser_support import LOAD_MS, PLAYER, SHOTS, expect, full_page_screenshot, session_page

LESSON = "/lessons?lesson=me-want-cookie&stop="


def open_player(page, url: str):
    page.goto(url)
    player = page.frame_locator(PLAYER)
    expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=LOAD_MS)
    frame = page.locator(PLAYER).element_handle(timeout=LOAD_MS).content_frame()
    frame.wait_for_function("() => window.babylmPlayer && window.babylmPlayer.trace !== null")
    return player, frame


def sent_frames(page) -> list:
    """Every websocket frame the browser sends Streamlit (each rerun or widget value is one)."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame))
            if "_stcore/stream" in ws.url else None)
    return sent


def highlighted(player) -> list[str]:
    return player.locator(".lesson-highlight").evaluate_all("els => els.map(e => e.id)")


# --- a lesson -------------------------------------------------------------------------------
def test_a_lesson_next_twice_moves_the_player_and_the_link_names_the_stop(page):
    player, frame = open_player(page, LESSON + "1")
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 1 of \d+$"))
    assert highlighted(player) == ["text-panel"]
    expect(player.locator("#text .lesson-char")).to_have_text("m")
    page.get_by_role("button", name="Next ▶").click()
    expect(page.get_by_text("stop 2 of 9")).to_be_visible()
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 8 of"))
    page.get_by_role("button", name="Next ▶").click()
    expect(page.get_by_text("stop 3 of 9")).to_be_visible()
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 8 of"))
    expect(player.locator("#bars-view")).to_have_class(re.compile("lesson-highlight"))
    assert highlighted(player) == ["bars-view"]
    assert re.search(r"[?&]lesson=me-want-cookie", page.url) and re.search(r"[?&]stop=3\b", page.url)
    expect(page.locator(".lesson-text")).to_contain_text("After “me want ” the bars")
    expect(page.locator(".lesson-question .lesson-q")).to_have_text("?")  # drawn: an emoji was an empty box
    # Change of mind: back one, then the clicker's PageDown key forward again.
    page.get_by_role("button", name="◀ Back").click()
    expect(page.get_by_text("stop 2 of 9")).to_be_visible()
    expect(player.locator("#history-view")).to_have_class(re.compile("lesson-highlight"))
    page.locator("body").press("PageDown")
    expect(page.get_by_text("stop 3 of 9")).to_be_visible()
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 8 of"))


def test_on_a_projector_the_gate_a_stop_is_about_is_on_screen(browser, server):
    """Stop 8 is about the forget gate: at 1280x720 its panels are on screen, first of the gate
    rows (they were the second row, below the fold: teacher click-through)."""
    with session_page(browser, server, viewport={"width": 1280, "height": 720}) as page:
        player, frame = open_player(page, LESSON + "8")
        expect(player.locator("#counter")).to_have_text(re.compile(r"^step 13 of"))
        gate = player.locator("figure.highlight[data-panel='f']").last
        expect(gate).to_be_visible()
        box = gate.bounding_box()
        assert box["y"] + box["height"] <= 720, box


def test_keys_inside_the_player_still_reach_the_lesson_and_the_quiz(page):
    """With the focus inside the player (a click on Step, a Tab to its quiz box), PageDown still
    moves the lesson, and Space at a question is a guess of a space, not a click on the focused
    quiz box that turned the quiz off and wiped the score (click-through with a keyboard)."""
    player, frame = open_player(page, LESSON + "2")
    player.locator("#step").click()  # focus inside the player's frame
    player.locator("#step").press("PageDown")
    expect(page.get_by_text("stop 3 of 9")).to_be_visible()
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 8 of"))
    quiz = player.locator("#quiz")
    page.wait_for_timeout(1100)  # past the click on Step: focus now comes from the keyboard
    quiz.focus()  # as Tab reaches it
    quiz.press(" ")  # Space on a box reached by keyboard ticks it
    expect(quiz).to_be_checked()
    expect(player.locator("#player")).to_have_class(re.compile("quiz-hidden"))  # step 8 asks
    quiz.press(" ")  # the answer: a space
    expect(quiz).to_be_checked()
    expect(player.locator("#quiz-score")).to_contain_text("You said “␣” ✗")
    player.locator("#step").press("PageUp")
    expect(page.get_by_text("stop 2 of 9")).to_be_visible()


def test_a_highlighted_panel_leaves_the_toggles_above_it_clear(page):
    """The bars' outline (offset 2 px, 3 px wide) cut through the quiz / sampling boxes above."""
    player, frame = open_player(page, LESSON + "3")
    expect(player.locator("#bars-view")).to_have_class(re.compile("lesson-highlight"))
    toggles = player.locator(".teach-toggles").bounding_box()
    bars = player.locator("#bars-view").bounding_box()
    assert bars["y"] - 5 >= toggles["y"] + toggles["height"], (toggles, bars)


def test_the_browser_back_button_goes_back_one_stop_per_press(page):
    """Each stop is one history entry: one Back after Next is the stop before (it took two
    presses while a stop wrote its link in two steps)."""
    player, frame = open_player(page, LESSON + "7")
    expect(page.get_by_text("stop 7 of 9")).to_be_visible()
    page.get_by_role("button", name="Next ▶").click()
    expect(page.get_by_text("stop 8 of 9")).to_be_visible()
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 13 of"))
    page.go_back()
    expect(page.get_by_text("stop 7 of 9")).to_be_visible(timeout=LOAD_MS)
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 11 of"))


def test_a_unit_stop_selects_the_unit_and_outlines_the_gate(page):
    player, frame = open_player(page, LESSON + "8")
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 13 of"))
    unit = frame.evaluate("() => window.babylmPlayer.store.state.unit")
    text = page.locator(".lesson-text").text_content()
    layer, number = (int(x) for x in re.search(r"layer (\d+), unit (\d+)", text).groups())
    assert unit == [layer - 1, number - 1]
    expect(player.locator("#gates")).to_be_checked()
    expect(player.locator("figure.highlight[data-panel='f']").first).to_be_visible()


def test_a_reload_keeps_the_stop(page):
    player, _ = open_player(page, LESSON + "4")
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 9 of"))
    page.reload()
    player, _ = open_player(page, page.url)
    expect(page.get_by_text("stop 4 of 9")).to_be_visible()
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 9 of"))


# --- predict, then reveal -----------------------------------------------------------------------
def test_the_quiz_hides_the_next_character_until_a_guess_and_keeps_score(page):
    player, frame = open_player(page, LESSON + "1")  # step 1: the prompt gives "e", no question
    player.locator("#quiz").check()
    expect(player.locator("#player")).not_to_have_class(re.compile("quiz-hidden"))
    page.locator("body").press(" ")  # play: it stops by itself at the first question (step 8)
    frame.wait_for_function("() => !window.babylmPlayer.playing", timeout=10_000)
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 8 of"))
    expect(player.locator("#player")).to_have_class(re.compile("quiz-hidden"))
    expect(player.locator("#bars-view canvas")).to_be_hidden()
    # Hidden, and seen to be hidden: a grey box with a "?" as wide as a character (with a font
    # size of 0 it had no size, and its white "?" stood on the near-white panel).
    box = player.locator("#text .chosen").evaluate("""e => { const r = e.getBoundingClientRect(), c = getComputedStyle(e);
        return [r.width, c.color, c.backgroundColor]; }""")
    assert box[0] >= 8 and box[1] == "rgba(0, 0, 0, 0)" and box[2] == "rgb(134, 142, 150)", box
    expect(player.locator("#caption")).to_be_hidden()
    full_page_screenshot(page, SHOTS / "quiz-question.png")

    page.locator("body").press("b")  # typed guess: b (c was the model's favourite and came next)
    expect(player.locator("#player")).not_to_have_class(re.compile("quiz-hidden"))
    expect(player.locator("#bars-view canvas")).to_be_visible()
    expect(player.locator("#text .chosen")).to_have_text("c")
    expect(player.locator(".quiz-score")).to_have_text("Score: you 0 of 1 · the model's favourite 1 of 1")
    expect(player.locator("#quiz-score")).to_contain_text("You said “b” ✗")
    full_page_screenshot(page, SHOTS / "quiz-revealed.png")

    page.locator("body").press("ArrowRight")  # step 9: hidden again; tap the answer this time
    expect(player.locator("#player")).to_have_class(re.compile("quiz-hidden"))
    player.get_by_role("button", name="guess o").click()
    expect(player.locator(".quiz-score")).to_have_text("Score: you 1 of 2 · the model's favourite 2 of 2")
    for _ in range(5):  # to step 14: it has read "me want cookie", a line break comes next
        page.locator("body").press("ArrowRight")
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 14 of"))
    page.locator("body").press("Enter")
    expect(player.locator(".quiz-score")).to_have_text("Score: you 2 of 3 · the model's favourite 3 of 3")
    page.locator("body").press("ArrowLeft")  # step 13 was skipped: its question is still open
    expect(player.locator("#player")).to_have_class(re.compile("quiz-hidden"))
    for _ in range(4):  # back to step 9, already guessed: shown, score kept
        page.locator("body").press("ArrowLeft")
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 9 of"))
    expect(player.locator("#player")).not_to_have_class(re.compile("quiz-hidden"))
    expect(player.locator(".quiz-score")).to_have_text("Score: you 2 of 3 · the model's favourite 3 of 3")
    player.locator("#quiz").uncheck()
    expect(player.locator("#quiz-score")).to_be_hidden()


# --- sampling made visible ----------------------------------------------------------------------
def test_the_in_player_temperature_reshapes_the_bars_without_the_server(page, pretrained):
    sent = sent_frames(page)
    player, frame = open_player(page, "/lessons?lesson=sampling&stop=3")  # temperature 1, step 8
    player.locator("#sampling").check()
    expect(player.locator("#sampling-view canvas")).to_be_visible()
    page.wait_for_timeout(600)  # past the player's report debounce: nothing is pending
    quiet = len(sent)
    slider = player.locator("#sampling-view input.temp")
    before = frame.evaluate("() => document.querySelector('#sampling-view canvas').toDataURL()")
    slider.fill("2")
    expect(player.locator("#sampling-view output")).to_have_text("2.00")
    player.locator("#sampling-view select.topk").select_option("3")
    slider.focus()
    for _ in range(4):
        slider.press("ArrowLeft")  # keyboard only: 2.00 -> 1.80, and the player's step stays
    expect(player.locator("#sampling-view output")).to_have_text("1.80")
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 8 of"))
    after = frame.evaluate("() => document.querySelector('#sampling-view canvas').toDataURL()")
    assert after != before
    page.wait_for_timeout(600)
    assert len(sent) == quiet, "moving the in-player temperature sent messages to the server"
    # What it draws is the core's sampling_probs of the model's own (wire-rounded) probabilities.
    drawn, row = frame.evaluate("""() => { const S = window.babylmPlayer, v = S.views.find(v => v.drawn);
        const V = S.trace.vocab, t = S.t;
        return [Array.from(v.drawn), Array.from(S.trace.probs.subarray(t * V, (t + 1) * V))]; }""")
    want = sampling_probs(torch.log(torch.tensor(row, dtype=torch.float64)), 1.8, 3).numpy()
    np.testing.assert_allclose(drawn, want, atol=1e-6)
    assert sum(p > 0 for p in drawn) == 3


def test_what_it_draws_from_is_the_models_own_share_the_lesson_quotes(page, pretrained):
    """Stop 6 (temperature 1.5, top-k 3) says c gets some share: the view under it says the same,
    reshaped from the model's own float32 probabilities (from 3-digit ones it read 37.8% under
    a text saying 37.7%: found by a teacher click-through)."""
    from babylm.settings import GenerationSettings
    from babylm.trace import trace_generation

    player, frame = open_player(page, "/lessons?lesson=sampling&stop=6")
    expect(player.locator("#sampling-view canvas")).to_be_visible()
    expect(player.locator("#counter")).to_have_text(re.compile(r"^step 8 of"))
    drawn = frame.evaluate("() => Array.from(window.babylmPlayer.views.find(v => v.drawn).drawn)")
    trace = trace_generation(pretrained.model, pretrained.vocab, GenerationSettings(
        prompt="me want ", length=60, temperature=1.5, top_k=3, seed=7))
    want = sampling_probs(torch.log(torch.tensor(trace.probs[7], dtype=torch.float64)), 1.5, 3).numpy()
    np.testing.assert_allclose(drawn, want, atol=1e-7)
    c = pretrained.vocab.stoi["c"]
    quoted = re.search(r"m can be drawn: c ([\d.]+%)", page.locator(".lesson-text").text_content()).group(1)
    assert quoted == f"{100 * drawn[c]:.3g}%" == f"{100 * want[c]:.3g}%"
    # Shares too small for 3 digits read as such, not in scientific notation ("3.7e-24% together").
    shown = frame.evaluate("""async () => { const w = await import('./wire.js');
        return [3.7e-26, 9.99e-6, 1e-5, 0.2345, 0.99996].map(p => w.formatPercent(p)); }""")
    assert shown == ["<0.001%", "<0.001%", "0.00100%", "23.4%", ">99.9%"]


@pytest.mark.parametrize("size", [(1280, 720), (390, 844)])
def test_screens_a_lesson_stop_with_sampling_at_projector_and_phone_sizes(browser, server, size):
    width, height = size
    viewport = {"width": width, "height": height}
    with session_page(browser, server, viewport=viewport) as page:
        player, _ = open_player(page, "/lessons?lesson=sampling&stop=4")
        player.locator("#sampling").check()
        expect(player.locator("#sampling-view canvas")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"lesson-sampling-{width}x{height}.png"))
        if width >= 1280:  # beside the model's bars, all its rows on a projector (6 of 10 were)
            box = player.locator("#sampling-view canvas").bounding_box()
            assert box["y"] + box["height"] <= height, box
        # Nothing of the lesson bar overflows sideways on a phone.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_key_hints_on_the_lesson_buttons_only_where_there_are_keys(browser, server):
    """PageUp / PageDown hints suit a laptop and a clicker, not a phone (student click-through)."""
    hint = "button kbd[aria-label='Shortcut PageDown']"
    with session_page(browser, server, viewport={"width": 1280, "height": 720}) as page:
        open_player(page, LESSON + "2")
        expect(page.locator(hint).first).to_be_visible()
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server,
                                  is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        open_player(page, LESSON + "2")
        expect(page.get_by_role("button", name=re.compile("Next"))).to_be_visible()
        for kbd in page.locator(hint).all():
            expect(kbd).to_be_hidden()
        assert page.locator(hint).count() >= 1
    finally:
        context.close()
