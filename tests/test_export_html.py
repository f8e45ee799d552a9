"""The offline lesson file: `python -m babylm export --format html` opened from disk (file://)
in headless Chromium with every other request aborted. It must play, step, scrub and take the
keys like the app, and show the trace's own values (to the 3 significant digits the player
shows everywhere). Without chromium these tests skip, except under CI=true, where they fail."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from babylm.api import BabyLanguageModel
from babylm.cli import main
from babylm.export_html import bundle
from babylm.trace import trace_generation

from browser_support import CHROMIUM_ARGS, SHOTS
from test_export import SETTINGS, VOCAB, tiny
from test_serving import in_own_thread

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    """(path of the offline file, its trace): the tiny model's SETTINGS run, opened at step 3."""
    folder = tmp_path_factory.mktemp("offline")
    model = folder / "tiny.safetensors"
    BabyLanguageModel.from_parts(tiny(), VOCAB).save(model)
    out = folder / "lesson.html"
    assert main(["export", "--format", "html", "--out", str(out), "--model", str(model), "--steps", "3:",
                 "--prompt", SETTINGS.prompt, "--length", str(SETTINGS.length), "--temperature", "1",
                 "--seed", str(SETTINGS.seed)]) == 0
    baby = BabyLanguageModel.load(model)
    return out, trace_generation(baby.model, baby.vocab, SETTINGS)


def close(shown: str, value: float) -> bool:
    """`shown` (the player's 3-significant-digit text) is `value` rounded."""
    number = float(shown.replace("−", "-").lstrip("≈"))
    if value == 0:
        return number == 0
    return abs(number - value) <= 0.51 * 10 ** (math.floor(math.log10(abs(value))) - 2)


def test_the_file_holds_everything_and_names_nothing_outside(lesson):
    out, _ = lesson
    html = out.read_text(encoding="utf-8")
    assert re.findall(r"""(?:src|href)\s*=\s*["'][^"']""", html) == []  # no file, no server, no CDN
    assert "streamlit:render" not in html  # the Streamlit protocol is replaced by the offline one
    assert html.count("<script") == 2  # the inlined trace and the player's own code


def test_bundle_is_the_players_own_modules():
    code = bundle()
    assert "import " not in re.sub(r"//.*", "", code) and "\nexport " not in code
    assert "// --- main.js" in code and "// --- wire.js" in code and "offline" in code


def test_the_offline_file_plays_steps_and_scrubs_from_disk(lesson, chromium, request):
    out, trace = lesson
    T = len(trace)
    errors, asked = [], []

    def drive():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 720})

            def only_files(route):
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    asked.append(route.request.url)
                    route.abort()

            context.route("**/*", only_files)
            page = context.new_page()
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            try:
                page.goto(out.as_uri())
                counter = page.locator("#counter")
                expect(counter).to_have_text(f"step 3 of {T}")  # --steps 3: opens at step 3
                shown_text = "".join(trace.inputs[:3]).replace(" ", "␣")
                expect(page.locator("#text")).to_contain_text(shown_text)

                page.locator("#step").click()
                expect(counter).to_have_text(f"step 4 of {T}")
                page.locator("#back").click()
                page.locator("#back").click()
                expect(counter).to_have_text(f"step 2 of {T}")
                page.locator("#scrub").evaluate("(el) => { el.value = 10; el.dispatchEvent(new Event('input')); }")
                expect(counter).to_have_text(f"step 11 of {T}")
                page.keyboard.press("ArrowRight")
                expect(counter).to_have_text(f"step 12 of {T}")
                page.keyboard.press("Home")
                expect(counter).to_have_text(f"step 1 of {T}")

                page.locator("#play").click()
                page.wait_for_function("() => window.babylmPlayer.t >= 5", timeout=10_000)
                page.locator("#play").click()  # pause
                step = int(counter.get_attribute("data-step"))
                assert step >= 6 and not page.evaluate("() => window.babylmPlayer.playing")
                page.wait_for_timeout(400)
                expect(counter).to_have_text(f"step {step} of {T}")  # paused means paused

                # The values it shows are the trace's: the caption's probability, and a unit's values.
                t = step - 1
                caption = page.locator("#caption").text_content()
                above, percent = re.search(r"gave it (>?)([\d.e+-]+)%", caption).groups()
                if above:  # ">99.9%": under 1 but 100 to 3 digits
                    assert 0.999 < float(trace.chosen_prob[t]) < 1, caption
                else:
                    assert close(percent, 100 * float(trace.chosen_prob[t])), caption
                canvas = page.locator("#state-view canvas").first
                canvas.click(position={"x": 3, "y": 3})  # the first square: layer 1, unit 1
                readout = page.locator("#readout")
                expect(readout).to_have_attribute("data-unit", "1:1")
                values = readout.evaluate("(el) => JSON.parse(el.dataset.values)")
                for name in ("h", "c"):
                    assert close(values[name], float(trace.internals[name][t, 0, 0])), (name, values[name])
                for name in ("i", "f", "g", "o"):  # sent as 8 bits on the panel's range, shown as ≈
                    assert abs(float(values[name].replace("−", "-").lstrip("≈")) - trace.internals[name][t, 0, 0]) < 0.02
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"{request.node.name}.png"), full_page=True)
                page.set_viewport_size({"width": 390, "height": 844})
                page.screenshot(path=str(SHOTS / f"{request.node.name}-phone.png"), full_page=True)
            finally:
                context.close()
                browser.close()

    in_own_thread(drive)

    assert not errors, f"errors on the page: {errors}"
    assert asked == [], f"the offline file asked the network for {asked}"


def test_a_lesson_stop_becomes_a_file_that_opens_at_it_with_its_text(tmp_path):
    import html as html_lib
    import json

    from babylm.lessons import find, show_stop

    baby = BabyLanguageModel.pretrained()
    lesson = find("me-want-cookie")
    for number, stop in enumerate(lesson.stops, start=1):
        if stop.unit is not None:  # a stop that points at a unit
            break
    shown = show_stop(lesson, number, baby.model, baby.vocab)
    out = tmp_path / "stop.html"
    assert main(["export", "--format", "html", "--out", str(out), "--lesson", lesson.name, "--stop", str(number)]) == 0
    page = out.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script id="babylm-offline" type="application/json">(.*?)</script>', page, re.S)[1])
    assert data["view"]["t"] == shown.step - 1
    assert data["view"]["unit"] == [shown.unit[0] - 1, shown.unit[1] - 1]
    note = re.search(r'<div id="babylm-note">(.*?)</div>', page, re.S)[1]
    note = html_lib.unescape(note)
    assert note.startswith(f"{lesson.title} · stop {number} of {len(lesson.stops)}") and shown.text in note
