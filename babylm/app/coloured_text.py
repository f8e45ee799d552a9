"""Text coloured character by character by one number each (Karpathy, Johnson & Fei-Fei 2015:
a cell's activation over a stretch of text), as HTML for the inspector's views, and its legend.

Pure functions (no streamlit), so the tests can read the numbers back out of the HTML: every
character is a span carrying its own value in `data-v` (the trace's number, unrounded) and in its
hover title. Colours use the player's scales (babylm/app/player/colors.js): blue-white-red for a
range around zero, viridis-like for a range from zero.
"""

from __future__ import annotations

import html

import numpy as np

DIVERGING = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
             "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"]
SEQUENTIAL = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
              "#35b779", "#6ece58", "#b5de2b", "#fde725"]
VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def _rgb(stop: str) -> np.ndarray:
    return np.array([int(stop[k:k + 2], 16) for k in (1, 3, 5)], dtype=np.float64)


def colours(values: np.ndarray, lo: float, hi: float) -> list[str]:
    """One CSS colour per value, on [lo, hi] (clipped): diverging when lo < 0, else sequential."""
    stops = np.stack([_rgb(s) for s in (DIVERGING if lo < 0 else SEQUENTIAL)])  # (S, 3)
    x = (np.clip(np.asarray(values, dtype=np.float64), lo, hi) - lo) / (hi - lo) * (len(stops) - 1)
    k = np.minimum(len(stops) - 2, np.floor(x).astype(int))
    w = (x - k)[:, None]
    rgb = np.round(stops[k] + w * (stops[k + 1] - stops[k])).astype(int)  # (N, 3)
    return [f"rgb({r},{g},{b})" for r, g, b in rgb]


def ink(colour: str) -> str:
    """Black or white text, whichever reads on `colour`."""
    r, g, b = (int(v) for v in colour[4:-1].split(","))
    return "#111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


def value_range(values: np.ndarray, lo: float | None = None, hi: float | None = None) -> tuple[float, float]:
    """[lo, hi] to colour by: given bounds (a gate's 0..1), else symmetric around zero on the
    largest |value| (at least 1e-6, so a unit that never moves still has a scale)."""
    if lo is not None and hi is not None:
        return float(lo), float(hi)
    top = float(np.max(np.abs(values))) if len(values) else 0.0
    return -max(top, 1e-6), max(top, 1e-6)


def coloured_html(chars, values: np.ndarray, lo: float, hi: float, label: str = "value",
                  css_class: str = "unit-text") -> str:
    """`chars[k]` on a background coloured by `values[k]`; newlines break the line after a ⏎."""
    if len(chars) != len(values):
        raise ValueError(f"{len(chars)} characters but {len(values)} values: give one value per character")
    spans = []
    for ch, v, colour in zip(chars, values, colours(values, lo, hi)):
        shown = html.escape(VISIBLE.get(ch, ch))
        title = html.escape(f"{VISIBLE.get(ch, ch)}  {label} = {float(v):.3g}")
        spans.append(f'<span data-v="{float(v)!r}" title="{title}" '
                     f'style="background:{colour};color:{ink(colour)}">{shown}</span>'
                     + ("<br>" if ch == "\n" else ""))
    return (f'<div class="{css_class}" style="font-family:\'DejaVu Sans Mono\',Menlo,monospace;'
            f'font-size:15px;line-height:1.7;white-space:pre-wrap;word-break:break-all">'
            + "".join(spans) + "</div>")


def legend_html(lo: float, hi: float, note: str = "") -> str:
    """lo, the gradient, hi, and a note (what the range is)."""
    stops = ",".join(DIVERGING if lo < 0 else SEQUENTIAL)
    fmt = lambda v: f"{v:.3g}".replace("-", "−")  # noqa: E731
    return (f'<div class="legend" style="display:flex;align-items:center;gap:6px;font-size:13px">'
            f'<span>{fmt(lo)}</span><i style="display:inline-block;width:140px;height:10px;'
            f'background:linear-gradient(90deg,{stops})"></i><span>{fmt(hi)}</span>'
            f'<small style="color:#5b6375">{html.escape(note)}</small></div>')
