"""A hostile vocabulary and file name in a real browser: Markdown shows as typed, U+202E shows as
its code and reverses nothing, on the Model page and in the player. Uses test_browser's server
and browser (so it skips, or fails under CI=true, exactly as they do)."""

from __future__ import annotations

import re

import torch
from playwright.sync_api import expect
from test_browser import (LOAD_MS, PLAYER, SHOTS, browser, chromium, full_page_screenshot, page,  # noqa: F401
                          pause_at, server)

from babylm import CharLSTM, ModelConfig, Vocab
from babylm.checkpoint import to_bytes

CHARS = "ab<`*\u202e \n"
NAME = "**evil**\u202egnp.safetensors"


def test_a_hostile_vocabulary_and_file_name_show_literally(page, tmp_path, request):  # noqa: F811
    torch.manual_seed(0)
    model = CharLSTM(ModelConfig(vocab_size=len(CHARS), embedding_dim=4, hidden_size=6, num_layers=1)).eval()
    upload = tmp_path / NAME
    upload.write_bytes(to_bytes(model, Vocab(tuple(CHARS))))

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
    pause_at(page, player, 7)
    expect(player.locator("#text")).to_contain_text("ab<`*U+202E␣")  # the prompt, read in order
    frame = page.locator(PLAYER).element_handle().content_frame()
    assert not frame.evaluate("() => document.body.innerText.includes('\\u202e')")
