"""Generate: pick a prompt and settings, then watch the active model write, one step at a time.

The whole generation is computed once here (cached per model and settings) and handed to the
browser player, which animates it without asking the server again.
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from babylm.generate import MAX_LENGTH, check_generation, generate_steps
from babylm.player import payload, trajectory

from . import state
from .player_component import player

APP_MAX_LENGTH = min(MAX_LENGTH, 400)  # the player keeps every step in the browser
# The player's message is about 62 bytes per unit-step (bench: pretrained, 407 steps: 6.4 MB), so
# 640,000 unit-steps (the seed's 2 x 128 model with the longest prompt) keep a message near 40 MB.
APP_MAX_UNIT_STEPS = 640_000
DEFAULTS = dict(prompt="me want ", length=60, temperature=0.8, top_k=0, seed=7, mode="stateful")


@st.cache_data(max_entries=16, show_spinner="The model is writing…")
def generation(model_key: str, _baby, prompt: str, length: int, temperature: float, top_k: int,
               seed: int, mode: str) -> dict:
    """The player's payload for one generation. `model_key` names the weights (for the cache)."""
    steps = list(generate_steps(_baby.model, _baby.vocab, prompt, length, temperature=temperature,
                                top_k=top_k or None, seed=seed, mode=mode, show_k=10))
    return payload(trajectory(steps), _baby.itos, k=10, mode=mode, seq_length=_baby.config.seq_length)


def fallback_prompt(baby) -> str:
    """A prompt this model can read: "me want " if it knows those letters, else its text's start."""
    if not baby.vocab.unknown(DEFAULTS["prompt"]):
        return DEFAULTS["prompt"]
    text = baby.text or "".join(baby.itos)
    return text.split("\n")[0][:8] or baby.itos[-1]


def fit_settings(baby) -> None:
    """Settings kept from a lighter model may be too heavy for this one: start over, saying why."""
    current = st.session_state.get("gen")
    if current is None or baby.vocab.unknown(current["prompt"]):
        return  # nothing yet, or the prompt fallback below handles it
    try:
        check_generation(baby.vocab, current["prompt"], current["length"], current["temperature"],
                         current["top_k"] or None, current["mode"], config=baby.config,
                         max_unit_steps=APP_MAX_UNIT_STEPS)
    except ValueError as err:
        st.warning(f"The last settings don't fit this model ({err}), so it starts from the defaults.")
        st.session_state["gen"] = dict(DEFAULTS, prompt=fallback_prompt(baby))


def settings_form(baby) -> dict | None:
    """The controls; returns new settings when Generate was pressed and they are valid."""
    current = st.session_state.setdefault("gen", dict(DEFAULTS))
    with st.sidebar.form("generate"):
        st.markdown("**What should it write?**")
        prompt = st.text_input("Prompt", value=current["prompt"],
                               help="The model reads these characters first. Spaces count.")
        length = st.slider("New characters", 1, APP_MAX_LENGTH, current["length"])
        temperature = st.slider("Temperature", 0.0, 2.0, float(current["temperature"]), 0.05,
                                help="0 always picks the likeliest; higher is more adventurous.")
        top_k = st.number_input("Top-k (0 = all)", 0, len(baby.vocab), min(current["top_k"], len(baby.vocab)),
                                help="Sample only among the k likeliest characters.")
        seed = st.number_input("Seed", 0, 2**31 - 1, current["seed"], help="Same seed, same text.")
        mode = st.radio("Memory", ["stateful", "window"],
                        index=["stateful", "window"].index(current["mode"]),
                        format_func=lambda m: {"stateful": "carried (stateful)",
                                               "window": "the seed's 15-character window"}[m],
                        help="Stateful carries h and c forward; the seed re-reads its last "
                             "15 characters from a blank memory at every step.")
        submitted = st.form_submit_button("Generate ▶", type="primary", width="stretch")
    if not submitted:
        return None
    new = dict(prompt=prompt, length=int(length), temperature=float(temperature), top_k=int(top_k),
               seed=int(seed), mode=mode)
    try:
        check_generation(baby.vocab, prompt, new["length"], new["temperature"], new["top_k"] or None, mode,
                         seed=new["seed"], config=baby.config, max_unit_steps=APP_MAX_UNIT_STEPS)
    except ValueError as err:
        st.sidebar.error(f"Can't generate: {err}.", icon="⚠️")
        return None
    st.session_state["gen"] = new
    return new


def page() -> None:
    model = state.active()
    baby = model.baby
    st.title("Watch a baby LSTM write")
    st.caption(f"Model: **{model.label}** · {baby.config.num_layers} LSTM layers × "
               f"{baby.config.hidden_size} units · {len(baby.vocab)} characters. "
               "Press ▶ Play, or Step through it (← → and space work too). Settings are in the sidebar.")
    fit_settings(baby)
    submitted = settings_form(baby)
    settings = st.session_state["gen"]
    if baby.vocab.unknown(settings["prompt"]):
        settings = dict(settings, prompt=fallback_prompt(baby))
        st.info(f"This model can't read the last prompt, so it starts from “{settings['prompt']}”.")
    data = generation(model.key, baby, **settings)
    trajectory_id = hashlib.sha256(json.dumps([model.key, settings], sort_keys=True).encode()).hexdigest()[:16]
    player(data, trajectory_id, autoplay=submitted is not None)
    with st.expander("What am I looking at?"):
        st.markdown(EXPLAINER)


EXPLAINER = """
* **The text**: bold is the prompt, blue is what the model wrote. The **outlined** character is
  the one just read; the **orange** one is what comes next. ␣ is a space, ⏎ a new line.
* **Next character**: the model's own probabilities for the next character after reading the
  outlined one (temperature 1; temperature and top-k only reshape them before sampling).
* **Memory now**: each square is one unit of the LSTM. `h` (the hidden state, what the layer
  shows the next layer) always lies between −1 and 1. `c` (the cell state, the long-term memory)
  can grow larger; its colour range is fixed for the whole generation.
* **Memory over time**: one column per character read, so you can see which units switch on at a
  space, stay on through a word, or keep a value for a long time.
* **Gates** (tick *show gates*): the forget gate near 1 keeps memory, near 0 wipes it; the input
  gate decides how much of the candidate is written; the output gate how much of `c` is shown in `h`.
* **Memory mode**: *stateful* carries memory from every character so far. The seed's *window*
  re-reads only the last 15 characters from a blank memory at every step (shaded yellow).
"""
