"""The offline lesson file: one self-contained HTML page that plays a trace like the app.

It holds the browser player's own code (babylm/app/player: index.html, player.css and its ES
modules) and the trace as the same wire buffer the app sends (babylm/wire.py), so it steps,
plays and scrubs exactly like the app, with no server and no network: e-mail it, put it on a
course site or any static host, or open it from disk.

How the player's ES modules become one inline script: each module is wrapped in a function
whose return value is its exports, in dependency order, and each `import` becomes a read of an
earlier module's exports. Only the player's own code goes in (no third-party bundler, no
library). `protocol.js`, which talks to Streamlit, is replaced by `offline_protocol.js`, which
hands the player the inlined trace instead. No streamlit here.
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
from pathlib import Path

from .trace import Trace

PLAYER = Path(__file__).resolve().parent / "app" / "player"
SHIM = Path(__file__).resolve().parent / "offline_protocol.js"
ENTRY = "main.js"
PROTOCOL = "protocol.js"

IMPORT = re.compile(r'^import\s+(?:\*\s+as\s+(?P<star>[\w$]+)|\{(?P<names>[^}]*)\})\s+from\s+"(?P<path>[^"]+)";?[ \t]*$',
                    re.M)
EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:function\*?|class|const|let|var)\s+([\w$]+)", re.M)
OTHER_EXPORT = re.compile(r"^\s*export\s+(?:default|\{|\*)", re.M)
OTHER_IMPORT = re.compile(r"^\s*import[\s{*\"']", re.M)


def _read_module(path: str, root: Path) -> str:
    if path == PROTOCOL:
        shim, real = SHIM.read_text(encoding="utf-8"), (root / PROTOCOL).read_text(encoding="utf-8")
        missing = set(EXPORT.findall(real)) - set(EXPORT.findall(shim))
        if missing:
            raise ValueError(f"offline_protocol.js lacks what protocol.js exports: {', '.join(sorted(missing))}")
        return shim
    return (root / path).read_text(encoding="utf-8")


def bundle(root: Path = PLAYER, entry: str = ENTRY) -> str:
    """The player's modules, from `entry`, as one script (for one <script type="module">)."""
    order: list[str] = []
    sources: dict[str, str] = {}
    visiting: set[str] = set()

    def visit(path: str) -> None:
        if path in sources:
            return
        if path in visiting:
            raise ValueError(f"the player's modules import each other in a circle at {path}")
        visiting.add(path)
        text = _read_module(path, root)
        for m in IMPORT.finditer(text):
            visit(posixpath.normpath(posixpath.join(posixpath.dirname(path), m["path"])))
        visiting.discard(path)
        sources[path] = text
        order.append(path)

    visit(entry)
    names = {path: f"__babylm_{k}" for k, path in enumerate(order)}
    parts = []
    for path in order:
        parts.append(_wrap(path, sources[path], names))
    return "\n".join(parts)


def _wrap(path: str, text: str, names: dict[str, str]) -> str:
    """One module as `const __babylm_k = (() => { ...; return {exports}; })();`."""
    here = posixpath.dirname(path)

    def imported(m: re.Match) -> str:
        source = names[posixpath.normpath(posixpath.join(here, m["path"]))]
        if m["star"]:
            return f"const {m['star']} = {source};"
        pairs = [p.strip() for p in m["names"].split(",") if p.strip()]
        fields = [p.replace(" as ", ": ") for p in pairs]
        return f"const {{ {', '.join(fields)} }} = {source};"

    body = IMPORT.sub(imported, text)
    exports = EXPORT.findall(body)
    body = re.sub(r"^export\s+", "", body, flags=re.M)
    if OTHER_EXPORT.search(text) or OTHER_IMPORT.search(body):
        raise ValueError(f"{path}: only `export function/class/const` and `import {{...}} from` / "
                         "`import * as` can be inlined; change the module or the bundler")
    result = f"{{ {', '.join(exports)} }}" if exports else "{}"
    return f"// --- {path}\nconst {names[path]} = (() => {{\n{body}\nreturn {result};\n}})();\n"


def _script_safe(text: str) -> str:
    """Text that cannot end the <script> element it sits in."""
    return text.replace("</", "<\\/")


PRELOAD = re.compile(r'[ \t]*<link rel="modulepreload" href="[^"]*">\n?')


def page(buffer: bytes, trace_id: str, view: dict, title: str, note: str | None = None,
         root: Path = PLAYER) -> str:
    """The whole HTML page: the player's markup and CSS, the bundle and the inlined trace, under
    a heading (`title`) and an optional note (a lesson stop's text)."""
    html = (root / "index.html").read_text(encoding="utf-8")
    css = (root / "player.css").read_text(encoding="utf-8")
    data = json.dumps({"id": trace_id, "view": view, "trace": base64.b64encode(buffer).decode("ascii")})
    link = re.compile(r'<link rel="stylesheet" href="player\.css">')
    script = re.compile(r'<script type="module" src="main\.js"></script>')
    if not link.search(html) or not script.search(html):
        raise ValueError("the player's index.html no longer links player.css and main.js as expected")
    style = ("<style>\n" + css + "\n/* offline: no app around the player, nothing to link to */\n"
             "body { padding: 8px 20px; } #copy { display: none; }\n"
             "#babylm-heading { font: 600 20px system-ui, sans-serif; margin: 4px 0 8px; }\n"
             "#babylm-note { font: 17px/1.45 system-ui, sans-serif; white-space: pre-wrap; margin: 0 0 12px; "
             "padding: 10px 14px; background: #fff8e6; border-left: 4px solid #e8590c; }\n</style>")
    html = link.sub(lambda _: f"<title>{_escape(title)}</title>\n  " + style, html)
    html = PRELOAD.sub("", html)  # the modules are inlined below: nothing to fetch
    heading = f'<div id="babylm-heading">{_escape(title)}</div>\n'
    if note:
        heading += f'<div id="babylm-note">{_escape(note)}</div>\n'
    if "<body>" not in html:
        raise ValueError("the player's index.html has no <body>")
    html = html.replace("<body>", "<body>\n" + heading, 1)
    html = script.sub(lambda _: (f'<script id="babylm-offline" type="application/json">{_script_safe(data)}</script>\n'
                                 f'<script type="module">\n{_script_safe(bundle(root))}\n</script>'), html)
    return html


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_html(trace: Trace, out, scales: dict[str, tuple[float, float]], view=None, start: int = 0,
               note: str | None = None, title: str | None = None) -> Path:
    """Write the lesson file for `trace`, opening at `view` (a ViewState), else at step `start`
    (0-based). `scales` are the model's colour ranges (wire.model_scales), as the app uses them."""
    from .view import ViewState
    from .wire import encode, trace_id

    key = trace_id("offline", trace)
    buffer = encode(trace, scales, key)
    if title is None:
        s = trace.settings
        title = (f"babylm · “{s.prompt}” then {s.length} characters, temperature {s.temperature:g}, "
                 f"seed {s.seed}, {s.mode}" if s is not None else f"babylm · reading “{trace.text[:60]}”")
    view = view if view is not None else ViewState(t=start)
    out = Path(out)
    out.write_text(page(buffer, key, view.to_player(), title, note), encoding="utf-8")
    return out
