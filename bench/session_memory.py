"""What a session costs a server in memory: the figure behind BABYLM_SESSION_MODELS_MB.

One `streamlit run` server (a free 127.0.0.1 port) and headless Chromium. The server's resident
memory (VmRSS from /proc) is read:
1. after one warm-up session has opened Generate (the pretrained model and its first generation
   are loaded: what every server pays once);
2. after K more sessions have opened Generate with the pretrained model (a plain session);
3. after each of those K sessions has trained its own model (the default 2 x 128 LSTM on the
   baby-talk corpus, 2 epochs) and opened Generate with it (a session with its own model, the
   generation made from it and its cached payload).
Reports MB per plain session and per session with its own model, next to the model's weights
(parameters x 4 bytes). RSS includes what the allocator keeps after training, so the per-model
figure is an upper estimate of what the session holds.

    .venv/bin/python bench/session_memory.py          # about 2 minutes; writes bench/results/session_memory.json
    .venv/bin/python bench/session_memory.py --sessions 3 --no-write
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import socket
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from deploy.school import start_replica, stop_all, wait_healthy  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "session_memory.json"
PLAYER = "iframe[title*='babylm_player']"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text)[1]) / 1024


def settle(pid: int, seconds: float = 3.0) -> float:
    """RSS once the server has been idle for a moment (the last reruns finished)."""
    time.sleep(seconds)
    return rss_mb(pid)


def open_generate(page) -> None:
    page.goto("/")
    expect(page.frame_locator(PLAYER).locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=90_000)


def train_own_model(page) -> None:
    page.goto("/train")
    epochs = page.locator('input[type=range][aria-label^="Epochs"]')
    epochs.focus()
    epochs.press("Home")
    epochs.press("ArrowRight")
    expect(epochs).to_have_value("2")
    page.get_by_role("button", name="Train ▶").click()
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="Done")).to_be_visible(timeout=180_000)
    page.get_by_role("link", name="Generate").click()
    expect(page.get_by_text("Model: your model")).to_be_visible(timeout=60_000)
    expect(page.frame_locator(PLAYER).locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=90_000)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=8)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    from babylm import BabyLanguageModel

    weights_mb = BabyLanguageModel.pretrained().model.num_parameters() * 4 / 2**20
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(ROOT / "artifacts" / "session-memory-server.log", "w") if (ROOT / "artifacts").exists() else None
    server = start_replica(port, log=log)
    result = {}
    try:
        wait_healthy(url, server)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            warm = browser.new_context(base_url=url)
            open_generate(warm.new_page())
            base = settle(server.pid)
            pages = []
            for _ in range(args.sessions):
                context = browser.new_context(base_url=url)
                context.set_default_timeout(60_000)
                pages.append(context.new_page())
                open_generate(pages[-1])
            plain = settle(server.pid)
            for page in pages:
                train_own_model(page)
            own = settle(server.pid)
            browser.close()
    finally:
        stop_all([server])
    k = args.sessions
    result = {
        "date": datetime.date.today().isoformat(), "sessions": k,
        "rss_mb": {"after_warm_up": round(base, 1), "plus_plain_sessions": round(plain, 1),
                   "plus_own_models": round(own, 1)},
        "mb_per_plain_session": round((plain - base) / k, 2),
        "mb_per_own_model": round((own - plain) / k, 2),
        "mb_per_session_with_own_model": round((own - base) / k, 2),
        "weights_mb_of_default_model": round(weights_mb, 2),
    }
    print(json.dumps(result, indent=2))
    if not args.no_write:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
