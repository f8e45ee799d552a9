"""Figure builders: NumPy in, Plotly figure out. No streamlit, no torch.

One builder per picture the app shows: the top-k next-character bars, the current h and c of
every layer, their history over the steps so far, the four gates, and the training curves.
`babylm/player.py` adds one frame per generation step to the first four so the browser can
animate them; everything drawn is the model's own numbers.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=16, color="#1f2430")
BAR, CHOSEN = "#9db4d6", "#e8590c"  # calm blue for the field, orange for the character chosen
DIVERGING = "RdBu_r"  # negative blue, zero white, positive red
GATE_SCALE = "Viridis"
GRID_COLS = 16  # units per row when a state vector is drawn as a block


def visible(ch: str) -> str:
    """A character as it should appear on screen: space and newline made visible."""
    return VISIBLE.get(ch, ch)


def _layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height, font=FONT, margin=dict(l=70, r=10, t=50 if title else 20, b=10),
        paper_bgcolor="white", plot_bgcolor="white",
        title=dict(text=title, x=0.01, font=dict(size=18)) if title else None,
    )
    return fig


# --- next-character probabilities -----------------------------------------------------------
def topk_bars(itos, probs: np.ndarray, chosen: int | None, k: int) -> dict:
    """Bar data for one step: the k likeliest characters, best first, plus the chosen one if it
    fell outside them (so k + 1 bars at most). probs (V,). Bars sit at fixed positions 0..k and
    carry their character as text, so the axes never move while the player animates."""
    order = [int(j) for j in np.argsort(-probs, kind="stable")[:k]]
    if chosen is not None and chosen not in order:
        order.append(int(chosen))
    return {
        "x": list(range(len(order))),
        "y": [round(float(probs[j]), 4) for j in order],
        "text": [visible(itos[j]) for j in order],
        "marker": {"color": [CHOSEN if j == chosen else BAR for j in order]},
    }


def topk_figure(itos, probs: np.ndarray, chosen: int | None = None, k: int = 10,
                height: int = 360) -> go.Figure:
    """The model's probabilities for the next character: k likeliest, the chosen one orange."""
    fig = go.Figure(go.Bar(**topk_bars(itos, probs, chosen, k), textposition="outside",
                           texttemplate="<b>%{text}</b><br>%{y:.0%}", cliponaxis=False,
                           textfont=dict(size=20, family="DejaVu Sans Mono, Menlo, monospace"),
                           hovertemplate="“%{text}”: %{y:.3f}<extra></extra>"))
    fig.update_yaxes(range=[0, 1.25], tickformat=".0%", title="probability", gridcolor="#e5e8ef",
                     tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_xaxes(range=[-0.6, k + 0.6], showticklabels=False, showgrid=False, zeroline=False)
    fig = _layout(fig, height, "Next character: the model's probabilities")
    # Same label size on every bar: Plotly otherwise shrinks the tallest bar's label to fit.
    fig.update_layout(uniformtext=dict(minsize=18, mode="show"))
    return fig


# --- the state right now --------------------------------------------------------------------
def grid(values: np.ndarray, cols: int = GRID_COLS) -> list:
    """Vectors (..., H) as blocks (..., rows, cols) of nested lists, for compact heatmaps.
    Values are rounded to 3 decimals; None pads the last row."""
    hidden = values.shape[-1]
    rows = math.ceil(hidden / cols)
    padded = np.full(values.shape[:-1] + (rows * cols,), np.nan)
    padded[..., :hidden] = values
    out = np.round(padded, 3).astype(object)
    out[np.isnan(padded)] = None
    return out.reshape(values.shape[:-1] + (rows, cols)).tolist()


def unit_labels(hidden: int, cols: int = GRID_COLS) -> list[list[str]]:
    rows = math.ceil(hidden / cols)
    return [[f"unit {r * cols + k}" if r * cols + k < hidden else "" for k in range(cols)] for r in range(rows)]


def state_figure(h: np.ndarray, c: np.ndarray, c_max: float, height: int | None = None) -> go.Figure:
    """Current hidden state (top row) and cell state (bottom row) of every layer; h, c (L, H).
    h is drawn on the fixed range [-1, 1] (it is o * tanh(c)); c on [-c_max, c_max], fixed
    for a whole generation so colours mean the same thing at every step."""
    layers, hidden = h.shape
    titles = [f"h · layer {k + 1}" for k in range(layers)] + [f"c · layer {k + 1}" for k in range(layers)]
    fig = make_subplots(rows=2, cols=layers, subplot_titles=titles, vertical_spacing=0.14,
                        horizontal_spacing=0.06)
    labels = unit_labels(hidden)
    for row, (values, limit, name) in enumerate([(h, 1.0, "h"), (c, c_max, "c")], start=1):
        for k in range(layers):
            fig.add_trace(go.Heatmap(
                z=grid(values[k]), zmin=-limit, zmax=limit, colorscale=DIVERGING, customdata=labels,
                hovertemplate=f"%{{customdata}}: %{{z:.3f}}<extra>{name} layer {k + 1}</extra>",
                xgap=1, ygap=1, showscale=k == layers - 1,
                colorbar=dict(len=0.42, y=0.79 if row == 1 else 0.21, thickness=14, title=name),
            ), row=row, col=k + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    return _layout(fig, height or 120 + 2 * 26 * math.ceil(hidden / GRID_COLS) + 40,
                   "Memory now: hidden state h and cell state c")


# --- the state over time --------------------------------------------------------------------
def history_figure(h: np.ndarray, c: np.ndarray, inputs: list[str], c_max: float,
                   row_height: int = 170) -> go.Figure:
    """Every step's h and c (time across, units down), one full-width panel per layer and state,
    so each character read gets a readable column; h, c (T, L, H). `inputs` are the characters
    read, one per step, used as the time-axis labels."""
    steps, layers, hidden = h.shape
    panels = [(h, 1.0, "h", k) for k in range(layers)] + [(c, c_max, "c", k) for k in range(layers)]
    fig = make_subplots(rows=len(panels), cols=1, vertical_spacing=0.5 / len(panels),
                        subplot_titles=[f"{name} over time · layer {k + 1}" for _, _, name, k in panels])
    x = list(range(steps))
    for row, (values, limit, name, k) in enumerate(panels, start=1):
        fig.add_trace(go.Heatmap(
            z=np.round(values[:, k, :].T, 3), x=x, zmin=-limit, zmax=limit, colorscale=DIVERGING,
            showscale=False, hovertemplate=f"step %{{x}}, unit %{{y}}: %{{z:.3f}}<extra>{name} layer {k + 1}</extra>",
        ), row=row, col=1)
    height = 80 + len(panels) * row_height
    stride = tick_stride(steps)
    fig.update_xaxes(tickmode="array", tickvals=x[::stride], ticktext=[visible(ch) for ch in inputs][::stride],
                     tickfont=dict(family="DejaVu Sans Mono, Menlo, monospace", size=13), tickangle=0,
                     range=[-0.5, steps - 0.5])
    fig.update_yaxes(title="unit", autorange="reversed", showgrid=False)
    fig = _layout(fig, height, "Memory over time: each column is one character read")
    fig.update_layout(margin=dict(b=40))
    return fig


def tick_stride(steps: int) -> int:
    """Label every character up to 100 steps, then every n-th, so labels stay legible."""
    return max(1, math.ceil(steps / 100))


def curtain(history: go.Figure, t: int, label_band: float = 0.05) -> list[dict]:
    """Shapes for `history` (from history_figure) at step t: in every panel, an opaque sheet over
    the later steps and their time-axis labels (which would give the text away), and a frame
    around step t. The sheet is sized on the paper so it reaches below the axis."""
    steps = len(history.data[0].x)
    shapes = []
    for trace in history.data:
        xref, yaxis = trace.xaxis, "yaxis" + trace.yaxis[1:]
        y0, y1 = history.layout[yaxis].domain
        if t + 1 < steps:
            shapes.append(dict(type="rect", xref=xref, yref="paper", x0=t + 0.5, x1=steps - 0.5,
                               y0=y0 - label_band, y1=y1, fillcolor="#f4f5f8", line=dict(width=0), layer="above"))
        shapes.append(dict(type="rect", xref=xref, yref="paper", x0=t - 0.5, x1=t + 0.5, y0=y0, y1=y1,
                           line=dict(color=CHOSEN, width=2), layer="above"))
    return shapes


# --- the gates ------------------------------------------------------------------------------
GATES = [("i", "input gate: how much new is written", 0.0, 1.0, GATE_SCALE),
         ("f", "forget gate: how much is kept", 0.0, 1.0, GATE_SCALE),
         ("o", "output gate: how much is shown", 0.0, 1.0, GATE_SCALE),
         ("g", "candidate: what would be written", -1.0, 1.0, DIVERGING)]


def gates_figure(gates: dict[str, np.ndarray], height: int | None = None) -> go.Figure:
    """The four gate activations of every layer at one step; each gates[name] is (L, H)."""
    layers, hidden = gates["i"].shape
    titles = [f"{text} · layer {k + 1}" for _, text, *_ in GATES for k in range(layers)]
    fig = make_subplots(rows=len(GATES), cols=layers, subplot_titles=titles, vertical_spacing=0.08,
                        horizontal_spacing=0.06)
    labels = unit_labels(hidden)
    for row, (name, _, lo, hi, scale) in enumerate(GATES, start=1):
        for k in range(layers):
            fig.add_trace(go.Heatmap(
                z=grid(gates[name][k]), zmin=lo, zmax=hi, colorscale=scale, customdata=labels,
                hovertemplate=f"%{{customdata}}: %{{z:.3f}}<extra>{name} layer {k + 1}</extra>",
                xgap=1, ygap=1, showscale=k == layers - 1 and row in (1, 4),
                colorbar=dict(len=0.2, y=0.9 if row == 1 else 0.1, thickness=14, title=name),
            ), row=row, col=k + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    rows_per = math.ceil(hidden / GRID_COLS)
    return _layout(fig, height or 100 + 4 * (26 * rows_per + 40), "Gates at this step")


# --- training -------------------------------------------------------------------------------
def loss_figure(epochs, losses, val_epochs, val_losses, height: int = 340) -> go.Figure:
    """Training loss per step and validation loss per epoch, nats per character."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(epochs), y=list(losses), name="training loss", mode="lines",
                             line=dict(color=BAR, width=2)))
    fig.add_trace(go.Scatter(x=list(val_epochs), y=list(val_losses), name="validation loss",
                             mode="lines+markers", line=dict(color=CHOSEN, width=3)))
    fig.update_xaxes(title="epoch", gridcolor="#e5e8ef")
    fig.update_yaxes(title="loss (nats per character)", gridcolor="#e5e8ef", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))
    return _layout(fig, height)
