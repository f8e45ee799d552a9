"""End-to-end tests of the app in a real headless Chromium: the player, the forms, the pages.

One `streamlit run` server for the whole run; a fresh browser context (a new Streamlit session)
per test. Every test leaves a full-page screenshot in artifacts/screenshots/<test>.png. The
fixtures (server, browser, page) live in browser_support.py.

Needs Debian's /usr/bin/chromium (playwright's own browser download is not used). Without it
these tests skip, except under CI=true, where browser tests must run and so fail instead.
"""

from __future__ import annotations

import io
import json
import random
import re
import time

import numpy as np
import pytest
from PIL import Image

from browser_support import (LOAD_MS, PLAYER, SHOTS, Page, alert, expect, full_page_screenshot, session_page,
                             train_two_epochs)
# Other test files once imported these from here; they live in browser_support.py now.
from browser_support import CHROMIUM_ARGS, VIEWPORT, chromium, free_port, unavailable  # noqa: F401


# --- fixtures (server, browser and page are in browser_support.py) ---------------------------
@pytest.fixture(scope="session")
def pretrained_trace(pretrained):
    """The pretrained model's trace for some settings, computed here, independently of the app."""
    from babylm.settings import GenerationSettings
    from babylm.trace import trace_generation

    return lambda **kw: trace_generation(pretrained.model, pretrained.vocab, GenerationSettings(**kw))


# --- helpers --------------------------------------------------------------------------------
def player_frame(page: Page):
    """The player's Frame (for evaluate / wait_for_function inside it), once its script has run:
    right after a page switch the iframe exists before `window.babylmPlayer` does."""
    frame = page.locator(PLAYER).element_handle(timeout=LOAD_MS).content_frame()
    frame.wait_for_function("() => !!window.babylmPlayer", timeout=LOAD_MS)
    return frame


def counter(player) -> tuple[int, int]:
    """(step, of) from the player's "step N of M" counter."""
    step, total = re.fullmatch(r"step (\d+) of (\d+)", player.locator("#counter").text_content()).groups()
    return int(step), int(total)


def expect_step(player, step: int, total: int | None = None) -> None:
    of = str(total) if total else r"\d+"
    expect(player.locator("#counter")).to_have_text(re.compile(rf"step {step} of {of}$"))


def open_generate(page: Page, query: str = ""):
    """Open Generate (with a link's query) and wait for the player; returns its FrameLocator.
    Without a query it opens the library defaults (GenerationSettings(): temperature 0.8) as a
    link, so the player does not play the opening story by itself as on a first visit
    (test_lessons_browser.py tests that)."""
    page.goto("/" + (query or "?temperature=0.8"))
    player = page.frame_locator(PLAYER)
    expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=LOAD_MS)
    player_frame(page).wait_for_function("() => window.babylmPlayer && window.babylmPlayer.trace !== null")
    return player


def generate(page: Page, **fields) -> None:
    """Type into the sidebar's form like a person (fill, then Tab away) and press Generate."""
    for label, value in fields.items():
        box = page.get_by_role("textbox" if label == "Prompt" else "spinbutton", name=label)
        box.fill(str(value))
        box.press("Tab")
    page.get_by_role("button", name="Generate ▶").click()


def text_shown(player) -> str:
    return player.locator("#text").text_content()


def pause_at(page: Page, player, step: int) -> None:
    """Pause, then go to `step` (1-based) with the keys (Home, then →), the same way every time."""
    player_frame(page).evaluate("() => window.babylmPlayer.player.pause()")
    page.keyboard.press("Home")
    for _ in range(step - 1):
        page.keyboard.press("ArrowRight")
    expect_step(player, step)


# --- the player -----------------------------------------------------------------------------
def test_generate_opens_at_step_one_and_steps(page):
    player = open_generate(page)
    _, total = counter(player)
    assert total == len("me want ") + 60 - 1
    expect(player.locator("#back")).to_be_disabled()
    player.locator("#step").click()
    expect(player.locator("#counter")).to_have_text(f"step 2 of {total}")
    assert player.locator("#counter").get_attribute("data-step") == "2"
    player.locator("#back").click()
    expect(player.locator("#counter")).to_have_text(f"step 1 of {total}")


def test_play_animates_in_the_browser_without_reruns(page):
    sent = []  # frames the browser sends Streamlit: each rerun is at least one
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame))
            if "_stcore/stream" in ws.url else None)
    player = open_generate(page)
    frame = player_frame(page)
    pictures = ("() => ['#bars-view canvas', '#state-view canvas', '#history-view canvas']"
                ".map(s => document.querySelector(s).toDataURL())")
    before = frame.evaluate(pictures)
    time.sleep(0.6)  # past the player's report debounce: nothing is pending
    quiet = len(sent)

    player.locator("#play").click()
    started = time.perf_counter()
    frame.wait_for_function("() => window.babylmPlayer.t >= 8", timeout=10_000)
    elapsed = time.perf_counter() - started
    assert frame.evaluate("() => window.babylmPlayer.playing")
    assert len(sent) == quiet, f"the browser sent Streamlit {len(sent) - quiet} messages while playing"
    player.locator("#play").click()  # pause
    assert not frame.evaluate("() => window.babylmPlayer.playing")

    step, _ = counter(player)
    assert step == frame.evaluate("() => window.babylmPlayer.t") + 1 >= 9
    assert elapsed < 5, f"8 steps took {elapsed:.1f} s at 10 steps/s"
    after = frame.evaluate(pictures)
    for name, one, two in zip(("bars", "state", "history"), before, after):
        assert one != two, f"the {name} canvas did not change"


def test_show_gates_draws_the_gate_grids_without_resending_the_trace(page):
    player = open_generate(page)
    frame = player_frame(page)
    gates = player.locator("#gates-view")
    expect(gates).to_be_hidden()
    renders = frame.evaluate("() => window.babylmPlayer.renders")
    closed = page.locator(PLAYER).evaluate("el => el.getBoundingClientRect().height")
    player.locator("#gates").check()
    expect(gates).to_be_visible()
    expect(gates.locator("canvas")).to_have_count(8)  # 4 gates x 2 layers of the pretrained model
    painted = gates.locator("canvas").first.evaluate("""c => {
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let k = 0; k < px.length; k += 4) if (px[k] < 250 || px[k + 1] < 250 || px[k + 2] < 250) return true;
        return false; }""")
    assert painted, "the gate canvas is blank"
    page.wait_for_function(f"() => document.querySelector({PLAYER!r}).getBoundingClientRect().height > {closed} + 100")
    player.locator("#gates").uncheck()
    expect(gates).to_be_hidden()
    # the frame shrinks back (it used to keep the gates' height, leaving a blank gap)
    page.wait_for_function(f"() => document.querySelector({PLAYER!r}).getBoundingClientRect().height < {closed} + 20")
    # Growing and shrinking the frame did not make Streamlit post the args (the trace) again.
    assert frame.evaluate("() => window.babylmPlayer.renders") == renders
    player.locator("#gates").check()  # and leave them shown for the screenshot
    expect(gates.locator("canvas").first).to_be_visible()


def test_keys_work_as_soon_as_the_page_loads_and_spaces_are_visible(page):
    player = open_generate(page)
    page.keyboard.press("ArrowRight")  # no click into the player first
    expect_step(player, 2)
    page.keyboard.press("ArrowRight")
    expect_step(player, 3)  # read the prompt's space ("me want ")
    expect(player.locator("#caption")).to_contain_text("“␣”")
    page.keyboard.press("ArrowRight")
    expect(player.locator("#text")).to_have_text(re.compile(r"^me␣w"))
    expect(player.locator("#text .ws")).to_have_count(1)
    page.keyboard.press("ArrowLeft")
    expect_step(player, 3)
    page.keyboard.press("End")
    expect_step(player, counter(player)[1])
    page.keyboard.press("Home")
    expect_step(player, 1)
    # Typing a prompt with arrows and spaces moves the cursor, not the player.
    box = page.get_by_role("textbox", name="Prompt")
    box.click()
    box.press("End")
    box.press("ArrowLeft")
    box.press("Space")
    expect_step(player, 1)


def test_space_belongs_to_what_the_keyboard_reached_and_pauses_after_a_click(page):
    """Found by a hostile click-through: Space on Generate ▶ reached with Tab played the player
    instead of generating, and Space on the player's checkboxes never ticked them. After a
    mouse click on Generate, Space still pauses (the teacher's habit)."""
    player = open_generate(page, "?prompt=me+want+&step=5")
    expect_step(player, 5)
    seed = page.get_by_role("spinbutton", name="Seed")
    seed.fill("11")
    seed.press("Tab")  # Tab on to the next control, then on until Generate ▶ has the focus
    for _ in range(12):
        if page.evaluate("() => (document.activeElement.textContent || '').includes('Generate')"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"seed=11"))
    frame = player_frame(page)
    frame.wait_for_function("() => window.babylmPlayer.trace.settings.seed === '11'")
    # The player's own "gates" box, reached with Tab, ticks with Space and plays nothing.
    frame.evaluate("() => window.babylmPlayer.player.pause()")
    frame.evaluate("() => document.getElementById('copy').focus()")
    frame.evaluate("() => document.getElementById('gates').focus()")
    page.keyboard.press("Tab")  # a keyboard move, so the box shows :focus-visible
    page.keyboard.press("Shift+Tab")
    assert frame.evaluate("() => document.activeElement.id") == "gates"
    page.keyboard.press("Space")
    expect(player.locator("#gates")).to_be_checked()
    assert not frame.evaluate("() => window.babylmPlayer.playing")
    # A mouse click on Generate ▶ leaves the focus there; Space then pauses the replay.
    page.get_by_role("button", name="Generate ▶").click()
    frame = player_frame(page)
    frame.wait_for_function("() => window.babylmPlayer.playing")
    page.keyboard.press("Space")
    frame.wait_for_function("() => !window.babylmPlayer.playing")


def test_a_rejected_generate_says_why_where_the_teacher_is_looking(page):
    """Found by a hostile click-through: the error was written below the sidebar's fold at
    1280x720, so Generate seemed to do nothing; and a Seed beyond its range left a red box and
    silently generated the old seed."""
    page.set_viewport_size({"width": 1280, "height": 720})
    player = open_generate(page)
    generate(page, Prompt="Quack")
    error = alert(page, "Can't generate")
    expect(error).to_contain_text("never seen these characters: Q")
    expect(error).to_be_in_viewport()
    generate(page, Prompt="me want ", Seed=5000000000)
    expect(error).to_contain_text("seed must be a whole number from 0 to 2,147,483,647")
    expect(error).to_be_in_viewport()
    expect(alert(page, "never seen")).to_have_count(0)  # the old complaint is gone
    generate(page, Seed=12)
    expect(error).to_have_count(0)
    frame = player_frame(page)
    frame.wait_for_function("() => window.babylmPlayer.trace.settings.seed === '12'")
    expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"))


# --- the Generate form ----------------------------------------------------------------------
def test_four_prompts_in_a_row_each_generate_what_was_typed(page):
    player = open_generate(page)
    frame = player_frame(page)
    for prompt in ("me love ", "me see ", "me want ", "me go "):
        key = frame.evaluate("() => window.babylmPlayer.key")
        generate(page, Prompt=prompt)
        frame.wait_for_function(f"() => window.babylmPlayer.key !== {key!r}", timeout=LOAD_MS)
        expect(player.locator("#counter")).to_have_text(re.compile(rf"of {len(prompt) + 60 - 1}$"))
        expect(page.get_by_role("textbox", name="Prompt")).to_have_value(prompt)
        pause_at(page, player, len(prompt))
        # the prompt read so far, then the one next character (orange): nothing more
        expect(player.locator("#text")).to_have_text(re.compile("^" + re.escape(prompt.replace(" ", "␣")) + ".$"))


def test_four_seeds_in_a_row_each_apply_and_generate_twice_replays(page):
    player = open_generate(page)
    frame = player_frame(page)
    texts = set()
    for seed in (1, 2, 3, 4):
        key = frame.evaluate("() => window.babylmPlayer.key")
        generate(page, Seed=seed)
        frame.wait_for_function(f"() => window.babylmPlayer.key !== {key!r}", timeout=LOAD_MS)
        expect(page.get_by_role("spinbutton", name="Seed")).to_have_value(str(seed))
        assert frame.evaluate("() => window.babylmPlayer.trace.settings.seed") == str(seed)
        texts.add(frame.evaluate("() => window.babylmPlayer.trace.outputs.join(',')"))
    assert len(texts) == 4
    # Same settings again: the same generation replays from the first step.
    frame.wait_for_function("() => !window.babylmPlayer.playing", timeout=20_000)
    key = frame.evaluate("() => window.babylmPlayer.key")
    page.get_by_role("button", name="Generate ▶").click()
    frame.wait_for_function("() => window.babylmPlayer.playing && window.babylmPlayer.t < 5", timeout=LOAD_MS)
    assert frame.evaluate("() => window.babylmPlayer.key") == key


def test_no_future_on_screen(page):
    """Same prompt, two seeds, both stopped at step 3 (still reading the prompt): the player's
    pixels are identical, so nothing of either future is drawn."""
    player = open_generate(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots = []
    for seed in (11, 12):
        frame = player_frame(page)
        key = frame.evaluate("() => window.babylmPlayer.key")
        generate(page, Seed=seed)
        frame.wait_for_function(f"() => window.babylmPlayer.key !== {key!r}", timeout=LOAD_MS)
        pause_at(page, player, 3)
        time.sleep(0.3)
        shots.append(page.locator(PLAYER).screenshot())
        (SHOTS / f"no-future-seed-{seed}.png").write_bytes(shots[-1])
    assert player_frame(page).evaluate("() => window.babylmPlayer.trace.outputs.join(',')") != ""
    # Identical up to antialiasing: rounded button corners differ by 1 in a colour channel from
    # run to run; anything drawn from either future would differ by far more.
    one, two = (np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=int) for shot in shots)
    assert one.shape == two.shape
    assert np.abs(one - two).max() <= 2, "two generations stopped at step 3 drew different pixels"
    assert "me␣w" in text_shown(player) and "a" not in text_shown(player).replace("␣", "")[4:]


def test_unknown_character_shows_an_error_and_keeps_the_player(page):
    player = open_generate(page)
    frame = player_frame(page)
    old_key = frame.evaluate("() => window.babylmPlayer.key")
    _, total = counter(player)
    player.locator("#step").click()
    generate(page, Prompt="me want ZZ")
    expect(alert(page, "never seen")).to_be_visible(timeout=LOAD_MS)  # a cold server loads torch first
    assert frame.evaluate("() => window.babylmPlayer.key") == old_key
    expect(player.locator("#counter")).to_have_text(f"step 2 of {total}")  # where it was
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value("me want ZZ")  # what was typed
    # The player's own report (a rerun, once it stops moving) does not wipe the message away.
    player.locator("#step").click()
    page.wait_for_function("() => location.search.includes('step=3')")
    time.sleep(1.0)
    expect(alert(page, "never seen")).to_be_visible()
    # A backslash is named, not eaten by Markdown (the list read "these characters: ;").
    generate(page, Prompt="me \\ a")
    expect(alert(page, "never seen these characters: \\; use only")).to_be_visible(timeout=LOAD_MS)


def test_temperature_zero_says_most_likely(page):
    player = open_generate(page, "?prompt=me+&length=5&temperature=0&step=3")
    expect(player.locator("#caption")).to_contain_text("most likely")
    expect(player.locator("#caption")).not_to_contain_text("sampled")


# --- links ------------------------------------------------------------------------------------
LESSON = "?prompt=me+love+&length=60&temperature=0&top_k=0&seed=3&mode=stateful&step=9&gates=1&unit=2:90"


def test_a_lesson_link_opens_that_step_prompt_and_unit(page, pretrained_trace):
    player = open_generate(page, LESSON)
    expect_step(player, 9, len("me love ") + 60 - 1)
    expect(player.locator("#text")).to_have_text(re.compile("^me␣love␣..$"))  # read the first new one
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value("me love ")
    expect(player.locator("#gates-view")).to_be_visible()
    readout = player.locator("#readout")
    expect(readout).to_have_attribute("data-unit", "2:90")
    # The shown values are the trace's own, to 3 significant digits (exact ones) or to half a
    # colour step (gates, sent as uint8 on [0, 1] or [-1, 1]).
    trace = pretrained_trace(prompt="me love ", length=60, temperature=0.0, seed=3)
    shown = json.loads(readout.get_attribute("data-values"))
    for name, text in shown.items():
        value = float(trace.internals[name][8, 1, 89])
        number = float(text.replace("≈", "").replace("−", "-"))
        if text.startswith("≈"):
            assert abs(number - value) <= 0.01, (name, text, value)
        else:
            assert number == float(f"{value:.3g}"), (name, text, value)
    assert not page.locator('[data-testid="stAlert"]').count()


def test_a_hovered_unit_shows_the_traces_own_value(page, pretrained_trace):
    player = open_generate(page, "?prompt=me+see+&length=30&seed=4&step=12")
    expect_step(player, 12)
    canvas = player.locator('#state-view canvas[data-panel="c"][data-layer="0"]')
    box = canvas.bounding_box()
    cell = box["width"] / 16  # 16 units per grid row
    canvas.hover(position={"x": cell * (5 + 0.5), "y": cell * (2 + 0.5)})  # row 3, column 6: unit 38
    readout = player.locator("#readout")
    expect(readout).to_have_attribute("data-unit", "1:38")
    expect(readout).to_contain_text("pointing at")
    trace = pretrained_trace(prompt="me see ", length=30, seed=4)
    shown = json.loads(readout.get_attribute("data-values"))
    for name in ("h", "c"):  # sent exactly, to 3 significant digits
        assert float(shown[name].replace("−", "-")) == float(f"{trace.internals[name][11, 0, 37]:.3g}")
    canvas.click(position={"x": cell * (5 + 0.5), "y": cell * (2 + 0.5)})  # and select it everywhere
    page.mouse.move(0, 0)
    expect(readout).to_contain_text("selected")
    expect(readout).to_have_attribute("data-unit", "1:38")
    history = player.locator("#history-panel")
    expect(history).to_have_value("c:0")  # the history moved to that unit's layer


def test_every_number_the_player_decoded_is_the_traces_own(page, pretrained_trace):
    """The browser's own reading of the wire (the deflated high bytes inflated by the vendored
    tiny-inflate): every h and c equals the trace's to 3 significant digits, and every
    probability is the trace's own float32 (the player reshapes them by temperature)."""
    open_generate(page, "?prompt=me+see+&length=40&seed=5&temperature=1.3")
    frame = player_frame(page)
    got = frame.evaluate("""() => { const t = window.babylmPlayer.trace;
        return {h: Array.from(t.panel.h.exact), c: Array.from(t.panel.c.exact), probs: Array.from(t.probs)}; }""")
    trace = pretrained_trace(prompt="me see ", length=40, seed=5, temperature=1.3)
    np.testing.assert_array_equal(np.float32(got["probs"]), trace.probs.ravel())
    for name, want in (("h", trace.internals["h"]), ("c", trace.internals["c"])):
        shown = np.float32(got[name])
        assert shown.size == want.size, name
        expected = np.float32([float(f"{v:.3g}") if abs(v) >= 1e-28 else 0.0 for v in want.ravel().tolist()])
        np.testing.assert_array_equal(shown, expected, err_msg=name)


def test_a_command_from_python_moves_the_player_once(page):
    """Commands arrive as a changed `command` arg (a lesson stop, the inspector): applied once per
    id. Here the render message Streamlit would post is posted by the test."""
    player = open_generate(page)
    frame = player_frame(page)
    send = """(command) => window.postMessage({type: 'streamlit:render',
                                             args: Object.assign({}, window.babylmPlayer.args, {command})}, '*')"""
    frame.evaluate(send, {"id": 1, "t": 9, "unit": [1, 4], "gates": True, "highlight": "c"})
    expect_step(player, 10)
    expect(player.locator("#readout")).to_have_attribute("data-unit", "2:5")
    expect(player.locator("#gates-view")).to_be_visible()
    expect(player.locator('#state-view figure.highlight[data-panel="c"]')).to_have_count(2)
    player.locator("#step").click()
    frame.evaluate(send, {"id": 1, "t": 9, "unit": [1, 4], "gates": True, "highlight": "c"})  # same id
    time.sleep(0.3)
    expect_step(player, 11)  # not applied twice
    # The viewer's step comes back to Python as the component value (debounced), never per frame.
    page.wait_for_function("() => location.search.includes('step=11')")


def test_copy_link_round_trip_and_reload_keeps_the_view(page):
    player = open_generate(page, "?prompt=me+see+&seed=5")
    frame = player_frame(page)
    for _ in range(4):
        player.locator("#step").click()
    frame.evaluate("() => window.babylmPlayer.store.set({unit: [0, 41]})")  # as a click does
    player.locator("#copy").click()
    link = player.locator("#link")
    expect(link).to_be_visible()
    url = link.input_value()
    assert "prompt=me+see+" in url and "seed=5" in url and "step=5" in url and "unit=1%3A42" in url
    link.press("ArrowRight")  # the link box keeps the focus, not the keys: the player steps
    expect_step(player, 6)
    link.press("ArrowLeft")
    expect_step(player, 5)
    # The page's own URL follows the view too, so a reload comes back to it.
    page.wait_for_function("() => location.search.includes('step=5')")
    page.reload()
    player = page.frame_locator(PLAYER)
    expect_step(player, 5)
    expect(player.locator("#readout")).to_have_attribute("data-unit", "1:42")
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value("me see ")
    # And the copied link opens the same view in a new session.
    other = page.context.browser.new_page()
    try:
        other.goto(url)
        there = other.frame_locator(PLAYER)
        expect(there.locator("#counter")).to_have_text(re.compile("step 5 of"), timeout=LOAD_MS)
        expect(there.locator("#readout")).to_have_attribute("data-unit", "1:42")
    finally:
        other.close()


def test_a_link_pasted_into_the_same_tab_opens_its_own_step(page):
    """A teacher pastes the same generation's link with another step into the tab already
    showing it: the link's step and unit, not the view the player kept for that generation."""
    query = "?prompt=me+love+&length=100&temperature=1&top_k=0&seed=3&mode=stateful"
    player = open_generate(page, query + "&step=40")
    expect_step(player, 40)
    page.wait_for_function("() => location.search.includes('step=40')")
    page.goto(query + "&step=5&unit=1:7")
    player = page.frame_locator(PLAYER)
    expect_step(player, 5)
    expect(player.locator("#readout")).to_have_attribute("data-unit", "1:7")
    page.wait_for_timeout(500)  # nothing rewrites the link back to the old step
    assert "step=5" in page.url and "step=40" not in page.url


def test_bad_link_values_fall_back_with_one_line_each(page):
    player = open_generate(page, "?prompt=me+&length=abc&unit=9:9&step=0")
    expect(alert(page, "length")).to_be_visible()
    expect(alert(page, "step")).to_be_visible()
    expect(alert(page, "unit")).to_be_visible()
    expect_step(player, 1, len("me ") + 60 - 1)


def test_an_address_in_a_link_value_is_shown_as_text_not_a_link(page):
    """A notice quotes the bad value: a bare address in it stays text, not a link in the app's
    own voice (hostile click-through)."""
    open_generate(page, "?length=http://evil.example/login&seed=www.evil.example&top_k=me@evil.example")
    for name in ("length", "seed", "top_k"):
        expect(alert(page, f"Ignored {name}=")).to_be_visible()
    expect(alert(page, "Ignored length=")).to_contain_text("http://evil.example/login")
    assert page.locator('[data-testid="stAlert"] a').count() == 0


# --- projector and phone ----------------------------------------------------------------------
def visible_in_viewport(page: Page, selector: str) -> bool:
    """Whether the player's element is wholly inside the page's viewport (no scrolling)."""
    return page.evaluate("""([frameSel, sel]) => {
        const frame = document.querySelector(frameSel), r0 = frame.getBoundingClientRect();
        const r = frame.contentDocument.querySelector(sel).getBoundingClientRect();
        return r.height > 0 && r0.top + r.top >= 0 && r0.top + r.bottom <= window.innerHeight + 1
               && r0.left + r.right <= window.innerWidth + 1; }""", [PLAYER, selector])


def test_projector_1280x720_shows_everything_at_step_60_of_400(page):
    page.set_viewport_size({"width": 1280, "height": 720})
    player = open_generate(page, "?prompt=me+want+&length=400&step=60")
    expect_step(player, 60, len("me want ") + 400 - 1)
    time.sleep(0.5)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "projector-1280x720.png"))
    for what in ("#text", "#bars-view canvas", '#state-view canvas[data-panel="c"]', "#history-view canvas"):
        assert visible_in_viewport(page, what), f"{what} is not on screen at 1280x720"
    expect(page.get_by_role("button", name="Generate ▶")).to_be_in_viewport()
    size = player.locator("#bars-view canvas").evaluate("c => [c.width, c.getBoundingClientRect().width]")
    assert size[0] >= size[1]  # at least one canvas pixel per CSS pixel


def test_a_first_visit_puts_the_invitation_beside_the_title(browser, server):
    """A bare first visit at 1280x720: the invitation to the lessons sits beside the title, not
    on a line of its own that pushed the history's last rows below the fold, and the history is
    on screen."""
    with session_page(browser, server, viewport={"width": 1280, "height": 720}) as page:
        page.goto("/")
        player = page.frame_locator(PLAYER)
        expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of"), timeout=LOAD_MS)
        link = page.get_by_role("link", name=re.compile("New here"))
        expect(link).to_be_visible()
        frame = page.locator(PLAYER).element_handle(timeout=LOAD_MS).content_frame()
        frame.wait_for_function("() => window.babylmPlayer && window.babylmPlayer.trace !== null")
        page.wait_for_timeout(800)  # the page's layout settles around the player's frame
        title = page.get_by_role("heading", name="Watch a baby LSTM write").bounding_box()
        beside = link.bounding_box()
        assert beside["x"] > title["x"] + title["width"] and beside["y"] < title["y"] + title["height"], (title, beside)
        box = player.locator("#history-view").bounding_box()
        assert box["y"] + box["height"] <= 720, box


def test_phone_390x844_stacks_the_views(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server,
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        player = open_generate(page, "?step=20")
        expect_step(player, 20)
        time.sleep(0.5)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "phone-390x844.png"), full_page=True)
        expect(player.locator(".keys")).to_be_hidden()  # no key hint on a touch screen
        frame = player_frame(page)
        boxes = frame.evaluate("""() => ['#bars-view', '#state-view'].map(s => {
            const r = document.querySelector(s).getBoundingClientRect(); return [r.left, r.top, r.bottom]; })""")
        assert boxes[1][1] >= boxes[0][2] - 1, "bars and state should stack on a phone"
        sharp = frame.evaluate("() => { const c = document.querySelector('#bars-view canvas');"
                               " return c.width / c.getBoundingClientRect().width; }")
        assert sharp == pytest.approx(2, abs=0.05)  # drawn at the screen's pixel density
        # Controls a finger can hit (they were 13 to 30 px tall).
        for what, least in (("#play", 40), ("#speed", 40), ("#copy", 40), ("#gates", 22), ("#quiz", 22)):
            height = player.locator(what).bounding_box()["height"]
            assert height >= least, (what, height)
        # The text's lines end between words, not inside one ("c / ookie" on a phone).
        split = frame.evaluate("""async () => { const S = window.babylmPlayer, split = [];
            for (let t = 0; t < S.trace.steps; t++) {
              S.store.set({ t });
              await new Promise((done) => requestAnimationFrame(done));
              const words = [[]];
              for (const el of document.querySelectorAll('#text span')) {
                if (el.classList.contains('ws') || el.textContent === '⏎') words.push([]);
                else words[words.length - 1].push(el.getBoundingClientRect().top); }
              if (words.some(w => w.length > 1 && new Set(w).size > 1)) split.push(t + 1); }
            S.store.set({ t: 19 });
            return split; }""")
        assert split == [], f"a word split across lines at steps {split}"
        # The Generate form lives in the sidebar, which lies over the page on a phone: after
        # Generate it closes, so the student sees the player (it stayed open over it).
        sidebar = page.locator('[data-testid="stSidebar"]')
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        expect(sidebar).to_have_attribute("data-collapsed", "false")
        generate(page, Prompt="me see ")
        expect(sidebar).to_have_attribute("data-collapsed", "true", timeout=LOAD_MS)
        expect(player.locator("#text")).to_have_text(re.compile("^me␣see␣"))
    finally:
        context.close()


def test_a_narrow_window_wraps_the_invitation_and_keeps_the_key_hint_off_the_text(browser, server):
    """Found by looking at a 390-wide screenshot: the lessons invitation was cut off mid-sentence
    and, with a keyboard (no touch), the "keys" hint sat on top of the text being written."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server)
    try:
        page = context.new_page()
        page.goto("/")  # a first visit: the invitation and the opening story
        link = page.get_by_role("link", name=re.compile("New here"))
        expect(link).to_be_visible(timeout=LOAD_MS)
        assert link.evaluate("a => [...a.querySelectorAll('*')].every(e => e.scrollWidth <= e.clientWidth + 1)")
        player = page.frame_locator(PLAYER)
        expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of [1-9]"), timeout=LOAD_MS)
        expect(player.locator(".keys")).to_be_visible()
        hint, text = (player.locator(sel).bounding_box() for sel in (".keys", "#text"))
        assert hint["y"] + hint["height"] <= text["y"] + 1, (hint, text)
        page.screenshot(path=str(SHOTS / "phone-390x844-no-touch.png"))
    finally:
        context.close()


# --- Train and Model ------------------------------------------------------------------------
def test_train_on_pasted_text_makes_it_the_active_model(page, request):
    page.goto("/train")
    page.get_by_text("Paste text").click()
    corpus = "me want cookie\nme love mommy\n" * 30
    text = page.get_by_role("textbox", name="Your text")
    text.fill(corpus)
    text.press("Control+Enter")
    expect(page.get_by_text(f"{len(corpus):,} characters, ")).to_be_visible()
    train_two_epochs(page, timeout_ms=60_000)
    expect(alert(page, "your model")).to_be_visible()
    # The finished loss curve and the watched facts, once each (no leftovers from the live run).
    expect(page.locator(".stPlotlyChart")).to_have_count(2)
    expect(page.get_by_text("Facts being learned", exact=True)).to_have_count(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    full_page_screenshot(page, SHOTS / f"{request.node.name}-train-page.png")

    page.get_by_role("link", name="Generate").click()  # in-app navigation keeps the session
    player = page.frame_locator(PLAYER)
    expect(player.locator("#counter")).to_have_text(re.compile(r"step 1 of \d+"), timeout=LOAD_MS)
    expect(page.get_by_text(re.compile(r"Model: your model \(2 epochs on pasted text\)"))).to_be_visible()


def test_model_page_rejects_a_bad_upload_and_keeps_the_model(page, tmp_path):
    page.goto("/model")
    expect(page.get_by_text("Parameters")).to_be_visible(timeout=LOAD_MS)
    expect(page.get_by_role("heading", name="Pretrained baby-talk model")).to_be_visible()
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(random.Random(0).randbytes(4096))
    page.locator("input[type=file]").set_input_files(bad)
    page.get_by_role("button", name="Use this model").click()
    expect(alert(page, "Can't open x.safetensors")).to_be_visible()
    expect(alert(page, "unchanged")).to_be_visible()
    expect(page.get_by_role("heading", name="Pretrained baby-talk model")).to_be_visible()
    expect(page.get_by_text("Parameters")).to_be_visible()


def test_export_buttons_download_the_step_on_screen_and_the_lesson_file(page, tmp_path):
    from PIL import Image

    player = open_generate(page, "?step=9")
    expect(player.locator("#counter")).to_have_text(re.compile(r"step 9 of \d+"))
    player.locator("#step").click()  # the first page is drawn before torch: a move brings the buttons
    page.get_by_text("Export this generation").click(timeout=LOAD_MS)
    with page.expect_download() as download:
        page.get_by_role("button", name="PNG of step 10").click()
    png = tmp_path / download.value.suggested_filename
    download.value.save_as(png)
    assert png.name == "babylm-step-10.png" and Image.open(png).size == (1920, 1080)

    player.locator("#back").click()  # change our mind: one step back, and the button follows
    with page.expect_download() as download:
        page.get_by_role("button", name="PNG of step 9").click(timeout=LOAD_MS)
    assert download.value.suggested_filename == "babylm-step-9.png"
    with page.expect_download() as download:
        page.get_by_role("button", name="Offline lesson file").click()
    html = tmp_path / "lesson.html"
    download.value.save_as(html)
    text = html.read_text(encoding="utf-8")
    assert '"view": {"t": 8,' in text and "babylm-offline" in text and '<script type="module">' in text
    assert not page.locator('[data-testid="stException"]').count()


# --- the unit inspector (views/inspector.js, views/gate_history.js, app/inspect_panel.py) ----
# Click a unit and the text is coloured by its value (the numbers the trace holds) and the link
# names it; compare two prompts and the top unit is one click away; saliency shading follows
# the step. Screenshots at 1280x720 and 390x844 land in artifacts/screenshots/inspector-*.png.
from babylm.analysis import contrast, saliency  # noqa: E402
from babylm.settings import GenerationSettings  # noqa: E402
from babylm.trace import trace_generation  # noqa: E402

INSPECT_LINK = "?prompt=me+want+&length=30&temperature=0&top_k=0&seed=0&mode=stateful"


def grid_click(page, player, panel: str, layer: int, unit: int) -> None:
    """Click the square of (layer, unit), 0-based, in a state grid, like a person would."""
    canvas = player.locator(f"#state-view canvas[data-panel='{panel}'][data-layer='{layer}']")
    cell = player_frame(page).evaluate(
        "([p, l]) => window.babylmPlayer.views[2].figures.find(f => f.panel.name === p && f.layer === l).cell",
        [panel, layer])
    canvas.click(position={"x": (unit % 16) * cell + cell / 2, "y": (unit // 16) * cell + cell / 2})


def coloured(player) -> list[tuple[str, str]]:
    """(character, data-v) of every coloured character in the text panel."""
    return player_frame_locator_eval(player, "els => els.map(e => [e.textContent, e.dataset.v])")


def player_frame_locator_eval(player, script):
    return player.locator("#text span[data-v]").evaluate_all(script)


def test_inspector_click_a_unit_colours_the_text_by_its_value_and_names_it_in_the_link(page, pretrained):
    player = open_generate(page, INSPECT_LINK)
    pause_at(page, player, 12)
    assert player.locator("#text span[data-v]").count() == 0  # nothing selected, nothing coloured
    grid_click(page, player, "c", 1, 68)  # layer 2, unit 69
    expect(player.locator("#readout")).to_contain_text("layer 2 · unit 69")
    expect(player.locator("#text span[data-v]")).to_have_count(12)
    trace = trace_generation(pretrained.model, pretrained.vocab,
                             GenerationSettings(prompt="me want ", length=30, temperature=0, top_k=0, seed=0))
    shown = [float(v.replace("−", "-")) for _, v in coloured(player)]
    expected = [float(f"{v:.3g}") for v in trace.internals["c"][:12, 1, 68]]
    assert shown == pytest.approx(expected, rel=1e-6)
    expect(page).to_have_url(re.compile(r"unit=2(:|%3A)69"))
    expect(player.locator("#shade")).to_have_value("c")
    expect(player.locator(".unit-chart-title")).to_contain_text("layer 2 · unit 69")
    # Change my mind: colour by the forget gate instead, then step on: one more character.
    player.locator("#shade").select_option("f")
    page.keyboard.press("ArrowRight")
    expect_step(player, 13)
    expect(player.locator("#text span[data-v]")).to_have_count(13)
    gate = [v for _, v in coloured(player)]
    assert all(v.startswith("≈") for v in gate)
    np.testing.assert_allclose([float(v[1:]) for v in gate], trace.internals["f"][:13, 1, 68], atol=0.5 / 255 + 5e-3)
    # Click the same unit again: unselected, nothing coloured, the link forgets it.
    grid_click(page, player, "c", 1, 68)
    expect(player.locator("#text span[data-v]")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"unit="))
    # Reload: the link still opens at that step; select again from the history works too.
    page.reload()
    player = page.frame_locator(PLAYER)
    expect(player.locator("#counter")).to_have_text(re.compile(r"step 13 of 37"), timeout=LOAD_MS)
    player.locator("#history-view canvas").click(position={"x": 100, "y": 12})  # the first row
    expect(player.locator("#text span[data-v]")).to_have_count(13)
    full_page_screenshot(page, SHOTS / "inspector-unit-1280.png")


def test_inspector_compare_two_prompts_and_select_the_top_unit(page, pretrained):
    player = open_generate(page, INSPECT_LINK)
    page.get_by_role("tab", name="Compare with another prompt").click()
    page.get_by_role("button", name="Compare", exact=True).click()
    top = contrast(pretrained.model, pretrained.vocab, "me want ", "me love ", "cookie", top=5)
    layer, unit, _ = top[0]
    button = page.get_by_role("button", name=f"{layer}:{unit}", exact=True)
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    expect(player.locator("#readout")).to_contain_text(f"layer {layer} · unit {unit}", timeout=30_000)
    expect(page).to_have_url(re.compile(rf"unit={layer}(:|%3A){unit}"))
    # The corpus view follows: coloured training text and the unit's name.
    page.get_by_role("tab", name="This unit across the training text").click()
    expect(page.get_by_text(f"Layer {layer} · unit {unit}")).to_be_visible(timeout=30_000)
    # Change my mind: the second unit, then the history in this ranking.
    second = page.get_by_role("button", name=f"{top[1][0]}:{top[1][1]}", exact=True)
    page.get_by_role("tab", name="Compare with another prompt").click()
    second.click()
    expect(player.locator("#readout")).to_contain_text(f"layer {top[1][0]} · unit {top[1][1]}", timeout=30_000)
    page.get_by_role("button", name="Order history").click()
    rows = [u - 1 for la, u, _ in contrast(pretrained.model, pretrained.vocab, "me want ", "me love ",
                                           "cookie") if la == layer]
    player_frame(page).wait_for_function(
        "rows => JSON.stringify(window.babylmPlayer.store.state.rows) === JSON.stringify(rows)", arg=rows,
        timeout=30_000)
    full_page_screenshot(page, SHOTS / "inspector-compare-1280.png")


def test_inspector_saliency_shading_follows_the_step(page, pretrained):
    page.set_viewport_size({"width": 1280, "height": 720})
    player = open_generate(page, INSPECT_LINK)
    page.get_by_text("Shade the text by which past characters").click()
    expect(player.locator("#shade")).to_have_value("saliency", timeout=30_000)
    pause_at(page, player, 10)
    text = "".join(trace_generation(pretrained.model, pretrained.vocab, GenerationSettings(
        prompt="me want ", length=30, temperature=0, top_k=0, seed=0)).text)
    S = saliency(pretrained.model, pretrained.vocab, text)
    shares = lambda: [float(v) for _, v in coloured(player)]  # noqa: E731
    expect(player.locator("#text span[data-v]")).to_have_count(10)
    np.testing.assert_allclose(shares(), S[9, :10], atol=6e-4)
    page.keyboard.press("ArrowRight")
    expect(player.locator("#text span[data-v]")).to_have_count(11)
    np.testing.assert_allclose(shares(), S[10, :11], atol=6e-4)
    # Hover a character: its share, in words.
    player.locator("#text span[data-v]").nth(3).hover()
    expect(player.locator("#inspect-hover")).to_contain_text("of what predicting")
    page.screenshot(path=str(SHOTS / "inspector-saliency-1280x720.png"))
    # Turn it off: back to plain text.
    page.get_by_text("Shade the text by which past characters").click()
    expect(player.locator("#text span[data-v]")).to_have_count(0, timeout=30_000)


def test_inspector_screens_1280x720_and_phone_390x844(browser, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, size, extra in (("1280x720", {"width": 1280, "height": 720}, {}),
                              ("phone-390x844", {"width": 390, "height": 844}, dict(is_mobile=True, has_touch=True))):
        context = browser.new_context(viewport=size, base_url=server, **extra)
        try:
            page = context.new_page()
            player = open_generate(page, INSPECT_LINK + "&step=15&unit=2:69&gates=1")
            expect(player.locator("#text span[data-v]")).to_have_count(15)
            expect(player.locator(".gate-history")).to_have_count(2)  # forget and input gates
            expect(player.locator(".gate-history").first).to_contain_text("forget gate over time")
            # Same rows as the memory history above: same units in the same order.
            rows = player_frame(page).evaluate(
                "() => window.babylmPlayer.views.filter(v => Array.isArray(v.shown)).map(v => v.shown.join(','))")
            assert len(rows) == 3 and rows[0] == rows[1] == rows[2]
            page.screenshot(path=str(SHOTS / f"inspector-{name}.png"))
            player.locator("#gate-history-view").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"inspector-{name}-gates.png"))
            page.get_by_role("tab", name="This unit across the training text").scroll_into_view_if_needed()
            expect(page.get_by_text("Layer 2 · unit 69")).to_be_visible(timeout=30_000)
            page.get_by_text("Most active", exact=True).scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"inspector-{name}-corpus.png"))
        finally:
            context.close()


def test_inspector_projector_1280x720_with_a_unit_selected_keeps_the_history_in_view(page):
    page.set_viewport_size({"width": 1280, "height": 720})
    player = open_generate(page, "?prompt=me+want+&length=400&step=60&unit=2:69")
    expect_step(player, 60, len("me want ") + 400 - 1)
    expect(player.locator("#text span[data-v]")).to_have_count(60)
    page.screenshot(path=str(SHOTS / "inspector-projector-1280x720.png"))
    for what in ("#text", "#inspector", '#state-view canvas[data-panel="c"]', "#history-view .history-head"):
        assert visible_in_viewport(page, what), f"{what} is not on screen at 1280x720"
    # The unit's chart sits under the history: one scroll away, drawn up to this step only.
    player.locator("canvas.unit-chart").scroll_into_view_if_needed()
    expect(player.locator(".unit-chart-title")).to_contain_text("layer 2 · unit 69")
    page.screenshot(path=str(SHOTS / "inspector-projector-1280x720-chart.png"))


def test_inspector_from_the_torch_free_first_page_keeps_the_step(page):
    player = open_generate(page)  # the precomputed default generation: no inspector yet
    for _ in range(3):
        player.locator("#step").click()
    expect_step(player, 4)
    grid_click(page, player, "h", 0, 5)  # layer 1, unit 6: the full page takes over from here
    expect(player.locator("#text span[data-v]")).to_have_count(4)
    page.get_by_role("tab", name="Compare with another prompt").wait_for(timeout=LOAD_MS)
    expect_step(player, 4)  # the player was not rebuilt: same step, same unit
    expect(player.locator("#readout")).to_contain_text("layer 1 · unit 6")
    expect(page).to_have_url(re.compile(r"unit=1(:|%3A)6"))


def test_inspector_saliency_in_window_mode_stops_at_the_window(page, pretrained):
    player = open_generate(page, INSPECT_LINK.replace("mode=stateful", "mode=window") + "&step=25")
    page.get_by_text("Shade the text by which past characters").click()
    expect(player.locator("#shade")).to_have_value("saliency", timeout=LOAD_MS)
    expect_step(player, 25)
    shares = [float(v) for _, v in coloured(player)]
    assert len(shares) == 25
    assert all(v == 0 for v in shares[:10]) and all(v > 0 for v in shares[10:])  # the last 15 only
    assert sum(shares) == pytest.approx(1.0, abs=2e-3)


def test_inspector_with_a_gru_colours_by_h_and_shows_update_and_reset_gates(page, pretrained, tmp_path):
    import torch

    from babylm import BabyLanguageModel, CharRNN, ModelConfig

    torch.manual_seed(0)
    gru = CharRNN(ModelConfig(vocab_size=len(pretrained.vocab), hidden_size=24, num_layers=2, cell="gru")).eval()
    path = BabyLanguageModel.from_parts(gru, pretrained.vocab).save(tmp_path / "gru.safetensors")
    page.goto("/model")
    expect(page.get_by_text("Parameters")).to_be_visible(timeout=LOAD_MS)
    page.locator("input[type=file]").set_input_files(path)
    page.get_by_role("button", name="Use this model").click()
    expect(page.get_by_text("GRU").first).to_be_visible(timeout=LOAD_MS)
    page.get_by_role("link", name="Generate").click()  # in-app: the session (and its model) stays
    player = page.frame_locator(PLAYER)
    expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=LOAD_MS)
    player_frame(page).wait_for_function("() => window.babylmPlayer.trace && window.babylmPlayer.trace.cell === 'gru'")
    pause_at(page, player, 6)
    canvas = player.locator("#state-view canvas[data-panel='h'][data-layer='1']")
    canvas.click(position={"x": 3, "y": 3})  # layer 2, unit 1
    expect(player.locator("#text span[data-v]")).to_have_count(6)
    expect(player.locator("#shade")).to_have_value("h")
    player.locator("#gates").check()
    expect(player.locator(".gate-history")).to_have_count(2)
    assert player.locator(".gate-history").evaluate_all("els => els.map(e => e.dataset.panel)") == ["z", "r"]
    expect(page.get_by_text("no training text attached")).to_be_visible(timeout=LOAD_MS)


# --- a hostile vocabulary and file name (issue 8) ---------------------------------------------
HOSTILE_CHARS = "ab<`*\u202e \n"
HOSTILE_NAME = "**evil**\u202egnp.safetensors"


def test_a_hostile_vocabulary_and_file_name_show_literally(page, tmp_path, request):
    """Markdown shows as typed, U+202E shows as its code and reverses nothing (Model page, player)."""
    import torch
    from playwright.sync_api import Error as PlaywrightError

    from babylm import CharLSTM, ModelConfig, Vocab
    from babylm.checkpoint import to_bytes

    torch.manual_seed(0)
    config = ModelConfig(vocab_size=len(HOSTILE_CHARS), embedding_dim=4, hidden_size=6, num_layers=1)
    model = CharLSTM(config).eval()
    upload = tmp_path / HOSTILE_NAME
    upload.write_bytes(to_bytes(model, Vocab(tuple(HOSTILE_CHARS))))

    page.goto("/model")
    expect(page.get_by_text("Parameters")).to_be_visible(timeout=LOAD_MS)
    page.locator("input[type=file]").set_input_files(upload)
    page.get_by_role("button", name="Use this model").click()
    expect(page.get_by_role("heading", name="Uploaded model (**evil**U+202Egnp.safetensors)")).to_be_visible()
    expect(page.locator('[data-testid="stCode"]')).to_have_text("a b < ` * U+202E ␣ ⏎")
    assert not page.evaluate("() => document.body.innerText.includes('\\u202e')")
    SHOTS.mkdir(parents=True, exist_ok=True)
    full_page_screenshot(page, SHOTS / f"{request.node.name}-model-page.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the vocabulary wraps
    page.screenshot(path=str(SHOTS / f"{request.node.name}-model-page-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 720})

    page.get_by_role("link", name="Generate").click()  # in-app navigation keeps the session
    player = page.frame_locator(PLAYER)
    expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=LOAD_MS)
    # To step 7 (the prompt's last character) through the player's own store; again if a late
    # rerun of the page (the first Generate after an upload) reloads the player meanwhile.
    for _ in range(30):
        try:
            player_frame(page).evaluate("() => { const S = window.babylmPlayer; if (!S || !S.trace) return; "
                                        "if (S.player) S.player.pause(); S.store.set({t: 6}); }")
        except PlaywrightError:  # the frame was being replaced by a rerun: try again
            pass
        page.wait_for_timeout(500)
        if (player.locator("#counter").text_content() or "").startswith("step 7 of"):
            break
    expect_step(player, 7)
    expect(player.locator("#text")).to_contain_text("ab<`*U+202E␣")  # the prompt, read in order
    frame = page.locator(PLAYER).element_handle().content_frame()
    assert not frame.evaluate("() => document.body.innerText.includes('\\u202e')")
    # The next-character bars name U+202E in full: its label column fits its widest label (it
    # was clipped to "-202E" in a one-letter column).
    labels = frame.evaluate("() => window.babylmPlayer.views[1].labels")
    assert labels["widest"] <= labels["column"] - 4 and labels["px"] >= 9, labels


def test_the_form_keeps_its_settings_after_a_visit_to_another_page(page):
    """Found by clicking through: after Train and back, the form came back empty (prompt "",
    1 character, temperature 0), so the next Generate failed."""
    player = open_generate(page)
    generate(page, Prompt="mommy ", Seed=11)
    expect(player.locator("#counter")).to_have_text(re.compile(r"of 65$"), timeout=LOAD_MS)  # 6 + 60 - 1
    page.get_by_role("link", name="Train").click()
    expect(page.get_by_role("button", name="Train ▶")).to_be_visible(timeout=LOAD_MS)
    page.get_by_role("link", name="Generate").click()
    box = page.get_by_role("textbox", name="Prompt", exact=True)
    expect(box).to_have_value("mommy ", timeout=LOAD_MS)
    expect(page.get_by_role("spinbutton", name="Seed")).to_have_value("11")
    page.get_by_role("button", name="Generate ▶").click()
    expect(page.frame_locator(PLAYER).locator("#counter")).to_have_text(re.compile(r"of 65$"), timeout=LOAD_MS)
    expect(page.get_by_text("Can't generate")).to_have_count(0)


# --- the Memory page ------------------------------------------------------------------------
MEMORY_LABELS = ("LSTM", "GRU", "Simple RNN", "LSTM, 15-char window")


def open_memory(page):
    """Open the Memory page; a cold server loads three models first, so allow twice as long."""
    page.goto("/memory")
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible(timeout=2 * LOAD_MS)
    expect(chart.locator(".scatterlayer .trace")).to_have_count(len(MEMORY_LABELS), timeout=LOAD_MS)
    return chart


def test_memory_page_draws_one_curve_per_model(page):
    chart = open_memory(page)
    legend = chart.locator(".legendtext").all_text_contents()
    assert legend == list(MEMORY_LABELS)
    # Every curve has a point at each distance, and the plotted numbers are probabilities.
    points = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        return gd.data.map(t => [t.name, t.x.length, Math.min(...t.y), Math.max(...t.y)]); }""")
    assert [p[0] for p in points] == list(MEMORY_LABELS)
    assert len({p[1] for p in points}) == 1 and points[0][1] >= 15
    assert all(0 <= p[2] <= p[3] <= 1 for p in points)
    expect(page.get_by_text("Training time of each model")).to_be_visible()


def test_try_one_line_follows_the_animal_and_distance_and_survives_a_reload(page):
    open_memory(page)
    prompt = page.locator(".st-key-memory_try code")
    expect(prompt.first).to_contain_text("me see kitty")
    page.get_by_text("doggy", exact=True).click()
    expect(prompt.first).to_contain_text("me see doggy")
    expect(page.get_by_text("the right sound is woof")).to_be_visible()
    page.get_by_text("piggy", exact=True).click()  # changes their mind
    expect(prompt.first).to_contain_text("me see piggy")
    expect(page.get_by_text("the right sound is oink")).to_be_visible()
    page.reload()
    open_memory(page)
    expect(page.locator(".st-key-memory_try code").first).to_contain_text("me see kitty")


def test_memory_page_on_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server)
    try:
        phone = context.new_page()
        open_memory(phone)
        width = phone.evaluate("() => document.querySelector('.js-plotly-plot').getBoundingClientRect().width")
        assert width <= 390
        SHOTS.mkdir(parents=True, exist_ok=True)
        height = phone.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        phone.set_viewport_size({"width": 390, "height": min(max(height, 844), 8000)})
        phone.screenshot(path=str(SHOTS / "memory_phone.png"))
    finally:
        context.close()


def test_memory_side_by_side_plays_three_models_with_one_counter(page):
    open_memory(page)
    player = page.frame_locator(PLAYER)
    counter = player.locator("#cmp-counter")
    expect(counter).to_have_text(re.compile(r"step 1 of \d+"), timeout=2 * LOAD_MS)
    total = int(re.search(r"of (\d+)", counter.text_content()).group(1))
    columns = player.locator(".cmp-column")
    expect(columns).to_have_count(3)
    assert [c.get_attribute("data-label") for c in columns.all()] == ["LSTM", "GRU", "Simple RNN"]
    frame = page.locator(PLAYER).element_handle().content_frame()
    bars = "() => Array.from(document.querySelectorAll('.cmp-bars canvas')).map(c => c.toDataURL())"
    before = frame.evaluate(bars)
    player.locator("#cmp-play").click()
    frame.wait_for_function("() => window.babylmCompare.t >= 12", timeout=15_000)
    player.locator("#cmp-play").click()  # pause
    assert not frame.evaluate("() => window.babylmCompare.playing")
    t = frame.evaluate("() => window.babylmCompare.t")
    expect(counter).to_have_text(f"step {t + 1} of {total}")
    after = frame.evaluate(bars)
    assert all(a != b for a, b in zip(after, before)), "a model's bars did not move"
    # Each column shows its own model's memory of the animal at the same step.
    values = [float(v) for v in player.locator(".cmp-spread").evaluate_all("els => els.map(e => e.dataset.value)")]
    assert len(values) == 3 and all(0 <= v <= 1 for v in values)
    player.locator("#cmp-step").click()
    expect(counter).to_have_text(f"step {t + 2} of {total}")
    player.locator("#cmp-back").click()
    player.locator("#cmp-back").click()
    expect(counter).to_have_text(f"step {t} of {total}")
    player.locator("#cmp-reset").click()
    expect(counter).to_have_text(f"step 1 of {total}")
    # Another animal: the same player shows the new line from its first step.
    page.get_by_text("ducky", exact=True).click()
    frame = page.locator(PLAYER).element_handle().content_frame()
    frame.wait_for_function("() => { const c = window.babylmCompare; "
                            "return c.traces[0].chars(c.traces[0].inputs).join('').includes('ducky'); }",
                            timeout=LOAD_MS)
    expect(player.locator("#cmp-counter")).to_have_text(re.compile(r"step 1 of \d+"))


def test_memory_side_by_side_fits_a_projector(browser, server):
    """At 1280x720 the three columns, with their controls, fit in one screen below the page's
    bar (the frame was 723 px tall: teacher click-through)."""
    with session_page(browser, server, viewport={"width": 1280, "height": 720}) as page:
        open_memory(page)
        player = page.frame_locator(PLAYER)
        expect(player.locator("#cmp-counter")).to_have_text(re.compile(r"step 1 of \d+"), timeout=2 * LOAD_MS)
        page.wait_for_timeout(500)
        height = page.locator(PLAYER).bounding_box()["height"]
        assert height <= 720 - 60, height


def test_a_share_just_under_one_reads_more_than_99_9_percent_not_100(page, pretrained_trace):
    """Found by a hostile click-through: the top bar said "100%" beside other characters' non-zero
    shares. Step 11 of this link is 99.99% sure of "d"."""
    player = open_generate(page, "?prompt=me+want+&length=60&temperature=0&top_k=0&seed=3&step=11")
    expect_step(player, 11)
    frame = player_frame(page)
    p = frame.evaluate("() => { const s = window.babylmPlayer, t = s.store.state.t, tr = s.trace;"
                       " return tr.probs[t * tr.vocab + tr.outputs[t]]; }")
    trace = pretrained_trace(prompt="me want ", length=60, temperature=0.0, seed=3)
    exact = float(trace.chosen_prob[10])
    if not 0.9995 <= exact < 1:  # the shipped model changed: find the case elsewhere, don't pass blindly
        pytest.fail(f"step 11's next character has p = {exact}; pick a step with 0.9995 <= p < 1")
    assert p == exact  # the model's own float32, which rounds to 100.0
    expect(player.locator("#caption")).to_contain_text("gave it >99.9%")
