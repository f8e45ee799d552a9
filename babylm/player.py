"""A whole generation, packed for the browser player: computed once, animated without the server.

`trajectory(steps)` stacks the `Step` records of `generate_steps` into arrays; `payload(...)`
turns them into JSON-ready data: the characters, and the four figures of `figures.py`, each with
one frame per step (the trace data or shapes that change at that step). The player in
`babylm/app/player/` only swaps frames in; it computes nothing itself. No streamlit here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from . import figures
from .generate import Step


@dataclass(frozen=True)
class Trajectory:
    """Every step of one generation, stacked: arrays are (T, L, H) except probs (T, V)."""

    inputs: list[str]
    outputs: list[str]
    from_prompt: list[bool]
    chosen_prob: list[float]
    probs: np.ndarray
    h: np.ndarray
    c: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def text(self) -> str:
        """Everything read plus the last character chosen: the prompt and what followed."""
        return "".join(self.inputs) + (self.outputs[-1] if self.outputs else "")

    @property
    def c_max(self) -> float:
        """One symmetric colour range for c, fixed for the whole generation so a colour means the
        same at every step: the 99th percentile of |c|, rounded up to a half, at least 1. A few
        cells beyond it are drawn at full colour (hover shows their true value); scaling to the
        very largest would wash every other cell out."""
        return float(max(1.0, np.ceil(np.percentile(np.abs(self.c), 99) * 2) / 2))


def trajectory(steps: list[Step]) -> Trajectory:
    if not steps:
        raise ValueError("no steps to show: generate at least one character")
    stack = lambda name: np.stack([getattr(s, name) for s in steps]).astype(np.float32)  # noqa: E731
    return Trajectory(
        inputs=[s.input_char for s in steps], outputs=[s.output_char for s in steps],
        from_prompt=[s.from_prompt for s in steps], chosen_prob=[s.prob for s in steps],
        probs=stack("probs"), h=stack("h"), c=stack("c"), i=stack("i"), f=stack("f"),
        g=stack("g"), o=stack("o"),
    )


def _plain(fig) -> dict:
    """A Plotly figure as plain JSON data (what Plotly.js takes)."""
    return json.loads(fig.to_json())


def payload(traj: Trajectory, itos, k: int = 10, mode: str = "stateful", seq_length: int = 15,
            show_gates: bool = True) -> dict:
    """Everything the browser player needs to animate `traj` by itself."""
    stoi = {ch: n for n, ch in enumerate(itos)}
    chosen = [stoi[ch] for ch in traj.outputs]
    steps, layers, _ = traj.h.shape
    c_max = traj.c_max

    topk = _plain(figures.topk_figure(itos, traj.probs[0], chosen[0], k))
    topk["render"] = "bars"
    topk["frames"] = [{"traces": [0], "data": [figures.topk_bars(itos, traj.probs[t], chosen[t], k)]}
                      for t in range(steps)]

    state = _plain(figures.state_figure(traj.h[0], traj.c[0], c_max))
    h_grids, c_grids = figures.grid(traj.h), figures.grid(traj.c)  # (T, L, rows, cols)
    state["frames"] = [{"traces": list(range(2 * layers)),
                        "data": [{"z": z} for z in h_grids[t] + c_grids[t]]}
                       for t in range(steps)]

    state.update(render="grid", columns=layers)

    history_fig = figures.history_figure(traj.h, traj.c, traj.inputs, c_max)
    history = _plain(history_fig)
    history["frames"] = [{"layout": {"shapes": figures.curtain(history_fig, t)}} for t in range(steps)]

    out = {
        "steps": steps,
        "inputs": traj.inputs,
        "outputs": traj.outputs,
        "from_prompt": traj.from_prompt,
        "chosen_prob": [round(p, 4) for p in traj.chosen_prob],
        "mode": mode,
        "seq_length": seq_length,
        "figures": {"topk": topk, "state": state, "history": history},
    }
    if show_gates:
        gates = _plain(figures.gates_figure({g: getattr(traj, g)[0] for g in "ifgo"}))
        gate_grids = [figures.grid(getattr(traj, name)) for name, *_ in figures.GATES]  # (T, L, ..)
        gates["frames"] = [{"traces": list(range(4 * layers)),
                            "data": [{"z": z} for per_gate in gate_grids for z in per_gate[t]]}
                           for t in range(steps)]
        gates.update(render="grid", columns=layers)
        out["figures"]["gates"] = gates
    return out
