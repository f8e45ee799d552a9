"""What one Generate click costs the server: CPU milliseconds per click, for "when to add a replica".

One `streamlit run` server (a free 127.0.0.1 port), one headless Chromium session on Generate.
The session presses Generate N times, each with a new seed (so nothing is served from the cache),
and waits until the player has the new trace. The server process's CPU time (user + system, from
/proc/<pid>/stat, all its threads) is read before and after; the difference over N is the server
CPU per Generate: the generation itself, packing it for the player, and Streamlit's rerun.
Playing costs the server nothing (see app_speed.py), so this is the number that sizes a server.

    .venv/bin/python bench/generate_cost.py            # about a minute; writes bench/results/generate_cost.json
    .venv/bin/python bench/generate_cost.py --clicks 5 --no-write
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import socket
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from deploy.school import start_replica, stop_all, wait_healthy  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "generate_cost.json"
PLAYER = "iframe[title*='babylm_player']"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clicks", type=int, default=20)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_replica(port, log=open(os.devnull, "w"))
    walls = []
    try:
        wait_healthy(url, server)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(base_url=url)
            page.set_default_timeout(60_000)
            page.goto("/")
            player = page.frame_locator(PLAYER)
            expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=90_000)
            frame = page.locator(PLAYER).element_handle().content_frame()
            seed = page.get_by_role("spinbutton", name="Seed")
            time.sleep(2)  # let the first page's work finish
            before = cpu_seconds(server.pid)
            for k in range(args.clicks):
                key = frame.evaluate("() => window.babylmPlayer.key")
                seed.fill(str(1000 + k))
                started = time.perf_counter()
                page.get_by_role("button", name="Generate ▶").click()
                frame.wait_for_function(f"() => window.babylmPlayer.key !== {key!r}")
                walls.append(time.perf_counter() - started)
            time.sleep(1)  # the last rerun's tail
            after = cpu_seconds(server.pid)
            browser.close()
    finally:
        stop_all([server])
    result = {
        "date": datetime.date.today().isoformat(), "nproc": os.cpu_count(), "clicks": args.clicks,
        "loadavg": os.getloadavg(),
        "server_cpu_ms_per_generate": round((after - before) / args.clicks * 1000, 1),
        "wall_ms_per_generate_median": round(statistics.median(walls) * 1000, 1),
        "settings": "the app's defaults (pretrained 2 x 128 LSTM, 60 characters after 'me want '), a new seed each click",
    }
    print(json.dumps(result, indent=2))
    if not args.no_write:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
