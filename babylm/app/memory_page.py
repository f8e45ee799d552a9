"""Memory: why an LSTM. Three cells race on the memory game, measured, with the seed's window.

The curves are each shipped memory model's own memory reach (`babylm.memory.reach_curves`),
precomputed by `make memory-models` into assets/memory_reach.json. The page uses that file only
if the SHA-256 of each model's weights it holds matches the weights served; otherwise it measures
them itself, once per server (cached). "Try one line" asks the models about one line live, and
the browser player then animates that line through the three models side by side.
"""

from __future__ import annotations

import hashlib
import json
import random

import numpy as np
import streamlit as st

from babylm import BabyLanguageModel
from babylm.checkpoint import weights_digest
from babylm.data import ASSETS
from babylm.memory import CURVE_DISTANCES, CURVE_MODELS, WINDOW_LABEL, animal_spread, reach_curves
from babylm.memory_figure import COLORS, reach_figure, sounds_figure, spread_figure
from babylm.memory_game import ANIMALS, MAX_DISTANCE, filler, line
from babylm.trace import trace_text
from babylm.wire import encode, model_scales

from .compare_component import compare_player
from .compute import turn

PRECOMPUTED = ASSETS / "memory_reach.json"
MAX_FILLER_SEED = 9_999


@st.cache_resource(show_spinner="Loading the memory-game models…")
def memory_models() -> dict[str, BabyLanguageModel]:
    return {label: BabyLanguageModel.pretrained(name) for label, name in CURVE_MODELS.items()}


@st.cache_data(show_spinner="Measuring how far back each model remembers (once per server)…")
def curves() -> tuple[list[int], dict[str, list[float]]]:
    """(distances, {label: reach per distance}): the precomputed file when it was measured on
    exactly these weights, else measured now."""
    models = memory_models()
    digests = {label: weights_digest(baby.model.state_dict()) for label, baby in models.items()}
    try:
        data = json.loads(PRECOMPUTED.read_text())
        if data["weights"] == digests:
            return data["distances"], data["curves"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return list(CURVE_DISTANCES), reach_curves(models)


INTRO = """
The seed says it in one line: *"Simple RNNs forget long-term patterns. LSTM has special memory
cells that can remember for a long time."* Here is that claim, measured.

**The memory game.** Each model read thousands of lines like
`me see kitty more nap all gone it say meow`. A kitty says meow, a doggy woof, a ducky quack, a
piggy oink. The words in between are random, so **the only way to know the sound is to remember
the animal**, across however many characters of filler came between.

**How to read the chart.** Each point asks a model about 200 new lines (never seen in training)
with the animal that many characters back, and shows how sure it is of the right sound, on
average. 100% means it remembers; 25% means it forgot and is guessing among the four sounds.
"""

WHY = """
**Why they differ.** All three have the same size (2 layers of 128 units) and read the same
lines in the same order (short fillers first, then longer ones); each kept its best weights.

* A **simple RNN** rewrites its whole memory at every character: `h = tanh(W·x + U·h)`. The
  animal's trace is multiplied and squashed again at every step, so within a few characters it
  has washed out: *remember, remember, forget!* in the seed's sketch. Here it is gone before
  "it say " even when no filler comes between, so it never learned the game at all.
* An **LSTM** keeps a separate memory, the cell state `c`, that is only changed through gates:
  `c = f·c + i·g`. Where the forget gate `f` stays near 1, the animal stays in `c` untouched, as
  long as needed: *still remember!*
* A **GRU** is a lighter gated cell: its update gate `z` decides how much of the old memory to
  keep, `h = (1 − z)·n + z·h`, so what it holds it can hold for long. This one learned to hold
  part of the answer: try a ducky, then a kitty, below.
* The **seed's 15-character window** re-reads only the last 15 characters from a blank memory
  at every step. Once the animal is outside them (8 characters of filler, since "it say " takes
  7), no cell can know it, LSTM or not: memory you throw away cannot help.
"""


def prompt_of(animal: str, filler_text: str) -> str:
    """The line up to "it say ", as animal_spread reads it (every animal's name has 5 letters, so
    the four readings line up character by character): labelled with the animal chosen."""
    return "\n" + line(animal, filler_text)[: -len(ANIMALS[animal])]


def try_one_line(models: dict[str, BabyLanguageModel]) -> None:
    st.subheader("Try one line")
    left, right = st.container(key="memory_try").columns([1, 2])
    with left:
        animal = st.radio("Animal", list(ANIMALS), horizontal=True, key="memory_animal")
        # No 1 or 2: no baby word is shorter than 2 letters plus its space (the slider said 1
        # while the sentence said 3).
        distance = st.select_slider("Filler (characters between the animal and “it say”)",
                                    [0, *range(3, MAX_DISTANCE + 1)], 40, key="memory_distance")
        # No min or max: Streamlit would keep an out-of-range number in a red box and silently
        # use the old one; say what is wrong instead.
        seed = st.number_input("Filler words (seed)", value=1, step=1, key="memory_seed",
                               help="A different seed picks different words of the same length (0 to 9,999).")
        if not 0 <= seed <= MAX_FILLER_SEED:
            st.error(f"Filler words (seed) must be a whole number from 0 to {MAX_FILLER_SEED:,}, got {seed:,}; "
                     "showing seed 1.", icon=":material/warning:")
            seed = 1
    filler_text = filler(random.Random(int(seed) + 7919 * distance), distance)
    text = line(animal, filler_text)
    prompt = text[: -len(ANIMALS[animal])]
    sounds = {ANIMALS[a][0]: ANIMALS[a] for a in ANIMALS}  # first letter -> sound
    probs = {}
    asks = [(label, baby, "stateful") for label, baby in models.items()]
    asks.append((WINDOW_LABEL, models["LSTM"], "window"))
    for label, baby, mode in asks:
        next_char = baby.next_char_probs("\n" + prompt, mode=mode)
        probs[label] = {s: next_char[c] for c, s in sounds.items()}
    with right:
        st.markdown(f"`{prompt}` **?**  \nThe animal is **{distance}** characters before “it say”; "
                    f"the right sound is **{ANIMALS[animal]}**.")
        st.plotly_chart(sounds_figure(probs, ANIMALS[animal]), key="memory-line",
                        config={"displayModeBar": False})
        st.caption("Each model's probability for the first letter of each sound, right after “it say ”: "
                   "the right sound in colour.")
    st.markdown("**Watch the animal fade.** The same line read four times, once with each animal. "
                "After each character: how different is each model's memory (every number in its "
                "state) depending on which animal it saw? Right after the animal, very; if that "
                "difference has washed out by “it say”, the model cannot know the sound.")
    spreads = {label: animal_spread(baby.model, baby.vocab, filler_text)[1] for label, baby in models.items()}
    st.plotly_chart(spread_figure(prompt_of(animal, filler_text), spreads), key="memory-spread",
                    config={"displayModeBar": False})
    return animal, filler_text


@st.cache_resource(show_spinner=False)
def colour_ranges(label: str) -> dict[str, tuple[float, float]]:
    """Each internal's fixed colour range for one model (reads part of its text once)."""
    baby = memory_models()[label]
    return model_scales(baby.model, baby.vocab, baby.text)


@st.cache_data(max_entries=32, show_spinner="Reading the line with every model…")
def side_by_side_data(animal: str, filler_text: str) -> tuple[list[bytes], list[list[float]], str]:
    """Each model's trace of the whole line (wire buffers) and its animal spread, for the player."""
    models = memory_models()
    text = "\n" + line(animal, filler_text)
    traces, spreads = [], []
    for label, baby in models.items():
        with turn():
            trace = trace_text(baby.model, baby.vocab, text)
            spread = animal_spread(baby.model, baby.vocab, filler_text)[1]
        traces.append(encode(trace, colour_ranges(label), trace_key=label))
        spreads.append([round(float(v), 5) for v in spread])
    key = hashlib.sha256(json.dumps([animal, filler_text]).encode()).hexdigest()[:16]
    return traces, spreads, key


def side_by_side(animal: str, filler_text: str) -> None:
    st.subheader("Side by side, one step at a time")
    st.markdown("The same line, read by the three models at once: one counter, one character at a "
                "time. Under each model, how much of the animal is still in its memory, its bets "
                "for the next character, and its state (`h`; the LSTM also has `c`). Press ▶ Play "
                "and watch the simple RNN's state wash the animal out, while the LSTM's `c` holds it "
                "to the end: at “it say ” only the models that still hold it bet on the right sound.")
    traces, spreads, key = side_by_side_data(animal, filler_text)
    labels = list(CURVE_MODELS)
    compare_player(traces, labels, [COLORS[label] for label in labels], spreads, key)


def page() -> None:
    st.title("Why an LSTM? The memory game")
    try:
        models = memory_models()
    except ValueError as err:
        st.error(f"The memory-game models are missing: {err}. Rebuild them with `make memory-models`.",
                 icon=":material/warning:")
        return
    st.markdown(INTRO)
    distances, reach = curves()
    st.plotly_chart(reach_figure(distances, {k: np.array(v) for k, v in reach.items()}),
                    key="memory-reach", config={"displayModeBar": False})
    times = " · ".join(f"{label} {baby.training_summary.get('seconds', 0) / 60:.0f} min "
                       f"({baby.training_summary.get('cpu_seconds', 0) / 60:.1f} min of CPU)"
                       for label, baby in models.items())
    st.caption(f"Training time of each model on this project's shared 2-core machine, busy with other "
               f"work (its own CPU time is about what a quiet machine would take): {times}. "
               "Rebuild them with `make memory-models`.")
    st.markdown(WHY)
    animal, filler_text = try_one_line(models)
    side_by_side(animal, filler_text)
