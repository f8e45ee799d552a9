"""The unit inspector in a real headless Chromium: click a unit and the text is coloured by its
value (the numbers the trace holds) and the link names it; compare two prompts and the top unit
is one click away; saliency shading follows the step. Screenshots at 1280x720 and 390x844 land
in artifacts/screenshots/.

Uses test_browser.py's server, browser and page fixtures (and so its Chromium rules: under
CI=true a missing browser fails, never skips)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from babylm.analysis import contrast, saliency
from babylm.settings import GenerationSettings
from babylm.trace import trace_generation
from test_browser import (LOAD_MS, PLAYER, SHOTS, browser, chromium, expect_step, full_page_screenshot,  # noqa: F401
                          open_generate, page, pause_at, player_frame, server)

LINK = "?prompt=me+want+&length=30&temperature=0&top_k=0&seed=0&mode=stateful"


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


def test_click_a_unit_colours_the_text_by_its_value_and_names_it_in_the_link(page, pretrained):
    player = open_generate(page, LINK)
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


def test_compare_two_prompts_and_select_the_top_unit(page, pretrained):
    player = open_generate(page, LINK)
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


def test_saliency_shading_follows_the_step(page, pretrained):
    player = open_generate(page, LINK)
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
    page.set_viewport_size({"width": 1280, "height": 720})
    page.screenshot(path=str(SHOTS / "inspector-saliency-1280x720.png"))
    # Turn it off: back to plain text.
    page.get_by_text("Shade the text by which past characters").click()
    expect(player.locator("#text span[data-v]")).to_have_count(0, timeout=30_000)


def test_screens_1280x720_and_phone_390x844(browser, server):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, size, extra in (("1280x720", {"width": 1280, "height": 720}, {}),
                              ("phone-390x844", {"width": 390, "height": 844}, dict(is_mobile=True, has_touch=True))):
        context = browser.new_context(viewport=size, base_url=server, **extra)
        try:
            page = context.new_page()
            player = open_generate(page, LINK + "&step=15&unit=2:69&gates=1")
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


def test_projector_1280x720_with_a_unit_selected_keeps_the_history_in_view(page):
    from test_browser import visible_in_viewport

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
