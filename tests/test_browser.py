"""End-to-end tests of the app in a real headless Chromium: the player, the forms, the pages.

One `streamlit run` server for the whole file; a fresh browser context (a new Streamlit session)
per test. Every test leaves a full-page screenshot in artifacts/screenshots/<test>.png.

Needs Debian's /usr/bin/chromium (playwright's own browser download is not used). Without it
these tests skip, except under CI=true, where browser tests must run and so fail instead.
"""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SHOTS = ROOT / "artifacts" / "screenshots"
SERVER_LOG = ROOT / "artifacts" / "browser-test-server.log"
PLAYER = "iframe[title*='babylm_player']"
VIEWPORT = {"width": 1400, "height": 1000}
LOAD_MS = 45_000  # first page of a cold server: model load plus one generation, on a busy machine


def unavailable(reason: str):
    """Skip, or fail under CI: there a missing browser is a broken setup, not an option."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev requirements install it
    sync_playwright = None


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chromium() -> str:
    if sync_playwright is None:
        unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} not found: install Debian's chromium to run the browser tests")
    return str(CHROMIUM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(chromium, request):
    """Base URL of a `streamlit run streamlit_app.py` on a free local port."""
    port = free_port()
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    log = SERVER_LOG.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    url = f"http://127.0.0.1:{port}"
    failed_before = request.session.testsfailed
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{SERVER_LOG.read_text()}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health within 60 s:\n{SERVER_LOG.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if request.session.testsfailed > failed_before:
            terminal = request.config.pluginmanager.get_plugin("terminalreporter")
            if terminal is not None:
                terminal.write_sep("-", f"streamlit server log ({SERVER_LOG})")
                terminal.write(SERVER_LOG.read_text()[-20_000:] + "\n")


@pytest.fixture(scope="session")
def browser(chromium):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server, request):
    """A page in a fresh context (so a fresh Streamlit session); screenshot after the test.
    Any uncaught JavaScript error on the page or in the player fails the test."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        full_page_screenshot(page, SHOTS / f"{request.node.name}.png")
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def full_page_screenshot(page: Page, path: Path) -> None:
    """Streamlit scrolls inside its main element, not the document, so `full_page` alone shows
    only the viewport: grow the viewport to the content's height first."""
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        if (main) main.scrollTo(0, 0);
        return Math.max(main ? main.scrollHeight : 0, document.documentElement.scrollHeight); }""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 8000)})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


# --- helpers --------------------------------------------------------------------------------
def player_frame(page: Page):
    """The player's Frame (for evaluate / wait_for_function inside it)."""
    return page.locator(PLAYER).element_handle(timeout=LOAD_MS).content_frame()


def counter(player) -> tuple[int, int]:
    """(step, of) from the player's "step N of M" counter."""
    step, total = re.fullmatch(r"step (\d+) of (\d+)", player.locator("#counter").text_content()).groups()
    return int(step), int(total)


def expect_step(player, step: int) -> None:
    expect(player.locator("#counter")).to_have_text(re.compile(rf"step {step} of \d+"))


def open_generate(page: Page):
    """Open Generate and wait for the player at its first step; returns its FrameLocator."""
    page.goto("/")
    player = page.frame_locator(PLAYER)
    expect(player.locator("#counter")).to_have_text(re.compile(r"step 1 of \d+"), timeout=LOAD_MS)
    return player


def alert(page: Page, text: str):
    return page.locator('[data-testid="stAlert"]').filter(has_text=text)


# --- the player -----------------------------------------------------------------------------
def test_generate_opens_at_step_one_and_steps(page):
    player = open_generate(page)
    _, total = counter(player)
    assert total > 10
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
    topk = "() => document.querySelector('#fig-topk canvas').toDataURL()"
    state = "() => document.querySelector('#fig-state canvas').toDataURL()"
    frame.wait_for_function("() => document.querySelectorAll('#fig-history .shape').length > 0")
    history = ("() => Array.from(document.querySelectorAll('#fig-history .shape'))"
               ".map(b => b.style.left + b.style.width).join()")
    before = frame.evaluate(topk), frame.evaluate(state), frame.evaluate(history)
    quiet = len(sent)

    player.locator("#play").click()
    started = time.perf_counter()
    frame.wait_for_function("() => window.babylmPlayer.t >= 8", timeout=10_000)
    elapsed = time.perf_counter() - started
    assert frame.evaluate("() => window.babylmPlayer.playing")
    player.locator("#play").click()  # pause
    assert not frame.evaluate("() => window.babylmPlayer.playing")

    step, _ = counter(player)
    assert step == frame.evaluate("() => window.babylmPlayer.t") + 1 >= 9
    assert elapsed < 5, f"8 steps took {elapsed:.1f} s at 10 steps/s"
    after = frame.evaluate(topk), frame.evaluate(state), frame.evaluate(history)
    assert after[0] != before[0], "the top-k bars did not change"
    assert after[1] != before[1], "the state canvas did not change"
    assert after[2] != before[2], "the history's reveal did not move"
    assert len(sent) == quiet, f"the browser sent Streamlit {len(sent) - quiet} messages while playing"


def test_show_gates_draws_the_gate_grids(page):
    player = open_generate(page)
    gates = player.locator("#fig-gates")
    expect(gates).to_be_hidden()
    closed = page.locator(PLAYER).evaluate("el => el.getBoundingClientRect().height")
    player.locator("#gates").check()
    expect(gates).to_be_visible()
    expect(gates.locator("canvas")).to_have_count(8)  # 4 gates x 2 layers of the pretrained model
    painted = gates.locator("canvas").first.evaluate("""c => {
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let k = 0; k < px.length; k += 4) if (px[k] < 250 || px[k + 1] < 250 || px[k + 2] < 250) return true;
        return false; }""")
    assert painted, "the gate canvas is blank"
    page.wait_for_function(f"() => document.querySelector({PLAYER!r}).getBoundingClientRect().height > {closed} + 200")
    player.locator("#gates").uncheck()
    expect(gates).to_be_hidden()
    # the frame shrinks back (it used to keep the gates' height, leaving a blank gap)
    page.wait_for_function(f"() => document.querySelector({PLAYER!r}).getBoundingClientRect().height < {closed} + 20")
    player.locator("#gates").check()  # and leave them shown for the screenshot
    expect(gates.locator("canvas").first).to_be_visible()


def test_keyboard_steps_and_spaces_are_visible(page):
    player = open_generate(page)
    player.locator("#text").click()  # focus inside the player
    page.keyboard.press("ArrowRight")
    expect_step(player, 2)
    page.keyboard.press("ArrowRight")
    expect_step(player, 3)  # read the prompt's space ("me want ")
    expect(player.locator("#caption")).to_contain_text("“␣”")
    page.keyboard.press("ArrowRight")
    expect(player.locator("#text")).to_have_text(re.compile(r"^me␣w"))
    expect(player.locator("#text .ws")).to_have_count(1)
    page.keyboard.press("ArrowLeft")
    expect_step(player, 3)
    page.keyboard.press("Home")
    expect_step(player, 1)


# --- the Generate form ----------------------------------------------------------------------
def test_generate_with_a_new_prompt_loads_a_new_generation(page):
    player = open_generate(page)
    frame = player_frame(page)
    old_key = frame.evaluate("() => window.babylmPlayer.key")
    page.get_by_role("textbox", name="Prompt").fill("me love ")
    page.get_by_role("button", name="Generate ▶").click()
    frame.wait_for_function(f"() => window.babylmPlayer.key !== {old_key!r}", timeout=LOAD_MS)
    assert frame.evaluate("() => window.babylmPlayer.payload.inputs.slice(0, 8).join('')") == "me love "
    frame.wait_for_function("() => window.babylmPlayer.t >= 8")  # it autoplays
    expect(player.locator("#text")).to_have_text(re.compile(r"^me␣love␣"))


def test_unknown_character_shows_an_error_and_keeps_the_player(page):
    player = open_generate(page)
    frame = player_frame(page)
    old_key = frame.evaluate("() => window.babylmPlayer.key")
    _, total = counter(player)
    player.locator("#step").click()
    page.get_by_role("textbox", name="Prompt").fill("me want ZZ")
    page.get_by_role("button", name="Generate ▶").click()
    expect(alert(page, "never seen")).to_be_visible()
    assert frame.evaluate("() => window.babylmPlayer.key") == old_key
    expect(player.locator("#counter")).to_have_text(f"step 2 of {total}")  # where it was


# --- Train and Model ------------------------------------------------------------------------
def test_train_on_pasted_text_makes_it_the_active_model(page, request):
    page.goto("/train")
    page.get_by_text("Paste text").click()
    corpus = "me want cookie\nme love mommy\n" * 30
    text = page.get_by_role("textbox", name="Your text")
    text.fill(corpus)
    text.press("Control+Enter")
    expect(page.get_by_text(f"{len(corpus):,} characters")).to_be_visible()
    epochs = page.locator('input[type=range][aria-label^="Epochs"]')
    epochs.focus()
    epochs.press("Home")
    epochs.press("ArrowRight")
    expect(epochs).to_have_value("2")
    page.get_by_role("button", name="Train ▶").click()
    expect(alert(page, "Done")).to_be_visible(timeout=60_000)
    expect(alert(page, "your model")).to_be_visible()
    expect(page.locator(".stPlotlyChart")).to_have_count(1)  # the finished curve, once
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
