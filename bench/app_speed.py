"""App speed in headless Chromium: our browser-side player against a server-driven alternative.

The issue's targets: Play advances at least 10 steps/s for one session, with no flicker and no
full-page rerun per step; the page is interactive within 3 s of the server being ready; and 30
sessions animating at once on one 2-core server each still advance at least 2 steps/s, with no
errors. Two ways to animate the same generation (pretrained model, prompt "me want ", seed 7):

- player: the app as shipped (streamlit_app.py). The server computes the whole trajectory once;
  the browser component (babylm/app/player) swaps precomputed frames in, asking the server nothing.
- fragment: bench/fragment_app.py, a minimal server-driven version: `st.fragment(run_every=0.1)`
  reruns on the server once per step and sends a fresh top-k chart and h/c heatmaps.

For each, on its own server (a free 127.0.0.1 port):
- time to interactive of one fresh session: navigation start to the step counter showing with
  Play enabled; "cold" is the first visit after /_stcore/health answers, "warm" a second visit;
- one session playing (ours at the 10/s and 30/s settings, on a 147-step generation so 30/s
  lasts the window; the fragment at run_every=0.1, its 10/s);
- 30 sessions (one browser context each, opened 5 at a time) all pressing Play on the default
  60-character generation, at 10/s.
Every session's Play is scheduled inside its page for the same moment. Steps/s come from each
page's own step counter (a MutationObserver timestamps every change), over one common 3 s
window starting 0.5 s after that moment (cut short if a generation ends). Also counted:
"reruns per step" = messages the browser sends Streamlit per step while playing (a rerun is one);
Streamlit's stale marks on the main page per step (the dimming of a rerun: our flicker proxy);
page errors and console errors; CPU during the window: the server process's (in cores), and the
server's and all browsers' CPU milliseconds per step advanced.

Caveat: the 30 browsers run on the same 2 cores as the server, so the 30-session rows measure
the browsers' rendering as much as the server; in a classroom every browser has its own machine,
and only the server CPU column carries over.

    .venv/bin/python bench/app_speed.py            # about 5 minutes; writes bench/results/app_speed.json
    .venv/bin/python bench/app_speed.py --sessions 4 --no-write   # a quick look

Only 127.0.0.1 is contacted. Needs Debian's /usr/bin/chromium and the playwright package.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "app_speed.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
PLAYER = "iframe[title*='babylm_player']"
LONG_LENGTH = 140  # new characters for the one-session runs (the default is 60)
WARMUP, WINDOW = 0.5, 3.0  # seconds
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Installed in every frame before any page script. Watches the step counter (our player's, in
# its iframe, or the fragment app's, on the main page) with a MutationObserver, so it costs
# nothing while nothing changes, and records each change with an epoch-ms timestamp (comparable
# across frames) and when the page first became interactive. On the main page it also counts
# Streamlit's stale marks (the fade a rerun causes).
RECORDER = """(() => {
  const B = window.__bench = { interactiveAt: null, rec: [], stale: 0 };
  const epoch = () => performance.timeOrigin + performance.now();
  let last = null;
  const observer = new MutationObserver((records) => {
    if (window === window.top)
      for (const r of records) if (r.attributeName === 'data-stale' && r.target.getAttribute('data-stale') === 'true') B.stale++;
    const counter = document.getElementById('counter');
    const m = counter && /step (\\d+) of (\\d+)/.exec(counter.textContent);
    if (!m) return;
    if (B.interactiveAt === null) {
      const play = document.getElementById('play') ||
                   [...document.querySelectorAll('button')].find(b => /Play|Pause/.test(b.textContent));
      if (play && !play.disabled && counter.getClientRects().length) B.interactiveAt = epoch();
    }
    if (m[0] !== last) { last = m[0]; B.rec.push([epoch(), +m[1], +m[2]]); }
  });
  const attach = () => observer.observe(document, { subtree: true, childList: true, characterData: true,
                                                    attributes: true, attributeFilter: ['data-stale', 'disabled'] });
  // An iframe runs this first in its initial about:blank document, and Chromium then reuses the
  // window (not the document) for the real page: wait for that one.
  if (location.href !== 'about:blank') attach();
  else { const wait = setInterval(() => { if (location.href !== 'about:blank') { clearInterval(wait); attach(); } }, 5); }
})();"""


# --- server ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(script: str):
    """(base URL, pid, seconds to healthy) of `streamlit run script` on a free local port."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="babylm-bench-", suffix=".log")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None or time.perf_counter() - started > 60:
                log.seek(0)
                raise RuntimeError(f"streamlit {script} did not become healthy:\n{log.read()}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.1)
        yield url, proc.pid, time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def browser_cpu_seconds() -> float:
    """CPU time of our Chromium: the chromium processes descended from this one."""
    procs = {}  # pid: (parent pid, name, cpu seconds)
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            head, rest = (d / "stat").read_text().rsplit(")", 1)
        except OSError:  # gone already
            continue
        fields = rest.split()
        procs[int(d.name)] = (int(fields[1]), head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / CLK_TCK)
    children = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            total += procs[child][2] if procs[child][1].startswith("chrom") else 0.0
    return total


# --- the two approaches ---------------------------------------------------------------------
class Player:
    """Our app: the counter and controls live in the player's iframe."""

    name, script, path = "player (browser-side frames)", "streamlit_app.py", "/"

    @staticmethod
    def frame(page):
        return page.locator(PLAYER).element_handle(timeout=60_000).content_frame()  # the player's iframe

    def lengthen(self, page) -> None:
        """140 new characters instead of 60 (147 steps), so Play at 30/s lasts over 3 s."""
        slider = page.locator('input[type=range][aria-label="New characters"]')
        slider.focus()
        slider.press("PageUp")  # +40 each
        slider.press("PageUp")
        if slider.get_attribute("value") != str(LONG_LENGTH):
            raise RuntimeError(f"could not set New characters to {LONG_LENGTH}")
        page.get_by_role("button", name="Generate ▶").click()
        wait_until(lambda: self.frame(page).evaluate(
            f"() => (window.babylmPlayer.payload || {{}}).steps === {LONG_LENGTH + 7}"), 60, "the longer generation")

    # Play and pause are scheduled inside the page at given epoch times, so 30 busy pages all
    # start together however slowly they answer us.
    SCHEDULE = """([speed, at, until]) => {
        const S = window.babylmPlayer, $ = (id) => document.getElementById(id);
        if (S.playing) $('play').click();  // pause (a new generation autoplays)
        if (S.t > 0) $('reset').click();  // (disabled at the first step)
        $('speed').value = String(speed);
        const epoch = () => performance.timeOrigin + performance.now();
        setTimeout(() => $('play').click(), at - epoch());
        setTimeout(() => { if (S.playing) $('play').click(); }, until - epoch()); }"""

    def schedule(self, frame, speed: int, at: float, until: float) -> None:
        frame.evaluate(self.SCHEDULE, [speed, at, until])


class Fragment:
    """bench/fragment_app.py: a Play button, and a fragment that reruns once per step."""

    name, script, path = "fragment (server rerun per step)", "bench/fragment_app.py", "/?speed=10"

    @staticmethod
    def frame(page):
        return page.main_frame

    SCHEDULE = """([speed, at, until]) => {
        const click = (label) => [...document.querySelectorAll('button')].find(b => b.textContent.includes(label))?.click();
        const epoch = () => performance.timeOrigin + performance.now();
        setTimeout(() => click('Play'), at - epoch());
        setTimeout(() => click('Pause'), until - epoch()); }"""

    def schedule(self, frame, speed: int, at: float, until: float) -> None:
        assert speed == 10, "the fragment app is measured at run_every=0.1"
        frame.evaluate(self.SCHEDULE, [speed, at, until])


PLAYER_APPROACH, FRAGMENT_APPROACH = Player(), Fragment()


# --- measurements ---------------------------------------------------------------------------
TTI_JS = """() => { const t = [...document.querySelectorAll('iframe')]
    .map(f => { try { return f.contentWindow.__bench.interactiveAt; } catch (e) { return null; } })
    .concat([window.__bench.interactiveAt]).filter(x => x !== null && x !== undefined);
    return t.length ? Math.min(...t) - performance.timeOrigin : null; }"""


class Sessions:
    """Browser sessions (one context each) on one server, with their errors and sent messages."""

    def __init__(self, browser, url: str, approach):
        self.browser, self.url, self.approach = browser, url, approach
        self.contexts, self.pages, self.errors, self.sent, self.frames = [], [], [], {}, {}

    def open(self, n: int, timeout: float = 90) -> list[float]:
        """Open n sessions at once; seconds from each one's navigation start to interactive."""
        new = []
        for _ in range(n):
            context = self.browser.new_context(viewport=VIEWPORT)
            context.add_init_script(RECORDER)
            page = context.new_page()
            key = id(page)
            self.sent[key] = 0
            page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
            page.on("console", lambda msg: self.errors.append(f"console.error: {msg.text}")
                    if msg.type == "error" else None)
            page.on("websocket", lambda ws, key=key: ws.on("framesent", lambda _: self._count(key))
                    if "_stcore/stream" in ws.url else None)
            page.goto(self.url + self.approach.path, wait_until="commit")
            self.contexts.append(context)
            new.append(page)
        self.pages += new
        deadline = time.monotonic() + timeout
        ttis = []
        for page in new:
            while (tti := page.evaluate(TTI_JS)) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.approach.name}: a session was not interactive within {timeout:.0f} s")
                page.wait_for_timeout(50)
            ttis.append(tti / 1000)
        return ttis

    def frame(self, page):
        """The frame holding the counter (looked up once: ours lives as long as the page)."""
        if id(page) not in self.frames:
            self.frames[id(page)] = self.approach.frame(page)
        return self.frames[id(page)]

    def _count(self, key) -> None:
        self.sent[key] += 1

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts, self.pages, self.frames = [], [], {}


def moves(rec: list, a: float, b: float) -> int:
    """Forward steps in a counter recording [(epoch ms, step, of)] between times a and b (a poll
    that missed a step still counts both; a reset to step 1 counts nothing)."""
    return sum(max(now[1] - before[1], 0) for before, now in zip(rec, rec[1:]) if a < now[0] <= b)


def rate(rec: list, a: float, b: float) -> tuple[float, float]:
    """(steps/s, seconds measured) over [a, b], cut short where the last step is reached."""
    ends = [t for t, step, total in rec if step == total and t > a]
    b = min([b] + ends)
    return (moves(rec, a, b) / ((b - a) / 1000) if b > a else float("nan")), (b - a) / 1000


def measure_play(sessions: Sessions, pid: int, speed: int) -> dict:
    """Every session presses Play at the same moment (scheduled in each page, a little ahead);
    steps/s per session over the window from WARMUP after that to WINDOW later."""
    approach, pages = sessions.approach, sessions.pages
    frames = [sessions.frame(page) for page in pages]
    stale = [page.evaluate("() => window.__bench.stale") for page in pages]
    sent = dict(sessions.sent)
    errors = len(sessions.errors)
    at = time.time() * 1000 + 1000 + 100 * len(pages)  # time for us to reach every page first
    a, b = at + WARMUP * 1000, at + (WARMUP + WINDOW) * 1000
    for frame in frames:
        approach.schedule(frame, speed, at, b + 200)
    if time.time() * 1000 > at:
        raise RuntimeError("scheduling Play took longer than the head start")
    time.sleep(max(0.0, a / 1000 - time.time()))
    cpu, browser_cpu = cpu_seconds(pid), browser_cpu_seconds()
    time.sleep(WINDOW)
    cpu, browser_cpu = cpu_seconds(pid) - cpu, browser_cpu_seconds() - browser_cpu
    time.sleep(0.5)  # paused by now
    recs = [frame.evaluate("() => window.__bench.rec") for frame in frames]
    rates, spans = zip(*(rate(rec, a, b) for rec in recs))
    advanced = sum(moves(rec, at, b) for rec in recs)
    in_window = sum(moves(rec, a, b) for rec in recs)
    ms_per_step = lambda seconds: 1000 * seconds / in_window if in_window else float("nan")  # noqa: E731
    messages = sum(sessions.sent[id(p)] - sent[id(p)] for p in pages)
    stale_marks = sum(page.evaluate("() => window.__bench.stale") - s for page, s in zip(pages, stale))
    per_step = lambda n: n / advanced if advanced else float("nan")  # noqa: E731
    return {
        "approach": approach.name, "speed_setting": speed, "sessions": len(pages),
        "rates": [round(r, 2) for r in rates], "min": min(rates), "median": statistics.median(rates),
        "window_s": round(min(spans), 2), "errors": len(sessions.errors) - errors,
        "messages_sent": messages, "steps_advanced": advanced, "messages_per_step": per_step(messages),
        "stale_marks": stale_marks, "stale_per_step": per_step(stale_marks), "server_cpu_cores": cpu / WINDOW,
        "server_ms_per_step": ms_per_step(cpu), "browser_ms_per_step": ms_per_step(browser_cpu),
        "browser_cpu_cores": browser_cpu / WINDOW,
    }


def run_approach(browser, approach, n_sessions: int, wave: int, speeds: list[int]) -> list[dict]:
    rows = []
    with server(approach.script) as (url, pid, boot):
        print(f"\n{approach.name}: server healthy after {boot:.1f} s", flush=True)
        one = Sessions(browser, url, approach)
        cold = one.open(1)[0]
        warm_session = Sessions(browser, url, approach)
        warm = warm_session.open(1)[0]
        warm_session.close()
        print(f"  1 session: interactive {cold:.2f} s after navigation (cold), {warm:.2f} s (warm)", flush=True)
        if approach is PLAYER_APPROACH:
            approach.lengthen(one.pages[0])
        for speed in speeds:
            row = measure_play(one, pid, speed)
            row["tti"] = {"cold": cold, "warm": warm}
            rows.append(row)
            print(f"  1 session @ {speed}/s: {row['median']:.1f} steps/s", flush=True)
        one_errors = list(one.errors)
        one.close()

        many = Sessions(browser, url, approach)
        opened, ttis = time.perf_counter(), []
        while len(many.pages) < n_sessions:
            ttis += many.open(min(wave, n_sessions - len(many.pages)))
        print(f"  {n_sessions} sessions opened {wave} at a time: interactive after median {statistics.median(ttis):.1f} s, "
              f"max {max(ttis):.1f} s ({time.perf_counter() - opened:.0f} s for all)", flush=True)
        row = measure_play(many, pid, speeds[0])
        row["tti"] = {"median": statistics.median(ttis), "max": max(ttis), "wave": wave}
        row["visibility"] = sorted({page.evaluate("() => document.visibilityState") for page in many.pages})
        rows.append(row)
        print(f"  {n_sessions} sessions @ {speeds[0]}/s: min {row['min']:.1f}, median {row['median']:.1f} steps/s",
              flush=True)
        for row in rows:
            row["error_messages"] = sorted(set(one_errors + many.errors))[:10]
        many.close()
    return rows


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


# --- report ---------------------------------------------------------------------------------
def table(rows: list[dict]) -> str:
    out = ["| approach | sessions | min steps/s | median steps/s | errors | reruns per step (messages to server) | time to interactive "
           "| stale marks per step | server CPU (cores) | CPU ms per step: server, browsers |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        tti = r["tti"]
        tti_text = (f"{tti['cold']:.2f} s cold, {tti['warm']:.2f} s warm" if "cold" in tti
                    else f"median {tti['median']:.1f} s, max {tti['max']:.1f} s ({tti['wave']} opening at a time)")
        if r["steps_advanced"]:
            reruns, stale = f"{r['messages_per_step']:.2f}", f"{r['stale_per_step']:.2f}"
        else:  # nothing moved: give the counts
            reruns, stale = f"{r['messages_sent']} messages, no step", f"{r['stale_marks']}, no step"
        costs = ", ".join("—" if math.isnan(v) else f"{v:.0f}" for v in (r["server_ms_per_step"], r["browser_ms_per_step"]))
        out.append(f"| {r['approach']} @ {r['speed_setting']}/s | {r['sessions']} | {r['min']:.1f} | {r['median']:.1f} "
                   f"| {r['errors']} | {reruns} | {tti_text} | {stale} | {r['server_cpu_cores']:.2f} | {costs} |")
    return "\n".join(out)


def verdicts(rows: list[dict]) -> list[str]:
    ours = [r for r in rows if r["approach"] == PLAYER_APPROACH.name]
    one = [r for r in ours if r["sessions"] == 1 and r["speed_setting"] == 30] or [r for r in ours if r["sessions"] == 1]
    many = [r for r in ours if r["sessions"] > 1 and r["speed_setting"] == 10]
    ok = lambda flag: "PASS" if flag else "FAIL"  # noqa: E731
    lines = []
    if one:
        r = one[0]
        lines.append(f"- {ok(r['median'] >= 10)} one session plays >= 10 steps/s: {r['median']:.1f} at the {r['speed_setting']}/s setting")
        sent, stale = sum(r["messages_sent"] for r in ours), sum(r["stale_marks"] for r in ours)
        lines.append(f"- {ok(sent == 0 and stale == 0)} no rerun and no stale fade while playing, in any run: "
                     f"{sent} messages to the server, {stale} stale marks")
        lines.append(f"- {ok(r['tti']['cold'] <= 3)} interactive within 3 s of the server being ready: {r['tti']['cold']:.2f} s")
    if many:
        r = many[0]
        lines.append(f"- {ok(r['min'] >= 2 and r['errors'] == 0)} {r['sessions']} sessions each >= 2 steps/s with no errors: "
                     f"min {r['min']:.1f}, {r['errors']} errors")
    return lines


def machine(browser_version: str) -> dict:
    def run(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=10).stdout.strip()
        except OSError:
            return None

    import plotly
    import streamlit
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(), "loadavg_start": os.getloadavg(), "platform": platform.platform(),
        "python": platform.python_version(), "chromium": browser_version,
        "chromium_cli": run(CHROMIUM, "--version"), "streamlit": streamlit.__version__,
        "plotly": plotly.__version__, "git_commit": run("git", "rev-parse", "--short", "HEAD"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="sessions playing at once (default 30)")
    parser.add_argument("--wave", type=int, default=5, help="sessions opened at a time (default 5)")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    began = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        info = machine(browser.version)
        rows = run_approach(browser, PLAYER_APPROACH, args.sessions, args.wave, [10, 30])
        rows += run_approach(browser, FRAGMENT_APPROACH, args.sessions, args.wave, [10])
        browser.close()
    info["loadavg_end"] = os.getloadavg()
    info["seconds"] = round(time.perf_counter() - began, 1)
    report = table(rows)
    checks = verdicts(rows)
    print(f"\nApp speed, {info['date']}, {info['nproc']} cores, Chromium {info['chromium']}, load average "
          f"{info['loadavg_start'][0]:.1f} at the start. Steps/s over a common {WINDOW:g} s window "
          f"{WARMUP:g} s after the last session pressed Play.\n")
    print(report)
    print("\nTargets (the player):")
    print("\n".join(checks))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        tmp = RESULTS.with_suffix(".json.tmp")
        settings = {"long_length": LONG_LENGTH, "warmup_s": WARMUP, "window_s": WINDOW,
                    "sessions": args.sessions, "wave": args.wave}
        tmp.write_text(json.dumps({"machine": info, "settings": settings, "rows": rows, "table": report,
                                   "targets": checks}, indent=2) + "\n")
        tmp.replace(RESULTS)
        print(f"\nwrote {RESULTS.relative_to(ROOT)} ({info['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
