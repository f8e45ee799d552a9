"""The player's static files: index.html preloads exactly the modules main.js imports (directly
or not), so a new module is never fetched late and a removed one never fetched for nothing."""

from __future__ import annotations

import posixpath
import re

from babylm.export_html import IMPORT, PLAYER


def imported_from(entry: str = "main.js") -> set[str]:
    seen: set[str] = set()

    def visit(path: str) -> None:
        if path not in seen:
            seen.add(path)
            for m in IMPORT.finditer((PLAYER / path).read_text(encoding="utf-8")):
                visit(posixpath.normpath(posixpath.join(posixpath.dirname(path), m["path"])))

    visit(entry)
    return seen


def test_index_preloads_every_module_the_player_imports():
    html = (PLAYER / "index.html").read_text(encoding="utf-8")
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    assert len(preloaded) == len(set(preloaded))
    assert set(preloaded) == imported_from()
    assert (PLAYER / "vendor" / "tiny-inflate.LICENSE").exists()  # the vendored code keeps its licence
