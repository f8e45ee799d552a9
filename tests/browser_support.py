"""What every browser test file shares: a `streamlit run` server, headless Chromium, a fresh page
per test (a new Streamlit session) with a screenshot afterwards, and small helpers.

The fixtures are registered for the whole tests/ folder by conftest.py. `start_server` starts
extra servers (say, with BABYLM_MAX_TRAINERS=1) for tests that need their own.

Needs Debian's /usr/bin/chromium (playwright's own browser download is not used). Without it
these tests skip, except under CI=true, where browser tests must run and so fail instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from deploy.school import start_replica, wait_healthy

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
    Page = expect = None


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


def free_ports(n: int) -> int:
    """The first of `n` consecutive free ports (replicas take --port, --port + 1, ...). All `n`
    are held at once while checked: a port next to a free one may be any client's local end."""
    for _ in range(100):
        held = [socket.socket()]
        try:
            held[0].bind(("127.0.0.1", 0))
            first = held[0].getsockname()[1]
            for port in range(first + 1, first + n):
                held.append(socket.socket())
                held[-1].bind(("127.0.0.1", port))
            return first
        except (OSError, OverflowError):  # taken, or past port 65535
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError(f"no {n} consecutive free ports found")


@contextlib.contextmanager
def start_server(request, log_path: Path = SERVER_LOG, env: dict[str, str] | None = None):
    """Base URL of a `streamlit run streamlit_app.py` on a free local port, stopped afterwards.
    If a test failed meanwhile, the end of the server's log is printed."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    proc = start_replica(port, log=log, env=dict(os.environ, **(env or {})))  # as `make replicas` runs it
    url = f"http://127.0.0.1:{port}"
    failed_before = request.session.testsfailed
    try:
        try:
            wait_healthy(url, proc)
        except RuntimeError as err:
            pytest.fail(f"{err}:\n{log_path.read_text()}")
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
                terminal.write_sep("-", f"streamlit server log ({log_path})")
                terminal.write(log_path.read_text()[-20_000:] + "\n")


@pytest.fixture(scope="session")
def server(chromium, request):
    """Base URL of the shared test server (default settings)."""
    with start_server(request) as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def session_page(browser, base_url: str, shot: Path | None = None, viewport: dict = VIEWPORT):
    """A page in a fresh context (so a fresh Streamlit session), screenshotted to `shot` and
    closed afterwards (closing it is closing the tab). Any uncaught JavaScript error on the page
    fails the test, and so does any request that leaves this machine (a classroom may have no
    internet: everything the app shows ships with it)."""
    context = browser.new_context(viewport=viewport, base_url=base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda err: errors.append(str(err)))
    here = urllib.parse.urlsplit(base_url).hostname

    def watch(request) -> None:
        url = urllib.parse.urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in (here, "127.0.0.1", "localhost"):
            outside.append(request.url)

    context.on("request", watch)
    try:
        yield page
        if shot is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            full_page_screenshot(page, shot, viewport)
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not outside, f"requests that leave this machine: {outside[:3]}"


@pytest.fixture
def page(browser, server, request):
    """A page in a fresh context (so a fresh Streamlit session); screenshot after the test.
    Any uncaught JavaScript error on the page or in the player fails the test."""
    with session_page(browser, server, SHOTS / f"{request.node.name}.png") as page:
        yield page


def full_page_screenshot(page: Page, path: Path, viewport: dict = VIEWPORT) -> None:
    """Streamlit scrolls inside its main element, not the document, so `full_page` alone shows
    only the viewport: grow the viewport to the content's height first."""
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        if (main) main.scrollTo(0, 0);
        return Math.max(main ? main.scrollHeight : 0, document.documentElement.scrollHeight); }""")
    page.set_viewport_size({"width": viewport["width"], "height": min(max(height, viewport["height"]), 8000)})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)


# --- helpers --------------------------------------------------------------------------------
def alert(page: Page, text: str):
    return page.locator('[data-testid="stAlert"]').filter(has_text=text)


def train_two_epochs(page: Page, timeout_ms: int) -> None:
    """Set the Train page's Epochs slider to 2 as a keyboard user would, press Train, and wait
    for the run's "Done"."""
    epochs = page.locator('input[type=range][aria-label^="Epochs"]')
    epochs.focus()
    epochs.press("Home")
    epochs.press("ArrowRight")
    expect(epochs).to_have_value("2")
    page.get_by_role("button", name="Train ▶").click()
    expect(alert(page, "Done")).to_be_visible(timeout=timeout_ms)
