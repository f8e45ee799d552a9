"""Start-up: the first visitor's page (the opening story, lesson one's first generation) is drawn
from a generation precomputed in assets/ (no torch needed), while a background thread imports torch, loads the pretrained model and fills the
caches, so the first Generate is quick too.

    python -m babylm.app.warm      # rebuild assets/default-generation.* (after `make pretrained`)
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
PRETRAINED = ASSETS / "pretrained.safetensors"
BUFFER, META = ASSETS / "default-generation.bin", ASSETS / "default-generation.json"
LESSONS = ASSETS / "lessons"
THREAD = "babylm-warm-up"

_lock = threading.Lock()
_started = False
_torch_ready = False


def torch_ready() -> None:
    """Import torch once, with one thread per computation: every session of a class shares the
    server's cores, and the model is small enough that a second thread barely helps, while two
    sessions' thread pools spinning against each other made single steps many times slower."""
    global _torch_ready
    if _torch_ready:
        return
    import torch

    torch.set_num_threads(1)
    _torch_ready = True


class _QuietWarmUp(logging.Filter):
    """Streamlit warns when a cached function runs outside a session's script; the warm-up does
    that on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return threading.current_thread().name != THREAD


# How long the first visitor's torch-free page gets the server to itself before torch loads:
# `import torch` holds the GIL for most of its ~2 s, and while it ran, the Streamlit messages
# and the player's files of that first page waited behind it (bench/app_speed.py, first frame).
FIRST_PAGE_HEAD_START = 2.0


def start(delay: float = 0.0) -> None:
    """Warm the server once, in the background, `delay` seconds from now (called from the first
    script run). A Generate before then imports torch itself; nothing waits for this thread."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_QuietWarmUp())
    timer = threading.Timer(delay, _warm)
    timer.name, timer.daemon = THREAD, True
    timer.start()


def opening():
    """The generation a first visit opens on: lesson one's first stop, "me want cookie" at
    temperature 0 (babylm.lessons.opening_settings), read from the lesson files once per
    process (every new session's first Generate asks). Needs torch."""
    return _opening(_stamp(LESSONS))


@functools.lru_cache(maxsize=1)
def _opening(stamp):
    from babylm.lessons import opening_settings

    return opening_settings()


def _stamp(*paths: Path) -> tuple:
    """What changes when any of these files or folders' entries change: names, sizes, times."""
    out = []
    for path in paths:
        for p in sorted(path.glob("*")) if path.is_dir() else [path]:
            try:
                st = p.stat()
                out.append((str(p), st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((str(p), None, None))
    return tuple(out)


def _warm() -> None:
    torch_ready()
    from . import generate_page, state

    model = state.pretrained()
    generate_page.generation(model.key, opening(), model.baby)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_generation() -> tuple[bytes, dict] | None:
    """The precomputed default generation of the shipped model: (wire buffer, metadata), or None
    when it is missing or was made from another pretrained file. Read once per process (and
    again if a file changes): every new session's first run asks."""
    return _default_generation(_stamp(META, BUFFER, PRETRAINED))


@functools.lru_cache(maxsize=1)
def _default_generation(stamp) -> tuple[bytes, dict] | None:
    try:
        meta = json.loads(META.read_text())
        if meta.get("pretrained_sha256") != _file_digest(PRETRAINED):
            return None
        return BUFFER.read_bytes(), meta
    except (OSError, ValueError):
        return None


def build() -> None:
    """Write assets/default-generation.{bin,json} from the shipped model (what the app would send)."""
    torch_ready()
    from . import generate_page, state

    model = state.pretrained()
    settings = opening()
    trace, data, trace_id = generate_page.generation(model.key, settings, model.baby)
    c = model.baby.config
    meta = {"pretrained_sha256": _file_digest(PRETRAINED), "model_key": model.key, "id": trace_id,
            "settings": settings.to_query(), "label": model.label, "cell": c.cell,
            "layers": c.num_layers, "units": c.hidden_size, "vocab": len(model.baby.vocab),
            "steps": len(trace)}
    BUFFER.write_bytes(data)
    META.write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {BUFFER.name} ({len(data):,} bytes) and {META.name}")


if __name__ == "__main__":
    build()
