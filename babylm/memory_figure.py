"""The memory-reach figure: NumPy in, Plotly out (no streamlit, no torch).

One line per model: the mean probability of the right sound against how many characters back the
animal was (`babylm.memory.memory_reach`), with the 0.25 of a model that forgot drawn as a
dashed floor and the seed's 15-character window shaded.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .figures import FONT
from .memory_game import ASK

# One colour per curve, kept in every view of the Memory page.
COLORS = {"LSTM": "#e8590c", "GRU": "#1c7ed6", "Simple RNN": "#7048e8", "LSTM, 15-char window": "#868e96"}
VISIBLE_CHAR = {" ": "␣", "\n": "⏎"}
CHANCE = 0.25  # four animals: a model that knows a sound comes but not which


def reach_figure(distances, curves: dict[str, np.ndarray], window: int | None = 15,
                 height: int = 420) -> go.Figure:
    """distances (D,) and {label: reach (D,)} -> one line per label."""
    distances = np.asarray(distances)
    fig = go.Figure()
    if window:
        # Up to here some of the animal's letters are still among the characters the seed re-reads:
        # the window ends with "it say " (7 characters), so 8 are left for filler and animal.
        edge = max(window - len(ASK), 0)
        fig.add_vrect(x0=-2, x1=edge, fillcolor="#f1f3f5", line_width=0, layer="below",
                      annotation_text="the animal is inside<br>the seed's window",
                      annotation_position="bottom left", annotation_font_size=12)
    fig.add_hline(y=CHANCE, line_dash="dash", line_color="#adb5bd",
                  annotation_text="forgot: 1 in 4", annotation_position="bottom right")
    for label, reach in curves.items():
        reach = np.asarray(reach, dtype=float)
        if reach.shape != distances.shape:
            raise ValueError(f"{label}: {reach.shape[0]} values for {distances.shape[0]} distances")
        dash = "dot" if "window" in label else "solid"
        fig.add_trace(go.Scatter(
            x=distances.tolist(), y=reach.round(4).tolist(), name=label, mode="lines+markers",
            line=dict(color=COLORS.get(label), width=3, dash=dash), marker=dict(size=7),
            hovertemplate=f"{label}<br>animal %{{x}} characters back<br>right sound %{{y:.0%}}<extra></extra>",
        ))
    fig.update_layout(
        height=height, font=FONT, margin=dict(l=70, r=10, t=20, b=60), paper_bgcolor="white",
        plot_bgcolor="white", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        hovermode="x unified",
    )
    fig.update_xaxes(title="characters between the animal and “it say”", showgrid=True,
                     gridcolor="#eee", range=[-2, float(distances.max()) + 2])
    fig.update_yaxes(title="probability of the right sound", range=[0, 1.04], tickformat=".0%",
                     showgrid=True, gridcolor="#eee")
    return fig


def sounds_figure(probs: dict[str, dict[str, float]], right: str, height: int = 380) -> go.Figure:
    """{model label: {sound: probability of its first letter}} -> horizontal grouped bars, one
    group per model, the right sound in the model's colour and the three wrong ones grey, every
    bar labelled with its sound and share. Horizontal, so the labels read on a phone too (the
    upright bars' labels ran into each other at 390 px)."""
    fig = go.Figure()
    labels = list(probs)
    sounds = list(next(iter(probs.values()))) if probs else []
    for sound in sounds:  # with the axis reversed below, a group's first bar is its top one
        xs = [probs[label][sound] for label in labels]
        fig.add_trace(go.Bar(
            y=labels, x=xs, name=sound, orientation="h", text=[f"{sound} {x:.0%}" for x in xs],
            textposition="outside", cliponaxis=False,
            textfont=dict(color=[COLORS.get(label, "#e8590c") if sound == right else "#868e96" for label in labels],
                          size=13),
            marker=dict(color=[COLORS.get(label, "#e8590c") if sound == right else "#dee2e6" for label in labels]),
            hovertemplate=f"%{{y}}: {sound} %{{x:.1%}}<extra></extra>",
        ))
    fig.update_layout(
        barmode="group", height=height, font=FONT, showlegend=False, paper_bgcolor="white",
        plot_bgcolor="white", margin=dict(l=10, r=10, t=10, b=30), bargap=0.2, bargroupgap=0.05,
    )
    fig.update_xaxes(range=[0, 1.45], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1], showgrid=True,
                     gridcolor="#eee", title=None)
    fig.update_yaxes(autorange="reversed", automargin=True, title=None)
    return fig


def spread_figure(text: str, spreads: dict[str, np.ndarray], height: int = 340) -> go.Figure:
    """How much the state still depends on the animal after each character of `text`, one line
    per model, each divided by its own peak (cells keep their state on different scales)."""
    fig = go.Figure()
    x = list(range(1, len(text) + 1))
    ticks = [VISIBLE_CHAR.get(ch, ch) for ch in text]
    for label, spread in spreads.items():
        spread = np.asarray(spread, dtype=float)
        if spread.shape != (len(text),):
            raise ValueError(f"{label}: {spread.shape} values for {len(text)} characters")
        peak = spread.max() or 1.0
        fig.add_trace(go.Scatter(
            x=x, y=(spread / peak).round(4).tolist(), name=label, mode="lines",
            line=dict(color=COLORS.get(label), width=3), customdata=ticks,
            hovertemplate=f"{label}<br>after “%{{customdata}}”: %{{y:.0%}} of its peak<extra></extra>",
        ))
    animal_end = text.index(" ", len("\nme see ")) if text.startswith("\nme see ") else None
    if animal_end is not None:
        fig.add_vline(x=animal_end, line_dash="dot", line_color="#adb5bd",
                      annotation_text="animal read", annotation_position="top right")
    fig.update_layout(
        height=height, font=FONT, margin=dict(l=70, r=10, t=30, b=60), paper_bgcolor="white",
        plot_bgcolor="white", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        hovermode="x unified",
    )
    # One label per word, at its first character, slanted: a label per character ran into a
    # smear on a phone. The hover still names every character.
    starts = [k for k, ch in enumerate(text) if ch not in " \n" and (k == 0 or text[k - 1] in " \n")]
    words = [text[k:].split(" ")[0].split("\n")[0] for k in starts]
    fig.update_xaxes(title="characters read", tickmode="array", tickvals=[x[k] for k in starts], ticktext=words,
                     tickangle=-40, tickfont=dict(family="DejaVu Sans Mono, Menlo, monospace", size=13),
                     showgrid=False)
    fig.update_yaxes(title="how much the memory<br>depends on the animal", range=[0, 1.05],
                     tickformat=".0%", showgrid=True, gridcolor="#eee")
    return fig
