"""Exports of a Trace for slides, handouts and spreadsheets: the numbers as CSV or JSON, one step
as a PNG, a range of steps as a GIF (the pictures are drawn in `render.py`), and the offline
lesson file that plays like the app (`export_html.py`).

Every exported number is the trace's own float32, written with the shortest text that reads
back to the same float32 (numpy's `str` of a float32), so reading a CSV or JSON export back
gives the trace exactly. Steps are numbered from 1 as the app's "step N of M" counter shows
them; layers and units from 1 as the app labels them (`c2_90` is layer 2's unit 90 of c,
index [1, 89] inside the arrays). No streamlit here.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .settings import GenerationSettings
from .trace import Trace

FORMATS = ("csv", "json", "png", "gif", "mp4", "html")
JSON_FORMAT = "babylm-trace"
JSON_VERSION = 1


def f32(value) -> str:
    """The shortest decimal text that reads back as exactly this float32."""
    return str(np.float32(value))


def _floats(array: np.ndarray):
    """Nested lists of Python floats that each print as the float32's shortest text."""
    flat = [float(f32(v)) for v in np.asarray(array, dtype=np.float32).ravel()]
    return np.array(flat, dtype=object).reshape(array.shape).tolist() if array.ndim > 1 else flat


# --- CSV ------------------------------------------------------------------------------------
def unit_columns(trace: Trace) -> list[str]:
    """`<internal><layer>_<unit>` for every unit of every internal, numbered from 1."""
    _, layers, hidden = trace.shape
    return [f"{name}{layer + 1}_{unit + 1}" for name in trace.internals
            for layer in range(layers) for unit in range(hidden)]


def csv_header(trace: Trace) -> list[str]:
    return ["step", "read", "next", "prob"] + unit_columns(trace)


def write_csv(trace: Trace, out, steps: range | None = None) -> None:
    """One row per step of `steps` (default: all): step (from 1), the character read, the next
    character, the model's probability of it, then every unit of every internal (see
    `unit_columns`). `out` is a path or a text file; a newline character is quoted as CSV does."""
    if isinstance(out, (str, Path)):
        with open(out, "w", newline="", encoding="utf-8") as f:
            return write_csv(trace, f, steps)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_header(trace))
    units = np.concatenate([a.reshape(len(trace), -1) for a in trace.internals.values()], axis=1)  # (T, N*L*H)
    prob = trace.chosen_prob
    for t in steps if steps is not None else range(len(trace)):
        writer.writerow([t + 1, trace.inputs[t], trace.outputs[t], f32(prob[t])] + [f32(v) for v in units[t]])


def csv_text(trace: Trace) -> str:
    buf = io.StringIO()
    write_csv(trace, buf)
    return buf.getvalue()


# --- JSON -----------------------------------------------------------------------------------
def to_json(trace: Trace, first_step: int = 1) -> dict:
    """The trace as plain JSON values; the schema is in the README ("Exports"). `first_step`
    says which step of a longer run the first one is, for a part of one."""
    steps, layers, hidden = trace.shape
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "cell": trace.cell,
        "mode": trace.mode,
        "seq_length": trace.seq_length,
        "settings": asdict(trace.settings) if trace.settings is not None else None,
        "itos": list(trace.itos),
        "steps": steps,
        "first_step": first_step,
        "layers": layers,
        "hidden": hidden,
        "inputs": list(trace.inputs),
        "outputs": list(trace.outputs),
        "from_prompt": [bool(b) for b in trace.from_prompt],
        "probs": _floats(trace.probs),
        "internals": {name: _floats(values) for name, values in trace.internals.items()},
    }


def from_json(data: dict) -> Trace:
    """A Trace from `to_json`'s output; ValueError if it is not one."""
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise ValueError(f"not a babylm trace: expected \"format\": \"{JSON_FORMAT}\"")
    if data.get("version") != JSON_VERSION:
        raise ValueError(f"babylm trace version {data.get('version')!r} is not supported (expected {JSON_VERSION})")
    try:
        settings = GenerationSettings(**data["settings"]) if data["settings"] is not None else None
        return Trace(
            inputs=list(data["inputs"]), outputs=list(data["outputs"]),
            from_prompt=np.array(data["from_prompt"], dtype=bool),
            probs=np.array(data["probs"], dtype=np.float32),
            internals={n: np.array(v, dtype=np.float32) for n, v in data["internals"].items()},
            itos=tuple(data["itos"]), cell=data["cell"], mode=data["mode"],
            seq_length=int(data["seq_length"]), settings=settings)
    except (KeyError, TypeError) as err:
        raise ValueError(f"babylm trace is missing or has a malformed field: {err}") from None


def write_json(trace: Trace, out, steps: range | None = None) -> None:
    """The steps `steps` (default: all) as JSON, to a path or a text file."""
    if steps is not None:
        trace, first = slice_trace(trace, steps), steps.start + 1
    else:
        first = 1
    text = json.dumps(to_json(trace, first), ensure_ascii=False, separators=(",", ":"))
    if isinstance(out, (str, Path)):
        Path(out).write_text(text, encoding="utf-8")
    else:
        out.write(text)


# --- steps ----------------------------------------------------------------------------------
def parse_steps(text: str, total: int) -> range:
    """`A:B` (from 1, both included) as 0-based indices; either end may be left out."""
    start, sep, stop = text.partition(":")
    if not sep:
        raise ValueError(f"--steps must look like A:B (from step A to step B), got {text!r}")
    try:
        first = int(start) if start.strip() else 1
        last = int(stop) if stop.strip() else total
    except ValueError:
        raise ValueError(f"--steps must be two whole numbers like 5:20, got {text!r}") from None
    if not 1 <= first <= last <= total:
        raise ValueError(f"--steps {text} must lie within 1:{total} with A <= B (this run has {total} steps)")
    return range(first - 1, last)


def check_step(step: int, total: int) -> int:
    """A step numbered from 1 as a 0-based index."""
    if not 1 <= step <= total:
        raise ValueError(f"--step must be from 1 to {total} (this run has {total} steps), got {step}")
    return step - 1


# --- one entry point for the CLI ------------------------------------------------------------
def export(trace: Trace, fmt: str, out, step: int | None = None, steps: str | None = None,
           fps: float = 4.0, scales: dict[str, tuple[float, float]] | None = None,
           view=None, note: str | None = None) -> Path:
    """Write `trace` as `fmt` to the path `out`. PNG draws `step` (default: the last); GIF the
    range `steps` (default: all); CSV and JSON cover the range `steps` too; HTML opens at `view`
    (a ViewState), else at `step`, else at the start of `steps`, with `note` (a lesson stop's
    text) above the player. `scales` are the model's colour ranges (default: from the trace)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out)
    total = len(trace)
    if fmt == "png":
        from .render import render_step

        t = check_step(step, total) if step is not None else total - 1
        render_step(trace, t, scales).save(out, format="PNG", optimize=True)
        return out
    chosen = parse_steps(steps, total) if steps else range(total)
    if fmt == "html" and view is None and step is not None:
        chosen = range(check_step(step, total), total)
    if fmt in ("gif", "mp4"):
        from .render import write_gif, write_mp4

        (write_gif if fmt == "gif" else write_mp4)(trace, chosen, out, fps=fps, scales=scales)
        return out
    if fmt == "html":
        from .export_html import write_html
        from .render import default_scales

        write_html(trace, out, scales or default_scales(trace), view=view, start=chosen.start, note=note)
        return out
    (write_csv if fmt == "csv" else write_json)(trace, out, chosen)
    return out


def slice_trace(trace: Trace, steps: range) -> Trace:
    """The steps `steps` (0-based, contiguous) of a trace; the whole trace for range(T)."""
    if steps == range(len(trace)):
        return trace
    s = slice(steps.start, steps.stop)
    return Trace(inputs=trace.inputs[s], outputs=trace.outputs[s], from_prompt=trace.from_prompt[s],
                 probs=trace.probs[s], internals={n: v[s] for n, v in trace.internals.items()},
                 itos=trace.itos, cell=trace.cell, mode=trace.mode, seq_length=trace.seq_length,
                 settings=trace.settings)
