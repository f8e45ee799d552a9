"""A class's first ten minutes on Train and Model, clicked in a real Chromium like people click:
twice, changing their mind, stopping halfway, leaving mid-run, closing the tab.

Each test here failed on the app before the fix it guards (see the commit that added it). The
server, browser and page fixtures come from browser_support.py; the trainer-slot race gets a
server of its own with one trainer slot.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
import torch

from babylm import BABY_DATASET, CharLSTM, ModelConfig, Vocab
from babylm.checkpoint import to_bytes
from browser_support import (LOAD_MS, ROOT, SHOTS, alert, expect, full_page_screenshot, session_page,
                             start_server)

TRAIN_MS = 90_000  # a short run on a busy 2-core machine
SMALL = "me want cookie\nme love mommy\n" * 30  # trains in a second or two


# --- helpers --------------------------------------------------------------------------------
def open_page(page, path: str):
    page.goto(path)
    expect(page.locator('[data-testid="stMainBlockContainer"] h1').first).to_be_visible(timeout=LOAD_MS)


def paste(page, text: str) -> None:
    """Type `text` into the Train page's "Your text" box and commit it, as Ctrl+Enter does."""
    box = page.get_by_role("textbox", name="Your text")
    box.fill(text)
    box.press("Control+Enter")


def set_epochs(page, epochs: int) -> None:
    slider = page.get_by_role("slider", name=re.compile("^Epochs"))
    slider.focus()
    slider.press("Home")
    for _ in range(epochs - 1):
        slider.press("ArrowRight")
    expect(slider).to_have_value(str(epochs))


def start_training(page, corpus: str | None = None, epochs: int | None = None) -> None:
    """On the Train page: choose the corpus (None: baby talk), the epochs, and press Train."""
    open_page(page, "/train")
    if corpus is not None:
        page.get_by_text("Paste text").click()
        paste(page, corpus)
        expect(page.get_by_text(f"{len(corpus):,} characters, ")).to_be_visible()  # the caption, not the size warning
    if epochs is not None:
        set_epochs(page, epochs)
    page.get_by_role("button", name="Train ▶").click()


def expect_training(page) -> None:
    """Training has started: the progress bar counts epochs."""
    expect(page.get_by_text(re.compile(r"Epoch [\d.]+ of \d+"))).to_be_visible(timeout=LOAD_MS)


def expect_active(page, heading: str | re.Pattern) -> None:
    """The Model page shows `heading` as the active model."""
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=LOAD_MS)


def tiny_checkpoint(path) -> None:
    vocab = Vocab.from_text(BABY_DATASET)
    torch.manual_seed(0)
    model = CharLSTM(ModelConfig(vocab_size=len(vocab), embedding_dim=8, hidden_size=16, num_layers=1))
    path.write_bytes(to_bytes(model, vocab, {}))


# --- a person changes their mind ------------------------------------------------------------
def test_the_train_text_box_keeps_every_change(page):
    open_page(page, "/train")
    page.get_by_text("Paste text").click()
    box = page.get_by_role("textbox", name="Your text")
    texts = ["a", SMALL, "me see doggy\n" * 40, "xy"]
    for text in texts:
        paste(page, text)
        if len(text) < 100:
            expect(alert(page, "too short")).to_be_visible()
        else:
            expect(page.get_by_text(f"{len(text):,} characters, ")).to_be_visible()  # the caption, not the size warning
            expect(alert(page, "too short")).to_have_count(0)
        page.wait_for_timeout(300)  # let any late rerun land
        expect(box).to_have_value(text)


def test_the_corpus_upload_states_one_size_limit(page):
    """The label and Streamlit's drop zone say the same limit (the drop zone said the server's
    20 MB for models under a label saying 2 MB)."""
    from babylm.app.limits import LIMITS

    open_page(page, "/train")
    page.get_by_text("Upload a .txt file").click()
    limit = LIMITS.max_corpus_upload_mb
    expect(page.get_by_text(f"A UTF-8 .txt file, up to {limit} MB")).to_be_visible()
    zone = page.locator('[data-testid="stFileUploaderDropzoneInstructions"]')
    expect(zone).to_contain_text(f"{limit}MB per file")


def test_the_active_model_radio_follows_every_switch(page, tmp_path):
    open_page(page, "/model")
    tiny_checkpoint(tmp_path / "tiny.safetensors")
    page.locator("input[type=file]").set_input_files(tmp_path / "tiny.safetensors")
    page.get_by_role("button", name="Use this model").click()
    expect_active(page, "Uploaded model (tiny.safetensors)")
    for choice, heading in [("pretrained", "Pretrained baby-talk model"),
                            ("uploaded", "Uploaded model (tiny.safetensors)")] * 2:
        page.get_by_role("radiogroup").get_by_text(re.compile(choice)).click()
        expect_active(page, heading)
        page.wait_for_timeout(300)
        expect_active(page, heading)
        expect(page.get_by_role("radio", name=re.compile(choice))).to_be_checked()


# --- training ends in a model, however it ends ----------------------------------------------
def test_stop_keeps_the_model_so_far(page):
    start_training(page)  # baby talk, 150 epochs: far from done after 3 s
    expect_training(page)
    page.wait_for_timeout(3000)
    page.get_by_role("button", name="Stop ■").click()
    expect(alert(page, "your model")).to_be_visible(timeout=TRAIN_MS)
    expect(page.get_by_text(re.compile(r"Epoch [\d.]+ of \d+"))).to_have_count(0)  # it has stopped
    page.get_by_role("link", name="Generate").click()
    expect(page.get_by_text(re.compile(r"your model \([\d.]+ epochs? on baby talk\)"))).to_be_visible(timeout=LOAD_MS)


def test_keep_training_then_stop_keeps_the_model_with_its_epochs_counted_on(page):
    """Train one epoch, then Keep training ▶ with 300 more, Stop halfway: one model whose epochs
    count on from the first run's, active on Generate."""
    start_training(page, epochs=1)
    expect(alert(page, "Done")).to_be_visible(timeout=TRAIN_MS)
    expect(page.get_by_role("button", name="Keep training ▶")).to_be_visible()  # at once, not after a rerun
    slider = page.get_by_role("slider", name=re.compile("^Epochs"))
    slider.focus()
    slider.press("End")
    expect(slider).to_have_value("300")
    page.get_by_role("button", name="Keep training ▶").click()
    expect(page.get_by_text(re.compile(r"Epoch [\d.]+ of 301 \([\d.]+ of 300 more epochs\)"))).to_be_visible(
        timeout=LOAD_MS)
    page.wait_for_timeout(3000)
    page.get_by_role("button", name="Stop ■").click()
    done = alert(page, "Stopped at epoch")
    expect(done).to_be_visible(timeout=TRAIN_MS)
    epochs = float(re.search(r"your model \(([\d.]+) epochs on baby talk\)", done.inner_text()).group(1))
    assert epochs > 1
    page.get_by_role("link", name="Generate").click()
    expect(page.get_by_text(f"your model ({epochs:g} epochs on baby talk)")).to_be_visible(timeout=LOAD_MS)


def test_leaving_the_train_page_keeps_the_model_so_far(page):
    start_training(page)
    expect_training(page)
    page.wait_for_timeout(2000)
    page.get_by_role("link", name="Model").click()
    expect_active(page, re.compile(r"Your model \([\d.]+ epochs? on baby talk\)"))
    page.get_by_role("link", name="Train").click()  # and Train says what happened
    expect(alert(page, "your model")).to_be_visible(timeout=LOAD_MS)


def test_a_bad_upload_after_training_keeps_the_trained_model(page, tmp_path):
    """A student stops a run, then tries to open a file that is not a model."""
    start_training(page)
    expect_training(page)
    page.wait_for_timeout(2000)
    page.get_by_role("button", name="Stop ■").click()
    expect(alert(page, "your model")).to_be_visible(timeout=TRAIN_MS)
    page.get_by_role("link", name="Model").click()
    trained = re.compile(r"Your model \([\d.]+ epochs? on baby talk\)")
    expect_active(page, trained)
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"not a checkpoint" * 100)
    page.locator("input[type=file]").set_input_files(bad)
    page.get_by_role("button", name="Use this model").click()
    expect(alert(page, "Can't open x.safetensors")).to_be_visible()
    expect_active(page, trained)
    page.get_by_role("link", name="Generate").click()
    expect(page.get_by_role("heading", name=re.compile("Watch a baby"))).to_be_visible(timeout=LOAD_MS)
    sidebar = page.locator('[data-testid="stSidebar"]')  # "Model: your model (...)" under the form
    expect(sidebar.get_by_text(re.compile(r"your model \([\d.]+ epochs? on baby talk\)"))).to_be_visible(timeout=LOAD_MS)


# --- the trainer slots ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_slot_server(chromium, request):
    with start_server(request, ROOT / "artifacts" / "browser-test-one-slot-server.log",
                      env={"BABYLM_MAX_TRAINERS": "1"}) as url:
        yield url


def test_closing_a_waiting_tab_and_a_training_tab_leaves_the_slot_free(browser, one_slot_server):
    """The race that leaked the one slot: B waits for A's slot; both tabs close. When A let go of
    the slot while B's wait was ending, B took it on its way out and never gave it back (about
    one round in three). Five rounds, closing B first and A first in turn; then C must train."""
    for round_ in range(5):
        with contextlib.ExitStack() as a_tab:
            a = a_tab.enter_context(session_page(browser, one_slot_server))
            start_training(a)
            expect_training(a)
            with session_page(browser, one_slot_server) as b:
                start_training(b)
                expect(alert(b, "Waiting for a free trainer")).to_be_visible()
                if round_ % 2:
                    a_tab.close()  # A's tab closes first, B's right after
            # else B's tab closed first, and A's closes now
    with session_page(browser, one_slot_server, SHOTS / "slot-race-third-session.png") as c:
        start_training(c, SMALL, epochs=1)
        expect(alert(c, "your model")).to_be_visible(timeout=TRAIN_MS)


# --- a projector and a phone ----------------------------------------------------------------
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720}, {"width": 390, "height": 844}],
                         ids=["projector", "phone"])
def test_train_and_model_pages_fit_a_projector_and_a_phone(browser, server, viewport, request):
    """After a short run: nothing wider than the screen, and the result with its download in
    reach. Screenshots: artifacts/screenshots/<test>-train.png and -model.png."""
    shot = SHOTS / request.node.name.replace("[", "-").replace("]", "")
    with session_page(browser, server, viewport=viewport) as page:
        start_training(page, SMALL, epochs=2)
        expect(alert(page, "your model")).to_be_visible(timeout=TRAIN_MS)
        download = page.get_by_role("button", name="Download this model (.safetensors)")
        download.scroll_into_view_if_needed()
        expect(download).to_be_in_viewport()
        assert fits_width(page), "the Train page is wider than the screen"
        page.screenshot(path=f"{shot}-train-viewport.png")
        full_page_screenshot(page, Path(f"{shot}-train.png"), viewport)
        go_to(page, "Model")
        expect_active(page, re.compile(r"Your model \(2 epochs on pasted text\)"))
        expect(page.get_by_text("Parameters")).to_be_visible()
        expect(page.get_by_text("Download it to keep it")).to_be_in_viewport()
        assert fits_width(page), "the Model page is wider than the screen"
        page.screenshot(path=f"{shot}-model-viewport.png")
        full_page_screenshot(page, Path(f"{shot}-model.png"), viewport)


def go_to(page, name: str) -> None:
    """Open another page the way a person does (a reload would start a new session). On a phone
    the page links are in the sidebar, behind its » button."""
    link = page.get_by_role("link", name=name)
    toggle = page.locator('[data-testid="stExpandSidebarButton"]')
    if toggle.is_visible():
        toggle.click()
        link.click()
        page.locator('[data-testid="stSidebarCollapseButton"] button').click()  # it stays open
    else:
        link.click()


def fits_width(page) -> bool:
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return main.scrollWidth <= window.innerWidth + 1
            && document.documentElement.scrollWidth <= window.innerWidth + 1; }""")
