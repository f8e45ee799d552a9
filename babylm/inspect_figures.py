"""Figure builders for looking inside (NumPy in, Plotly figure out; no streamlit, no torch):
the saliency matrix as a heatmap, and one unit's internals over the steps so far."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .figures import FONT, visible

LINE_COLOURS = {"c": "#b2182b", "h": "#2166ac", "i": "#2b8a3e", "f": "#e8590c", "o": "#7048e8",
                "g": "#868e96", "r": "#2b8a3e", "z": "#e8590c", "n": "#868e96"}


def saliency_figure(S: np.ndarray, chars: list[str], height: int = 520) -> go.Figure:
    """S (T, T): row t predicts chars[t + 1] after reading chars[0..t]; columns are the characters
    read. Zero above the diagonal (the future) is left blank."""
    T = S.shape[0]
    read = [f"{s + 1}·{visible(chars[s])}" for s in range(T)]
    predicted = [f"{t + 1}→{visible(chars[t + 1])}" for t in range(T)]
    z = np.where(np.tril(np.ones((T, T), dtype=bool)), S, np.nan)
    fig = go.Figure(go.Heatmap(
        z=z, x=read, y=predicted, colorscale="Viridis", zmin=0, zmax=float(np.nanmax(z)) if T else 1,
        colorbar=dict(title="share", thickness=12),
        hovertemplate="predicting %{y}<br>from character %{x}<br>share %{z:.3f}<extra></extra>"))
    fig.update_layout(height=height, font=FONT, margin=dict(l=80, r=10, t=30, b=60),
                      paper_bgcolor="white", plot_bgcolor="white",
                      xaxis=dict(title="character read", tickangle=0, tickfont=dict(size=11)),
                      yaxis=dict(title="predicting", autorange="reversed", tickfont=dict(size=11)))
    return fig


def unit_chart_figure(series: dict[str, np.ndarray], chars: list[str], title: str,
                      height: int = 240) -> go.Figure:
    """One line per internal of one unit over the steps so far: series {name: (T,)}."""
    fig = go.Figure()
    x = list(range(1, len(chars) + 1))
    for name, values in series.items():
        fig.add_trace(go.Scatter(x=x, y=values, name=name, mode="lines",
                                 line=dict(color=LINE_COLOURS.get(name), width=2),
                                 customdata=[visible(ch) for ch in chars],
                                 hovertemplate=f"{name} %{{y:.3g}} after “%{{customdata}}”<extra></extra>"))
    fig.update_layout(height=height, font=FONT, margin=dict(l=50, r=10, t=36, b=30), title=title,
                      paper_bgcolor="white", plot_bgcolor="white", legend=dict(orientation="h"),
                      xaxis=dict(title="step", gridcolor="#eee"), yaxis=dict(gridcolor="#eee"))
    return fig
