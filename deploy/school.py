"""Serving a school: N Streamlit replicas on consecutive ports, optionally behind nginx.

One Streamlit process uses about one core, and a session (its model, its uploads, the file it
downloads) lives in the process that holds the browser's websocket. So several replicas need
sticky routing: every request of one browser must reach the same replica. Open-source nginx has
no `sticky cookie`, so the configuration written here makes its own: a browser's first request
has no `babylm_replica` cookie, so it is routed by that request's random `$request_id`, and the
same id is handed back as the cookie; every later request carries it and `hash ... consistent`
sends it to the same replica. Many browsers behind one school IP still spread out.

    python -m deploy.school --replicas 2 --port 8501                  # replicas only
    python -m deploy.school --replicas 2 --port 8501 --nginx-port 8080  # and nginx in front
    python -m deploy.school --print-nginx --replicas 2 --port 8501 --nginx-port 8080
    python -m deploy.school --stop                                    # end a running supervisor

The supervisor runs in the foreground; Ctrl-C (or --stop, or SIGTERM) ends every child.
Not part of the babylm package: it only starts processes and writes text.
"""

from __future__ import annotations

import argparse
import errno
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from babylm.app.limits import LIMITS

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "artifacts" / "school"  # logs, the generated nginx prefix, the supervisor's pid
PID_FILE = STATE / "supervisor.pid"
COOKIE = "babylm_replica"

SITE = """\
# babylm behind nginx: {n} Streamlit replica(s); each browser stays on one for its whole session.
# Written by `python -m deploy.school --print-nginx`; goes in nginx's http {{ }} block
# (on Debian: /etc/nginx/conf.d/babylm.conf).

# Websockets: pass the upgrade through, close otherwise.
map $http_upgrade $babylm_connection {{
    default upgrade;
    ""      close;
}}

# Sticky routing without nginx plus: a browser with no {cookie} cookie is routed by this
# request's random id, and that id becomes its cookie, so all its later requests (the websocket,
# uploads, downloads) hash to the same replica. Works for many browsers behind one address.
map $cookie_{cookie} $babylm_route {{
    ""      $request_id;
    default $cookie_{cookie};
}}
map $cookie_{cookie} $babylm_set_cookie {{
    ""      "{cookie}=$request_id; Path=/; HttpOnly; SameSite=Lax";
    default "";
}}

upstream babylm_replicas {{
    hash $babylm_route consistent;
{servers}
}}

log_format babylm '$remote_addr [$time_local] "$request" $status route=$babylm_route upstream=$upstream_addr';

server {{
    listen {listen};
    access_log {access_log} babylm;
    # The app's own upload limit is {upload_mb} MB (BABYLM_MAX_UPLOAD_MB); leave room for the form.
    client_max_body_size {body_mb}m;

    location / {{
        proxy_pass http://babylm_replicas;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $babylm_connection;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # A lesson's websocket stays open for hours, mostly quiet.
        proxy_read_timeout 1d;
        proxy_send_timeout 1d;
        proxy_buffering off;
        add_header Set-Cookie $babylm_set_cookie;
    }}
}}
"""

MAIN = """\
# A whole nginx.conf for an unprivileged nginx run with `nginx -p {prefix} -c nginx.conf`.
{user}worker_processes 1;
pid nginx.pid;
error_log logs/error.log;
daemon off;
events {{
    worker_connections 1024;
}}
http {{
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
{site}}}
"""


def site_conf(listen: str | int, replica_ports: list[int], replica_host: str = "127.0.0.1",
              access_log: str = "/var/log/nginx/babylm-access.log", upload_mb: int | None = None) -> str:
    """The `http { }` part: maps, the upstream of replicas and the server block."""
    if not replica_ports:
        raise ValueError("give at least one replica port")
    upload_mb = LIMITS.max_upload_mb if upload_mb is None else upload_mb
    servers = "\n".join(f"    server {replica_host}:{port};" for port in replica_ports)
    return SITE.format(n=len(replica_ports), cookie=COOKIE, servers=servers, listen=listen,
                       access_log=access_log, upload_mb=upload_mb, body_mb=upload_mb + 1)


def main_conf(prefix: Path, listen: str | int, replica_ports: list[int], **site) -> str:
    """A complete nginx.conf that keeps every file under `prefix` (no root paths needed)."""
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    # As root, workers would run as `nobody` and could not write under a private prefix.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    text = site_conf(listen, replica_ports, access_log="logs/access.log", **site)
    return MAIN.format(prefix=prefix, user=user, site="".join(f"    {line}\n" if line else "\n" for line in text.splitlines()))


def start_nginx(prefix: Path, listen: str | int, replica_ports: list[int], log=None) -> subprocess.Popen:
    """Start Debian's nginx in the foreground with a generated config under `prefix`."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = Path(prefix).resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "nginx.conf").write_text(main_conf(prefix, listen, replica_ports))
    # -e: nginx opens its compiled-in error log before reading the config unless told otherwise.
    return subprocess.Popen([nginx, "-p", f"{prefix}/", "-c", "nginx.conf", "-e", "logs/error.log"],
                            stdout=log, stderr=subprocess.STDOUT if log else None)


def start_replica(port: int, address: str = "127.0.0.1", log=None, env: dict | None = None,
                  root: Path = ROOT) -> subprocess.Popen:
    """One `streamlit run streamlit_app.py` on `port`, in `root` (another checkout, for a
    side-by-side benchmark)."""
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", address, "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
         "--server.maxUploadSize", str(LIMITS.max_upload_mb)],
        cwd=root, stdout=log, stderr=subprocess.STDOUT if log else None,
        env=dict(os.environ if env is None else env, PYTHONUNBUFFERED="1"))


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Wait until `url` + /_stcore/health answers ok; RuntimeError if it exits or never does."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer /_stcore/health within {seconds:.0f} s")
        time.sleep(0.05)  # a benchmark times the first frame from here


def port_in_use(port: int, address: str = "127.0.0.1") -> bool:
    """Whether something already holds `port` (Streamlit would exit with status 1 on it). Other
    failures (an address not on this machine, a port below 1024) are left for the child to report."""
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado binds: TIME_WAIT is no obstacle
        try:
            s.bind((address, port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False


def log_tail(path: Path, lines: int = 5) -> str:
    """The last lines of a child's log, for an error that says why it died."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in text[-lines:])


def stop_all(procs: list[subprocess.Popen], grace: float = 10) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def supervise(n: int, port: int, address: str, nginx_port: int | None) -> int:
    """Start everything, wait until a signal or a child dies, then end every child."""
    STATE.mkdir(parents=True, exist_ok=True)
    ports = [port + k for k in range(n)]
    procs: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, _interrupt)  # --stop: end everything, even halfway through starting
    PID_FILE.write_text(str(os.getpid()))
    try:
        # nginx listens on every interface (`listen PORT`); the replicas on `address`.
        busy = [p for p in ports if port_in_use(p, address)] + (
            [nginx_port] if nginx_port and port_in_use(nginx_port, "0.0.0.0") else [])
        if busy:
            raise RuntimeError(f"port {busy[0]} is already in use: choose another --port"
                               f"{' or --nginx-port' if busy[0] == nginx_port else ''}, or stop what holds it")
        for p in ports:
            log = (STATE / f"replica-{p}.log").open("w")
            procs.append(start_replica(p, address, log))
        for p, proc in zip(ports, procs):
            try:
                wait_healthy(f"http://127.0.0.1:{p}" if address in ("0.0.0.0", "::") else f"http://{address}:{p}", proc)
            except RuntimeError as err:
                raise RuntimeError(f"{err}; the end of {STATE / f'replica-{p}.log'}:\n{log_tail(STATE / f'replica-{p}.log')}") from None
            print(f"replica on http://{address}:{p} (log {STATE / f'replica-{p}.log'})", flush=True)
        if nginx_port:
            procs.append(start_nginx(STATE / "nginx", nginx_port, ports))
            print(f"nginx on http://localhost:{nginx_port} -> {len(ports)} replicas "
                  f"(config {STATE / 'nginx' / 'nginx.conf'})", flush=True)
        print("Ctrl-C (or `make replicas-stop`) ends them all.", flush=True)
        while True:
            dead = [proc for proc in procs if proc.poll() is not None]
            if dead:
                print(f"a child exited with status {dead[0].returncode}: stopping the rest", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    except RuntimeError as err:
        print(f"school: error: {err}", file=sys.stderr)
        return 1
    finally:
        stop_all(procs)
        PID_FILE.unlink(missing_ok=True)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def stop_supervisor() -> int:
    try:
        pid = int(PID_FILE.read_text())
    except (OSError, ValueError):
        print("school: no running supervisor (no artifacts/school/supervisor.pid)", file=sys.stderr)
        return 1
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        PID_FILE.unlink(missing_ok=True)
        print(f"school: supervisor {pid} was not running", file=sys.stderr)
        return 1
    print(f"school: asked supervisor {pid} to stop its replicas")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.school", description=__doc__.split("\n\n")[0])
    p.add_argument("--replicas", type=int, default=2, help="how many Streamlit processes")
    p.add_argument("--port", type=int, default=8501, help="the first replica's port; the rest follow")
    p.add_argument("--address", default="127.0.0.1", help="where replicas listen (0.0.0.0 for a remote balancer)")
    p.add_argument("--nginx-port", type=int, default=None, help="also run nginx in front, on this port")
    p.add_argument("--print-nginx", action="store_true", help="print the site config for /etc/nginx and exit")
    p.add_argument("--stop", action="store_true", help="stop a running supervisor")
    args = p.parse_args(argv)
    if args.stop:
        return stop_supervisor()
    if args.replicas < 1:
        p.error("--replicas must be at least 1")
    if args.print_nginx:
        print(site_conf(args.nginx_port or 80, [args.port + k for k in range(args.replicas)]), end="")
        return 0
    return supervise(args.replicas, args.port, args.address, args.nginx_port)


if __name__ == "__main__":
    sys.exit(main())
