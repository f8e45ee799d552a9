"""Pictures of a trace for slides: one step as a 1920x1080 image, a range of steps as a GIF.

Drawn with Pillow straight from the trace's arrays (no browser, no Plotly): the text so far,
the next-character probabilities, every internal of every layer as a grid of units, and the
history of h (and c) over the steps read so far. Nothing after the current step is drawn.
Colour scales are fixed, so a colour means the same in every frame: h and the candidates
(g, n) on [-1, 1], gates on [0, 1], c on a symmetric range. Pass the model's own ranges
(`scales`, as the app gets them from `wire.model_scales`) to match the app; without them c's
range comes from the trace itself.
Heatmap cells are whole pixels, scaled without smoothing, so a projector shows them sharp.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from plotly.colors import get_colorscale, unlabel_rgb

from .figures import BAR, CHOSEN, GRID_COLS, visible
from .trace import Trace

SIZE = (1920, 1080)
INK, MUTED, PANEL, EMPTY, BLUE = "#1f2430", "#5b6375", "#f4f5f8", "#e5e8ef", "#1c7ed6"
WINDOW = "#fff3bf"  # the seed's window: the characters re-read for this step
FONTS = Path("/usr/share/fonts/truetype/dejavu")
TANH = ("h", "g", "n")  # values in [-1, 1]: the hidden state and the candidates
GATES = ("i", "f", "o", "r", "z")  # values in [0, 1]
TITLES = {"h": "h  hidden state", "c": "c  cell state", "i": "i  input gate", "f": "f  forget gate",
          "g": "g  candidate", "o": "o  output gate", "r": "r  reset gate", "z": "z  update gate",
          "n": "n  candidate"}
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "simple RNN"}


@lru_cache(maxsize=None)
def font(size: int, kind: str = "sans") -> ImageFont.FreeTypeFont:
    name = {"sans": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf",
            "monobold": "DejaVuSansMono-Bold.ttf"}[kind]
    try:
        return ImageFont.truetype(str(FONTS / name), size)
    except OSError:  # no DejaVu (apt-get install fonts-dejavu-core): Pillow's own font
        return ImageFont.load_default(size)


@lru_cache(maxsize=None)
def lut(name: str) -> np.ndarray:
    """(256, 3) uint8: Plotly's colour scale `name`, the one the app draws with."""
    stops = [(p, unlabel_rgb(c) if c.startswith("rgb") else tuple(int(c[k:k + 2], 16) for k in (1, 3, 5)))
             for p, c in get_colorscale(name)]
    pos = np.linspace(0, 1, 256)
    return np.stack([np.interp(pos, [p for p, _ in stops], [c[j] for _, c in stops]) for j in range(3)],
                    axis=1).round().astype(np.uint8)


def c_max(trace: Trace) -> float:
    """The app's fixed range for c: the 99th percentile of |c| over the trace, rounded up to a
    half, at least 1 (a few larger cells saturate rather than wash the others out)."""
    if "c" not in trace.internals:
        return 1.0
    return float(max(1.0, np.ceil(np.percentile(np.abs(trace.internals["c"]), 99) * 2) / 2))


def default_scales(trace: Trace) -> dict[str, tuple[float, float]]:
    """Each internal's fixed range when the model's own are not given."""
    return {name: (0.0, 1.0) if name in GATES else (-1.0, 1.0) if name in TANH else (-c_max(trace), c_max(trace))
            for name in trace.internals}


def scale(name: str, scales: dict) -> tuple[float, float, str]:
    """(low, high, Plotly colour scale) for an internal."""
    lo, hi = scales[name]
    return float(lo), float(hi), "Viridis" if name in GATES else "RdBu_r"


def colours(values: np.ndarray, lo: float, hi: float, name: str) -> np.ndarray:
    """values (...) -> RGB (..., 3) uint8; NaN (no unit there) is the empty grey."""
    idx = np.clip(np.round((np.nan_to_num(values) - lo) / (hi - lo) * 255), 0, 255).astype(np.int64)
    rgb = lut(name)[idx]
    rgb[np.isnan(values)] = (229, 232, 239)
    return rgb


def paste_cells(img: Image.Image, rgb: np.ndarray, x: int, y: int, cw: int, ch: int) -> None:
    """Paste an (R, C, 3) array at (x, y) with every cell cw x ch pixels, unsmoothed."""
    tile = Image.fromarray(rgb, "RGB")
    img.paste(tile.resize((rgb.shape[1] * cw, rgb.shape[0] * ch), Image.Resampling.NEAREST), (x, y))


# --- panels ---------------------------------------------------------------------------------
def header(d: ImageDraw.ImageDraw, trace: Trace, t: int) -> None:
    T, L, H = trace.shape
    d.text((40, 28), f"step {t + 1} of {T}", font=font(44, "bold"), fill=INK)
    model = f"{CELL_NAMES.get(trace.cell, trace.cell)} · {L} layer{'s' * (L > 1)} × {H} units · " + \
            ("memory carried (stateful)" if trace.mode == "stateful" else
             f"the seed's {trace.seq_length}-character window")
    d.text((1880, 40), model, font=font(26), fill=MUTED, anchor="ra")
    given = "given by the prompt" if trace.from_prompt[t] else "chosen by the model"
    p = float(trace.probs[t, trace.chosen[t]])
    d.text((40, 92), f"Read “{visible(trace.inputs[t])}”  →  next “{visible(trace.outputs[t])}” "
                     f"({given}; the model gave it {p:.1%})", font=font(28), fill=INK)


def text_panel(d: ImageDraw.ImageDraw, trace: Trace, t: int, box) -> None:
    """The text so far: characters read (prompt in ink, the model's own in blue), the one just
    read outlined, the next one on orange; in window mode, the characters the model re-read for
    this step on yellow, as the app shades them."""
    x0, y0, x1, y1 = box
    d.rounded_rectangle(box, 14, fill=PANEL)
    d.text((x0 + 20, y0 + 14), "The text so far", font=font(26, "bold"), fill=INK)
    f, fb = font(38, "mono"), font(38, "monobold")
    cw, lh = int(f.getlength("m")), 52
    per_line = (x1 - x0 - 40) // cw
    given = [True] + [bool(b) for b in trace.from_prompt[:t]]  # was inputs[k] given?
    window = range(t + 1 - trace.seq_length, t + 1) if trace.mode == "window" else range(0)
    chars = [(trace.inputs[k], given[k], "read" if k == t else "window" if k in window else "")
             for k in range(t + 1)]
    chars.append((trace.outputs[t], bool(trace.from_prompt[t]), "next"))
    lines, line = [], []
    for item in chars:
        line.append(item)
        if item[0] == "\n" or len(line) == per_line:
            lines.append(line)
            line = []
    lines.append(line)
    fit = (y1 - y0 - 70) // lh
    for row, line in enumerate(lines[-fit:]):
        y = y0 + 62 + row * lh
        for col, (ch, was_given, role) in enumerate(line):
            x = x0 + 20 + col * cw
            if role == "next":
                d.rectangle((x - 1, y - 4, x + cw + 1, y + lh - 8), fill=CHOSEN)
            elif role == "read":
                d.rectangle((x - 2, y - 5, x + cw + 2, y + lh - 7), fill=WINDOW if window else None,
                            outline=INK, width=3)
            elif role == "window":
                d.rectangle((x, y - 4, x + cw, y + lh - 8), fill=WINDOW)
            ink = "white" if role == "next" else (INK if was_given else BLUE)
            d.text((x, y), visible(ch), font=fb if was_given else f, fill=ink)


def bars_panel(d: ImageDraw.ImageDraw, trace: Trace, t: int, box, k: int = 10) -> None:
    """The k likeliest next characters at this step (the one that came next in orange)."""
    x0, y0, x1, y1 = box
    d.rounded_rectangle(box, 14, fill=PANEL)
    d.text((x0 + 20, y0 + 14), "Next character: the model's probabilities", font=font(26, "bold"), fill=INK)
    probs, chosen = trace.probs[t], int(trace.chosen[t])
    order = [int(j) for j in np.argsort(-probs, kind="stable")[:k]]
    if chosen not in order:
        order.append(chosen)
    top, base = y0 + 100, y1 - 60
    slot = (x1 - x0 - 40) / len(order)
    for n, j in enumerate(order):
        x = x0 + 20 + n * slot
        height = (base - top) * float(probs[j])
        d.rectangle((x + 10, base - height, x + slot - 10, base), fill=CHOSEN if j == chosen else BAR)
        d.text((x + slot / 2, base - height - 6), f"{float(probs[j]):.0%}", font=font(22), fill=INK, anchor="md")
        d.text((x + slot / 2, base + 8), visible(trace.itos[j]), font=font(34, "monobold"), fill=INK, anchor="ma")
    d.line((x0 + 20, base, x1 - 20, base), fill=MUTED, width=2)


def grids_panel(img: Image.Image, d: ImageDraw.ImageDraw, trace: Trace, t: int, box, scales: dict) -> None:
    """Every internal of every layer now: H units as a block of GRID_COLS columns."""
    x0, y0, x1, y1 = box
    d.rounded_rectangle(box, 14, fill=PANEL)
    d.text((x0 + 20, y0 + 14), "Memory now: every unit of every layer", font=font(26, "bold"), fill=INK)
    T, L, H = trace.shape
    rows = math.ceil(H / GRID_COLS)
    names = list(trace.internals)
    panels = [(n, layer) for n in names for layer in range(L)]
    title_h, gap, legend_h = 30, 18, 70
    area_w, area_h = x1 - x0 - 40, y1 - y0 - 60 - legend_h
    best = None
    for ncols in range(1, len(panels) + 1):
        nrows = math.ceil(len(panels) / ncols)
        cell = min((area_w - gap * (ncols - 1)) // ncols // GRID_COLS,
                   (area_h - nrows * (title_h + gap)) // nrows // rows)
        if best is None or cell > best[0]:
            best = (cell, ncols)
    cell, ncols = max(best[0], 1), best[1]
    pw, ph = GRID_COLS * cell, rows * cell
    for n, (name, layer) in enumerate(panels):
        x = x0 + 20 + (n % ncols) * (pw + gap)
        y = y0 + 60 + (n // ncols) * (ph + title_h + gap)
        d.text((x, y), f"{name} · layer {layer + 1}", font=font(20), fill=INK)
        values = np.full(rows * GRID_COLS, np.nan)
        values[:H] = trace.internals[name][t, layer]
        lo, hi, cs = scale(name, scales)
        paste_cells(img, colours(values.reshape(rows, GRID_COLS), lo, hi, cs), x, y + title_h - 4, cell, cell)
    bottom = y0 + 60 + math.ceil(len(panels) / ncols) * (ph + title_h + gap)
    legends(img, d, names, scales, (x0 + 20, min(bottom + 10, y1 - legend_h + 6)))


def legends(img, d, names, scales: dict, at) -> None:
    """One colour bar per scale in use, labelled with the internals it colours."""
    groups = {}
    for name in names:
        groups.setdefault(scale(name, scales), []).append(name)
    x, y = at
    for (lo, hi, cs), members in groups.items():
        d.text((x, y), ", ".join(members), font=font(20, "bold"), fill=INK)
        bx = x + int(font(20, "bold").getlength(", ".join(members))) + 12
        low = f"{lo:g}".replace("-", "−")
        d.text((bx, y), low, font=font(20), fill=MUTED)
        bx += int(font(20).getlength(low)) + 8
        paste_cells(img, lut(cs)[None, ::2], bx, y + 4, 1, 20)
        d.text((bx + 136, y), f"{hi:g}", font=font(20), fill=MUTED)
        x = bx + 136 + int(font(20).getlength(f"{hi:g}")) + 40


def history_panel(img: Image.Image, d: ImageDraw.ImageDraw, trace: Trace, t: int, box, scales: dict) -> None:
    """h (and c) of every layer over the steps read so far: one column per step, one row per
    unit; columns after the current step stay empty."""
    x0, y0, x1, y1 = box
    d.rounded_rectangle(box, 14, fill=PANEL)
    d.text((x0 + 20, y0 + 12), "Memory over time: one column per character read, one row per unit",
           font=font(26, "bold"), fill=INK)
    T, L, H = trace.shape
    names = [n for n in ("h", "c") if n in trace.internals]
    gap, title_h, label_h = 24, 26, 26
    pw = (x1 - x0 - 40 - gap * (len(names) - 1)) // len(names)
    ph = (y1 - y0 - 52 - L * (title_h + label_h + 6)) // L
    row_px = max(1, ph // H)
    units = min(H, ph // row_px)  # a deep, wide model shows its first units only
    col_px = max(1, (pw - 50) // T)
    shown = min(T, (pw - 50) // col_px)  # steps that fit; the newest are kept
    first = max(0, t + 1 - shown)
    for col, name in enumerate(names):
        lo, hi, cs = scale(name, scales)
        for layer in range(L):
            x = x0 + 20 + col * (pw + gap) + 50
            y = y0 + 52 + layer * (row_px * units + title_h + label_h + 6)
            part = "" if units == H else f" (units 1–{units} of {H})"
            d.text((x - 50, y), f"{name} · layer {layer + 1}{part}", font=font(20), fill=INK)
            values = np.full((units, shown), np.nan)
            seen = trace.internals[name][first:t + 1, layer, :units].T  # (units, steps so far)
            values[:, :seen.shape[1]] = seen
            top = y + title_h
            paste_cells(img, colours(values, lo, hi, cs), x, top, col_px, row_px)
            d.text((x - 8, top), "1", font=font(16), fill=MUTED, anchor="ra")
            d.text((x - 8, top + units * row_px), str(units), font=font(16), fill=MUTED, anchor="rd")
            now = x + (t - first) * col_px
            d.rectangle((now - 1, top - 2, now + col_px, top + units * row_px + 1), outline=CHOSEN, width=2)
            if col_px >= 12:
                for k in range(first, t + 1):
                    d.text((x + (k - first) * col_px + col_px / 2, top + units * row_px + 3),
                           visible(trace.inputs[k]), font=font(min(18, col_px + 2), "mono"),
                           fill=MUTED, anchor="ma")


# --- whole frames ---------------------------------------------------------------------------
def render_step(trace: Trace, t: int, scales: dict | None = None) -> Image.Image:
    """Step t (0-based) as a 1920x1080 RGB image."""
    if not 0 <= t < len(trace):
        raise ValueError(f"step must be from 1 to {len(trace)}, got {t + 1}")
    scales = default_scales(trace) if scales is None else scales
    img = Image.new("RGB", SIZE, "white")
    d = ImageDraw.Draw(img)
    header(d, trace, t)
    text_panel(d, trace, t, (40, 140, 940, 340))
    bars_panel(d, trace, t, (40, 360, 940, 600))
    grids_panel(img, d, trace, t, (970, 140, 1880, 600), scales)
    history_panel(img, d, trace, t, (40, 620, 1880, 1060), scales)
    return img


def write_gif(trace: Trace, steps: range, out, fps: float = 4.0, scales: dict | None = None) -> None:
    """The steps `steps` (0-based) as a looping GIF at `fps` frames per second."""
    if len(steps) == 0:
        raise ValueError("no steps to animate")
    if not 0.5 <= fps <= 30:
        raise ValueError(f"--fps must be from 0.5 to 30, got {fps:g}")
    scales = default_scales(trace) if scales is None else scales
    palette = shared_palette(trace, steps, scales)
    # One palette for every frame, no dithering: a colour means the same in every frame, and
    # flat cells stay flat (sharp on a projector, and small once compressed).
    frames = [render_step(trace, t, scales).quantize(palette=palette, dither=Image.Dither.NONE) for t in steps]
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                   duration=round(1000 / fps), loop=0, optimize=False, disposal=1)


def shared_palette(trace: Trace, steps: range, scales: dict, samples: int = 8) -> Image.Image:
    """A 256-colour palette from up to `samples` frames spread over `steps` (each halved without
    smoothing, which keeps its colours)."""
    picks = sorted({steps[k * (len(steps) - 1) // max(samples - 1, 1)] for k in range(samples)})
    w, h = SIZE[0] // 2, SIZE[1] // 2
    mosaic = Image.new("RGB", (w, h * len(picks)))
    for k, t in enumerate(picks):
        mosaic.paste(render_step(trace, t, scales).resize((w, h), Image.Resampling.NEAREST), (0, h * k))
    return mosaic.quantize(256, method=Image.Quantize.MEDIANCUT)


def write_mp4(trace: Trace, steps: range, out, fps: float = 4.0, scales: dict | None = None) -> None:
    """The steps `steps` as an H.264 MP4 (for slide tools that prefer video), with the optional
    imageio-ffmpeg package, which brings its own ffmpeg."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ValueError("MP4 needs the imageio-ffmpeg package (it brings its own ffmpeg): "
                         "pip install imageio-ffmpeg==0.6.0, or export a GIF") from None
    if len(steps) == 0:
        raise ValueError("no steps to animate")
    if not 0.5 <= fps <= 30:
        raise ValueError(f"--fps must be from 0.5 to 30, got {fps:g}")
    scales = default_scales(trace) if scales is None else scales
    writer = imageio_ffmpeg.write_frames(str(out), SIZE, fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                         quality=None, macro_block_size=8,  # 1080 is a multiple of 8
                                         output_params=["-crf", "18", "-movflags", "+faststart"],
                                         ffmpeg_log_level="error")
    writer.send(None)  # start ffmpeg
    try:
        for t in steps:
            writer.send(np.asarray(render_step(trace, t, scales), dtype=np.uint8).tobytes())  # (1080, 1920, 3)
    finally:
        writer.close()
