"""Serving a school: two Streamlit replicas behind Debian's nginx with the sticky-cookie config
from deploy/school.py, driven through nginx by headless Chromium.

nginx runs unprivileged from a generated config under a temporary prefix, on free loopback
ports. Without nginx (or chromium) these tests skip, except under CI=true, where they fail.
The access log records each request's route key (the browser's cookie) and the replica that
answered it; the tests read it to check that sessions spread and that each stays on one replica.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from deploy.school import COOKIE, start_nginx, start_replica, stop_all, wait_healthy

from browser_support import (CHROMIUM_ARGS, LOAD_MS, PLAYER, SHOTS, VIEWPORT, alert, free_port, free_ports,
                             full_page_screenshot, train_two_epochs, unavailable)

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+)[^"]*" (?P<status>\d+) route=(?P<route>\S*) '
                      r'upstream=(?P<upstream>\S*)')


@pytest.fixture(scope="module")
def school(chromium, tmp_path_factory):
    """(nginx URL, access log, replica addresses): two replicas and nginx in front."""
    need_nginx()
    root = tmp_path_factory.mktemp("school")
    ports = [free_port(), free_port()]
    while ports[1] == ports[0]:
        ports[1] = free_port()
    procs, logs = [], []
    try:
        for port in ports:
            logs.append((root / f"replica-{port}.log").open("w"))
            procs.append(start_replica(port, log=logs[-1]))
        for port, proc in zip(ports, procs):
            wait_healthy(f"http://127.0.0.1:{port}", proc)
        listen = free_port()
        logs.append((root / "nginx.out").open("w"))
        procs.append(start_nginx(root / "nginx", f"127.0.0.1:{listen}", ports, log=logs[-1]))
        url = f"http://127.0.0.1:{listen}"
        wait_healthy(url, procs[-1], seconds=20)
        yield url, root / "nginx" / "logs" / "access.log", {f"127.0.0.1:{p}" for p in ports}
    except RuntimeError as err:
        pytest.fail(f"{err}\n" + "\n".join(p.read_text()[-3000:] for p in root.glob("*.log")))
    finally:
        stop_all(procs)
        for log in logs:
            log.close()


def need_nginx() -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        unavailable("nginx not found: apt-get install nginx to run the serving tests")


def routes(access_log: Path) -> dict[str, list[tuple[str, str]]]:
    """{route key: [(path, replica), ...]} from nginx's access log, in order."""
    out = defaultdict(list)
    for line in access_log.read_text().splitlines():
        m = LOG_LINE.search(line)
        if m and m["upstream"] not in ("", "-"):
            out[m["route"]].append((m["path"], m["upstream"]))
    return out


def cookie_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == COOKIE)


def replicas_of(access_log: Path, route: str) -> set[str]:
    return {upstream for _, upstream in routes(access_log)[route]}


def test_new_browsers_spread_over_replicas_and_each_keeps_its_own(school):
    url, access_log, replicas = school
    cookies = []
    for _ in range(60):  # sixty browsers behind one address: no cookie yet, so nginx picks
        with urllib.request.urlopen(url + "/") as r:
            ours = [c for c in r.headers.get_all("Set-Cookie") or [] if c.startswith(COOKIE + "=")]
        assert len(ours) == 1, ours
        cookies.append(re.match(rf"{COOKIE}=(\w+);", ours[0])[1])
    assert len(set(cookies)) == 60
    for value in cookies[:10]:  # each comes back with its cookie, five times
        for _ in range(5):
            req = urllib.request.Request(url + "/_stcore/health", headers={"Cookie": f"{COOKIE}={value}"})
            with urllib.request.urlopen(req) as r:
                # the cookie is set once, on the first visit
                assert not any(c.startswith(COOKIE + "=") for c in r.headers.get_all("Set-Cookie") or [])
    # nginx may write a request's log line just after answering it
    seen = wait_for(lambda: routes(access_log), lambda seen: all(len(seen[v]) == 6 for v in cookies[:10]))
    first = {value: seen[value][0][1] for value in cookies}
    for value in cookies[:10]:
        assert len(seen[value]) == 6 and {u for _, u in seen[value]} == {first[value]}, seen[value]
    share = {r: sum(1 for u in first.values() if u == r) / len(first) for r in replicas}
    assert min(share.values()) >= 0.25, f"new sessions did not spread: {share}"


def test_a_class_session_through_nginx_generates_trains_downloads_and_uploads(school, chromium, tmp_path):
    url, access_log, replicas = school
    errors, found = [], {}

    def drive():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT, base_url=url, accept_downloads=True)
            context.set_default_timeout(20_000)
            page = context.new_page()
            page.on("pageerror", lambda err: errors.append(str(err)))
            try:
                page.goto("/")
                player = page.frame_locator(PLAYER)
                # (a first visit plays the opening story by itself, so any step)
                expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=LOAD_MS)
                page.get_by_role("textbox", name="Prompt").fill("me love ")
                page.get_by_role("button", name="Generate ▶").click()
                expect(player.locator("#text")).to_have_text(re.compile(r"^me␣love␣"), timeout=LOAD_MS)

                page.get_by_role("link", name="Train").click()
                page.get_by_text("Paste text").click()
                text = page.get_by_role("textbox", name="Your text")
                text.fill("me want cookie\nme love mommy\n" * 30)
                text.press("Control+Enter")
                train_two_epochs(page, timeout_ms=90_000)

                page.get_by_role("link", name="Model").click()
                expect(page.get_by_role("heading", name=re.compile(r"Your model \(2 epochs"))).to_be_visible()
                with page.expect_download() as download:
                    page.get_by_role("button", name=re.compile("Download this model")).click()
                saved = tmp_path / "babylm-model.safetensors"
                download.value.save_as(saved)
                assert saved.stat().st_size > 1000

                page.locator("input[type=file]").set_input_files(saved)
                page.get_by_role("button", name="Use this model").click()
                expect(page.get_by_role("heading", name="Uploaded model (babylm-model.safetensors)")).to_be_visible()
                page.get_by_role("link", name="Generate").click()
                expect(page.get_by_text("Model: uploaded model (babylm-model.safetensors)")).to_be_visible()
                expect(player.locator("#counter")).to_have_text(re.compile(r"step 1 of \d+"), timeout=LOAD_MS)
                assert not page.locator('[data-testid="stException"]').count()
                SHOTS.mkdir(parents=True, exist_ok=True)
                full_page_screenshot(page, SHOTS / "test_serving_session_through_nginx.png")
                found["route"] = cookie_of(context)
            finally:
                context.close()  # closes the websocket, so nginx logs it
                browser.close()

    in_own_thread(drive)
    assert not errors, f"JavaScript errors on the page: {errors}"
    route = found["route"]
    requests = wait_for(lambda: routes(access_log)[route], lambda rs: any("_stcore/stream" in p for p, _ in rs))
    paths = " ".join(p for p, _ in requests)
    for part in ("_stcore/stream", "_stcore/upload_file", "/media/"):
        assert part in paths, f"no {part} request went through nginx: {paths[:2000]}"
    assert len({u for _, u in requests}) == 1, f"the session moved between replicas: {requests}"


def test_two_browsers_land_on_different_replicas_and_stay_there(school, chromium):
    url, access_log, replicas = school
    homes = {}

    def drive():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            contexts = []
            try:
                # New browsers land at random; open them until two sit on different replicas
                # (the chance that sixteen in a row share one is about 1 in 33,000).
                for _ in range(16):
                    context = browser.new_context(viewport=VIEWPORT, base_url=url)
                    context.set_default_timeout(20_000)
                    page = context.new_page()
                    page.goto("/")
                    route = cookie_of(context)
                    home = wait_for(lambda: replicas_of(access_log, route), bool)
                    if home in homes.values():
                        context.close()
                        continue
                    contexts.append((context, page))
                    homes[route] = home
                    if len(contexts) == 2:
                        break
                assert len(contexts) == 2, "sixteen new browsers all landed on one replica"
                for prompt, (context, page) in zip(["me see ", "me love "], contexts):
                    player = page.frame_locator(PLAYER)
                    # (a first visit plays the opening story by itself, so any step)
                    expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=LOAD_MS)
                    page.get_by_role("textbox", name="Prompt").fill(prompt)
                    page.get_by_role("button", name="Generate ▶").click()
                    expect(player.locator("#text")).to_have_text(re.compile("^" + prompt.replace(" ", "␣")),
                                                                 timeout=LOAD_MS)
                    page.reload()  # a reload keeps the cookie, so the same replica, and the link its view
                    expect(player.locator("#counter")).to_have_text(re.compile(r"step \d+ of \d+"), timeout=LOAD_MS)
                    frame = page.locator(PLAYER).element_handle().content_frame()
                    frame.wait_for_function("p => window.babylmPlayer.trace && "
                                            "window.babylmPlayer.trace.settings.prompt === p", arg=prompt)
            finally:
                for context, _ in contexts:
                    context.close()
                browser.close()

    in_own_thread(drive)
    for route, home in homes.items():
        requests = wait_for(lambda: routes(access_log)[route],
                            lambda rs: sum("_stcore/stream" in p for p, _ in rs) >= 2)
        assert {u for _, u in requests} == home, f"a browser moved between replicas: {requests}"
    assert len(set.union(*homes.values())) == 2


def in_own_thread(drive):
    """Run `drive()` in a thread of its own: Playwright's sync API will not start where another
    instance is running (test_browser.py keeps one open for the whole session), and a new
    thread has no event loop. Its exceptions (failed expectations) are raised here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(drive).result()


def wait_for(get, ok, seconds: float = 10):
    """get() once ok(get()) holds (nginx writes a websocket's log line when it closes)."""
    deadline = time.monotonic() + seconds
    while True:
        value = get()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_the_supervisor_starts_replicas_and_nginx_and_stop_ends_them_all():
    """`make replicas N=2 NGINX_PORT=...` then `make replicas-stop`, as a host would."""
    import socket
    import subprocess
    import sys

    from deploy.school import PID_FILE, ROOT

    first, listen = free_ports(2), free_port()
    while {first, first + 1} & {listen}:
        listen = free_port()
    supervisor = subprocess.Popen([sys.executable, "-m", "deploy.school", "--replicas", "2", "--port", str(first),
                                   "--nginx-port", str(listen)], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
    try:
        wait_healthy(f"http://127.0.0.1:{listen}", supervisor, seconds=90)  # nginx, in front of both
        for port in (first, first + 1):
            wait_healthy(f"http://127.0.0.1:{port}", supervisor, seconds=5)
        assert int(PID_FILE.read_text()) == supervisor.pid
        stop = subprocess.run([sys.executable, "-m", "deploy.school", "--stop"], cwd=ROOT, capture_output=True, text=True)
        assert stop.returncode == 0, stop.stderr
        assert supervisor.wait(30) == 0
    except RuntimeError as err:  # the supervisor's own words say which replica died and why
        supervisor.kill()
        pytest.fail(f"{err}\n{supervisor.stderr.read() if supervisor.stderr else ''}")
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    for port in (first, first + 1, listen):  # nothing left listening
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
    assert not PID_FILE.exists()


def test_the_supervisor_names_a_port_that_is_taken_before_starting_anything():
    """A host whose --port + 1 is taken is told which port and what to do, not 'exited with status 1'."""
    import socket
    import subprocess
    import sys

    from deploy.school import ROOT

    first = free_ports(2)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", first + 1))
        holder.listen()
        run = subprocess.run([sys.executable, "-m", "deploy.school", "--replicas", "2", "--port", str(first)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip() == (f"school: error: port {first + 1} is already in use: choose another --port, "
                                  "or stop what holds it")
