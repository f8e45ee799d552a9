"""Benchmark only, not part of the product: the server-driven alternative to babylm's player.

The same generation as the Generate page (the pretrained model, `generate_steps`, computed once
and cached), animated the other way: a `st.fragment(run_every=1 / speed)` reruns on the server
once per step, builds that step's top-k bars and h/c heatmaps with babylm.figures and sends them
to the browser as st.plotly_chart elements. bench/app_speed.py measures it against the player.

    .venv/bin/streamlit run bench/fragment_app.py -- (query: ?length=140&speed=10)
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from babylm import BabyLanguageModel, figures  # noqa: E402
from babylm.generate import generate_steps  # noqa: E402
from babylm.player import trajectory  # noqa: E402

st.set_page_config(page_title="babylm · fragment benchmark", layout="wide")


@st.cache_resource
def model() -> BabyLanguageModel:
    return BabyLanguageModel.pretrained()


@st.cache_data
def steps(prompt: str, length: int, temperature: float, seed: int):
    baby = model()
    return trajectory(list(generate_steps(baby.model, baby.vocab, prompt, length, temperature=temperature,
                                          seed=seed, mode="stateful", show_k=10)))


query = st.query_params
prompt = query.get("prompt", "me want ")
length = int(query.get("length", 60))
speed = float(query.get("speed", 10))
baby = model()
traj = steps(prompt, length, 0.8, 7)
n = len(traj)
chosen = [baby.vocab.stoi[ch] for ch in traj.outputs]
ss = st.session_state
if "t" not in ss:
    ss.t, ss.playing = 0, False


def toggle() -> None:
    ss.playing = not ss.playing


st.title("Fragment benchmark: one server rerun per step")
st.button("❚❚ Pause" if ss.playing else "▶ Play", on_click=toggle, key="play")


@st.fragment(run_every=1 / speed if ss.playing else None)
def animate() -> None:
    if ss.playing:
        ss.t = min(ss.t + 1, n - 1)
    t = ss.t
    st.markdown(f'<div id="counter" data-step="{t + 1}">step {t + 1} of {n}</div>', unsafe_allow_html=True)
    st.markdown("`" + "".join(figures.visible(ch) for ch in traj.inputs[: t + 1]) + "`")
    left, right = st.columns(2)
    left.plotly_chart(figures.topk_figure(baby.itos, traj.probs[t], chosen[t], 10), key="topk")
    right.plotly_chart(figures.state_figure(traj.h[t], traj.c[t], traj.c_max), key="state")
    if ss.playing and t == n - 1:
        ss.playing = False
        st.rerun(scope="app")  # stop the timer


animate()
