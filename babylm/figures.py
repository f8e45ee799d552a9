"""Figure builders: NumPy in, Plotly figure out. No streamlit, no torch.

Only the training curves are Plotly figures now (the Train and Model pages). The Generate page's
player draws its own canvases from the arrays of babylm/wire.py; the shared drawing constants
(colours, units per grid row, visible whitespace) stay here for render.py's pictures.
"""

from __future__ import annotations

import plotly.graph_objects as go

from .safe_text import visible_char

VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=16, color="#1f2430")
BAR, CHOSEN = "#9db4d6", "#e8590c"  # calm blue for the field, orange for what stands out
GRID_COLS = 16  # units per row when a state vector is drawn as a block (the player does the same)


def visible(ch: str) -> str:
    """A character as it should appear on screen: space and newline made visible, and an
    invisible or direction-changing one (U+202E) written as its code (safe_text.visible_char)."""
    return VISIBLE.get(ch) or visible_char(ch)


def _layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height, font=FONT, margin=dict(l=70, r=10, t=50 if title else 20, b=10),
        paper_bgcolor="white", plot_bgcolor="white",
        title=dict(text=title, x=0.01, font=dict(size=18)) if title else None,
    )
    return fig


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


PROBE_COLORS = ("#d9480f", "#1c7ed6", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c", "#5c940d")


def probe_figure(epochs, series: np.ndarray, labels: list[str], height: int = 340) -> go.Figure:
    """Probes over training: series (P, E), the probability of each fact at each epoch's end."""
    fig = go.Figure()
    for k, (label, values) in enumerate(zip(labels, series)):
        fig.add_trace(go.Scatter(x=list(epochs), y=[100 * v for v in values], name=label,
                                 mode="lines+markers", line=dict(color=PROBE_COLORS[k % len(PROBE_COLORS)], width=3),
                                 hovertemplate="%{y:.3g}% at epoch %{x:.3g}<extra>" + label + "</extra>"))
    fig.update_xaxes(title="epoch", gridcolor="#e5e8ef", rangemode="tozero")
    fig.update_yaxes(title="probability (%)", gridcolor="#e5e8ef", range=[0, 100])
    fig.update_layout(legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))
    return _layout(fig, height)
