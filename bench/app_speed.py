"""App speed: this checkout's Generate page against the design before the player foundation
(issue 9), side by side in one run on the same machine.

- new: this checkout (streamlit_app.py): a Trace packed as one binary buffer (babylm/wire.py),
  NumPy stepping, postScriptGC off, the first page precomputed in assets/.
- old: `git archive OLD_REV` (default f60a96f, the last commit before the foundation) unpacked in a
  temporary directory: Plotly figures with one frame per step, sent as JSON.

Measured on each design's own `streamlit run` server (a free 127.0.0.1 port):

1. Server alone, with a small client that speaks Streamlit's websocket protocol with streamlit's own
   protobufs (bench/st_client.py): it opens a session, then presses Generate in the sidebar form
   (the widgets found by their labels, values sent as the browser sends them). Per Generate:
   - server CPU (user + system time of the server process, all threads, from /proc), default
     settings with a new seed each time (no cache hit), and 1,000 characters (400 for old, its cap);
   - bytes the server sends until the script run finishes;
   - 30 sessions pressing Generate at the same moment (30 seeds): each one's time from its press
     to the message that carries the player (its first frame's data).
2. Headless Chromium:
   - `streamlit run` -> first frame: process start to the player's counter showing a trace's
     steps ("step N of 67");
   - playback of a 400-character generation at the 30/s setting: steps/s from the player's own
     counter over 3 s; and the player's capacity: milliseconds to render one step (mean of 200 steps
     driven in a loop inside the page), i.e. the most steps/s it could draw.

The machine is shared (2 cores, other jobs), so wall times are noisy: read the CPU columns and the
ratios between designs measured in the same run.

    .venv/bin/python bench/app_speed.py            # about 5 minutes; writes bench/results/app_speed.json
    .venv/bin/python bench/app_speed.py --quick --no-write

Only 127.0.0.1 is contacted. Needs Debian's /usr/bin/chromium and the playwright package.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.st_client import Session, server_cpu_seconds  # noqa: E402
from deploy.school import start_replica, wait_healthy  # noqa: E402

OLD_REV = "f60a96f"
PLAYER = "iframe[title*='babylm_player']"
CHROMIUM = "/usr/bin/chromium"
RESULTS = ROOT / "bench" / "results" / "app_speed.json"


# --- servers -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run streamlit_app.py` in `root`; `started` is when the process was spawned."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = time.perf_counter()
        self.proc = start_replica(self.port, log=subprocess.DEVNULL, root=root,
                                  env=dict(os.environ, PYTHONPATH=str(root)))

    def wait_healthy(self) -> float:
        wait_healthy(self.url, self.proc, seconds=120)
        return time.perf_counter() - self.started

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def old_checkout(rev: str) -> Path:
    """The app at `rev`, unpacked with `git archive` (the repository itself is not touched)."""
    folder = Path(tempfile.mkdtemp(prefix=f"babylm-{rev}-"))
    data = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    tarfile.open(fileobj=io.BytesIO(data)).extractall(folder)
    return folder


# --- 1. the server alone -------------------------------------------------------------------------
async def generate_cpu(url: str, pid: int, length: int, rounds: int, seed0: int) -> dict:
    """One session pressing Generate `rounds` times (new seeds): server CPU and bytes per press."""
    session = await Session.open(url)
    try:
        await session.generate(Seed=seed0 - 1, **{"New characters": length})  # warm: imports, caches
        cpu0, wall0, sent = server_cpu_seconds(pid), time.perf_counter(), []
        for k in range(rounds):
            result = await session.generate(Seed=seed0 + k, **{"New characters": length})
            sent.append(result["bytes"])
        cpu = server_cpu_seconds(pid) - cpu0
        return {"length": length, "rounds": rounds, "server_cpu_ms": round(1000 * cpu / rounds, 1),
                "wall_ms": round(1000 * (time.perf_counter() - wall0) / rounds, 1),
                "bytes": int(statistics.median(sent))}
    finally:
        await session.close()


async def crowd(url: str, pid: int, n: int, seed0: int) -> dict:
    """`n` open sessions press Generate at the same moment: each one's wait for its player."""
    sessions = await asyncio.gather(*(Session.open(url) for _ in range(n)))
    try:
        await asyncio.sleep(1.0)  # let the opening runs finish
        cpu0 = server_cpu_seconds(pid)
        results = await asyncio.gather(*(s.generate(Seed=seed0 + k) for k, s in enumerate(sessions)))
        cpu = server_cpu_seconds(pid) - cpu0
        waits = sorted(r["first_frame_s"] for r in results)
        return {"sessions": n, "first_frame_max_s": round(waits[-1], 2),
                "first_frame_median_s": round(statistics.median(waits), 2),
                "server_cpu_s": round(cpu, 2), "errors": sum(1 for r in results if r["error"])}
    finally:
        await asyncio.gather(*(s.close() for s in sessions))


# --- 2. the browser ------------------------------------------------------------------------------
def browser_rows(root: Path, name: str) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            server = Server(root)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                server.wait_healthy()
                page.goto(server.url + "/")
                # The first frame: a trace on the counter ("step 0 of 0" before; the opening plays on by itself).
                page.frame_locator(PLAYER).locator("#counter").filter(
                    has_text=re.compile(r"step \d+ of [1-9]")).wait_for(timeout=120_000)
                out["first_frame_s"] = round(time.perf_counter() - server.started, 2)
                try:
                    out.update(playback(page, server.url))
                except Exception as err:  # noqa: BLE001 - a row that fails is reported, not fatal
                    out.update(steps_per_s=None, ms_per_step=None, error=str(err).splitlines()[0])
            finally:
                server.stop()
        finally:
            browser.close()
    print(f"  {name}: first frame {out['first_frame_s']} s, {out['steps_per_s']} steps/s at 30/s, "
          f"{out['ms_per_step']} ms per step {out.get('error', '')}", flush=True)
    return out


def playback(page, url: str) -> dict:
    """A 400-character generation: steps/s at the 30/s setting, and ms to render one step."""
    # The player is reached through its iframe's window (same origin), never a frame handle that
    # a navigation or rerun could detach.
    P = f"document.querySelector({PLAYER!r}).contentWindow"

    def js(expr: str):
        return page.evaluate(f"() => {{ const w = {P}; return ({expr}); }}")

    def wait(expr: str, timeout: int = 120_000):
        page.wait_for_function(f"() => {{ const f = document.querySelector({PLAYER!r}); const w = f && f.contentWindow;"
                               f" return w && w.babylmPlayer && ({expr}); }}", timeout=timeout)

    data = "(w.babylmPlayer.trace || w.babylmPlayer.payload)"
    page.goto(url + "/?prompt=me+want+&length=400")  # the old app ignores the link: set the slider
    wait(data)
    if js(f"{data}.steps") < 400:
        handle = page.get_by_role("slider", name="New characters")
        handle.focus()
        handle.press("End")
        for _ in range(600):
            if handle.get_attribute("aria-valuenow") == "400":
                break
            handle.press("ArrowLeft")
        page.get_by_role("button", name="Generate ▶").click()
        wait(f"{data}.steps >= 400")
        time.sleep(1.0)
    js("""(() => { const p = w.babylmPlayer, d = w.document;
        if (p.player) { p.player.pause(); p.store.set({t: 0, speed: 30}); }
        else { d.getElementById('reset').click(); const s = d.getElementById('speed');
               s.value = '30'; s.dispatchEvent(new w.Event('change')); } })()""")
    js("w.document.getElementById('play').click()")
    time.sleep(0.5)
    t0 = js("w.babylmPlayer.t")
    time.sleep(3.0)
    t1 = js("w.babylmPlayer.t")
    js("w.babylmPlayer.playing && w.document.getElementById('play').click()")
    # Capacity: render 200 consecutive steps as fast as the page can, then let it paint.
    ms = page.evaluate(f"""async () => {{
        const w = {P}, p = w.babylmPlayer, d = w.document, n = 200;
        const go = p.store ? (t) => p.store.set({{t}}) : (t) => {{ d.getElementById('scrub').value = t;
            d.getElementById('scrub').dispatchEvent(new w.Event('input')); }};
        go(0);
        await new Promise(r => w.requestAnimationFrame(r));
        const t0 = w.performance.now();
        for (let t = 1; t <= n; t++) go(t);
        await new Promise(r => w.requestAnimationFrame(() => w.requestAnimationFrame(r)));
        return (w.performance.now() - t0) / n; }}""")
    return {"steps_per_s": round((t1 - t0) / 3.0, 1), "ms_per_step": round(ms, 2),
            "capacity_steps_per_s": round(1000 / ms) if ms > 0 else None}


# --- the run -------------------------------------------------------------------------------------
def server_rows(root: Path, name: str, long: int, rounds: int, crowd_n: int) -> dict:
    server = Server(root)
    try:
        server.wait_healthy()
        out = {}

        async def run():
            out["default"] = await generate_cpu(server.url, server.proc.pid, 60, rounds, 1000)
            out["long"] = await generate_cpu(server.url, server.proc.pid, long, max(2, rounds // 3), 2000)
            out["crowd"] = await crowd(server.url, server.proc.pid, crowd_n, 3000)

        asyncio.run(run())
        d, lg, c = out["default"], out["long"], out["crowd"]
        print(f"  {name}: default Generate {d['server_cpu_ms']} ms CPU, {d['bytes']:,} B; "
              f"{lg['length']} chars {lg['server_cpu_ms']} ms CPU, {lg['bytes']:,} B; "
              f"{c['sessions']} at once: first frame max {c['first_frame_max_s']} s, "
              f"median {c['first_frame_median_s']} s", flush=True)
        return out
    finally:
        server.stop()


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", default=OLD_REV, help="the git revision to compare with (default %(default)s)")
    ap.add_argument("--rounds", type=int, default=10, help="Generates per measurement")
    ap.add_argument("--sessions", type=int, default=30, help="sessions pressing Generate at once")
    ap.add_argument("--quick", action="store_true", help="fewer rounds and sessions")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.sessions = 3, 5
    old = old_checkout(args.old)
    designs = [("new", ROOT, 1000), (f"old ({args.old})", old, 400)]
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
               "load_average_before": load_average(), "designs": {}}
    for name, root, long in designs:
        print(f"{name}: server alone", flush=True)
        results["designs"][name] = {"server": server_rows(root, name, long, args.rounds, args.sessions)}
    if not args.no_browser:
        for name, root, _ in designs:
            print(f"{name}: browser", flush=True)
            results["designs"][name]["browser"] = browser_rows(root, name)
    results["load_average_after"] = load_average()
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
