"""Train shows learning: what the Train page adds around its loop so a class can watch a model
learn. A log of every sample written with its epoch (all kept, newest first), probes charting
epoch by epoch the probability of small facts such as "o" after "me want c", plain-words help
for every setting, and warnings before a run that cannot teach much. The numbers come from the
core (babylm.probes, babylm.advice); this file lays them out.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import streamlit as st

from babylm import BABY_DATASET, BabyLanguageModel, TrainConfig
from babylm.advice import corpus_warnings, same_as_shipped
from babylm.data import Vocab
from babylm.figures import probe_figure
from babylm.model import ModelConfig
from babylm.probes import DEFAULT_PROBES, Probe, ProbeLog, check_probes, measure, parse_probes

from babylm.safe_text import md, plain

from . import session, state

SAMPLE_EVERY_SECONDS = 3.0  # inside a long epoch, a sample this often
SAMPLE_MIN_SECONDS = 0.5  # at epoch ends, but not more often than this (tiny texts end epochs every step)
SAMPLE_LENGTH = 60
SAMPLE_TEMPERATURE, SAMPLE_SEED = 0.8, 0  # the same seed every time: what changes is the model

HELP = {
    "epochs": "How many times the model reads the whole text. More epochs, more practice; training "
              "stops by itself when the held-out text stops getting easier to predict.",
    "learning_rate": "How big a step the weights take after each batch. Too small learns slowly; "
                     "too big jumps around and can get worse.",
    "batch_size": "How many places in the text are read side by side in each step. More streams "
                  "mean smoother steps but fewer of them per epoch.",
    "chunk_length": "How many characters the model is corrected over at once. Memory is carried "
                    "between chunks, but mistakes are only traced back this far.",
    "seed": "Chooses the random starting weights and the reading order. The same seed and settings "
            "always give the same model; the shipped model used seed 0.",
    "embedding_dim": "How many numbers describe each character on the way in. Small sizes force "
                     "similar characters to share a description.",
    "hidden_size": "Memory cells per layer (the seed uses 128). More cells can remember more, but "
                   "learn more slowly and can learn the text by heart.",
    "num_layers": "Stacked layers of the chosen cell. The second layer reads the first layer's h, so it can "
                  "build on its patterns (the seed uses 2).",
    "dropout": "While training, randomly silence this share of the cells at each step, so the "
               "model cannot lean on any single one. 0 turns it off.",
    "probes": 'One fact per line, like "o" after "me want c": the chart follows the probability '
              "the model gives that character after that text, at the end of every epoch.",
}


def fresh_seed() -> int:
    """This session's starting seed: not the shipped model's 0, so training with the page's
    defaults makes a new model rather than silently rebuilding the shipped one (advice() says so
    when someone sets 0 and the shipped recipe back)."""
    return st.session_state.setdefault("train_fresh_seed", random.randrange(1, 10_000))


def probe_editor() -> list[Probe]:
    """The facts to watch, typed one per line; a bad line is reported and the rest kept."""
    text = st.text_area("Facts to watch while it learns", height=120, help=HELP["probes"],
                        **session.kept("train_probes", "\n".join(DEFAULT_PROBES)))
    try:
        return parse_probes(text)
    except ValueError as err:
        st.error(f"Can't watch these facts: {md(str(err))}.", icon=":material/warning:")
        return []


def usable_probes(probes: list[Probe], vocab: Vocab) -> list[Probe]:
    """The probes this text's characters can express; says which were left out and why."""
    kept = []
    for probe in probes:
        try:
            kept.append(check_probes(vocab, [probe])[0])
        except ValueError:
            missing = ", ".join(f"“{ch}”" for ch in vocab.unknown(probe.context + probe.char)).replace("\n", "⏎")
            st.caption(md(f"Not watching {probe.label}: this text has no {missing}."))
    return kept


def advice(text: str, model_settings: dict, train_settings: dict, vocab_size: int) -> None:
    """Warnings before training, in plain words."""
    try:
        model = ModelConfig(vocab_size=vocab_size, **model_settings)
        train = TrainConfig(**train_settings)
    except ValueError:
        return  # the Train button reports bad settings
    for warning in corpus_warnings(text, model, train):
        st.warning(warning, icon=":material/straighten:")
    shipped = shipped_recipe()
    if shipped and same_as_shipped(text, model, train, *shipped):
        st.info("These are exactly the settings the shipped model was trained with (seed 0): "
                "training will rebuild it bit for bit. Change the seed to grow a different one.", icon=":material/info:")


def shipped_recipe() -> tuple | None:
    try:
        baby = state.pretrained().baby
    except (OSError, ValueError):
        return None
    return baby.model.config, baby.training_summary, BABY_DATASET


@dataclass
class Watch:
    """The samples and probe values of one training run, drawn into placeholders as it goes."""

    probes: list[Probe]
    prompt: str
    samples: list[tuple[float, str]] = field(default_factory=list)  # (epoch, text), oldest first
    log: ProbeLog = None
    last_sample: float = -1e9
    boxes: tuple = ()
    model_key: str = ""  # the model these samples and facts are of, once its run has ended

    def __post_init__(self):
        self.log = ProbeLog(tuple(self.probes))

    def start(self, baby: BabyLanguageModel, epoch: float = 0.0) -> None:
        """Before the first step: the guesses of the model as it starts (untrained at epoch 0;
        a model kept training has its sample already, unless its earlier log was another one's)."""
        self.boxes = (st.empty(), st.empty())
        # Measured again even at the log's last epoch: a run that stopped early went back to its
        # best epoch's weights, and the chart shows that step back.
        self._measure(baby, epoch)
        if not self.samples or self.samples[-1][0] != round(epoch, 2):
            self._sample(baby, epoch)
        self.draw()

    def update(self, baby: BabyLanguageModel, progress) -> bool:
        """Called for every Progress; True when it recorded something new to draw."""
        now = time.perf_counter()
        epoch_end = progress.val_loss is not None
        if epoch_end:
            self._measure(baby, progress.epoch)
        if now - self.last_sample >= (SAMPLE_MIN_SECONDS if epoch_end else SAMPLE_EVERY_SECONDS):
            self._sample(baby, progress.epoch)
            return True
        return epoch_end

    def finish(self, baby: BabyLanguageModel, epoch: float) -> None:
        """After the last step: a last sample, unless the last epoch has one already."""
        if not self.samples or self.samples[-1][0] != round(epoch, 2):
            self._sample(baby, epoch)

    def _measure(self, baby: BabyLanguageModel, epoch: float) -> None:
        if self.probes:
            self.log = self.log.add(epoch, measure(baby.model, baby.vocab, self.probes))

    def _sample(self, baby: BabyLanguageModel, epoch: float) -> None:
        self.last_sample = time.perf_counter()
        text = baby.generate_text(self.prompt, SAMPLE_LENGTH, temperature=SAMPLE_TEMPERATURE, seed=SAMPLE_SEED)
        if not self.samples or self.samples[-1] != (epoch, text):
            self.samples.append((round(epoch, 2), text))

    def rewind(self, epoch: float) -> None:
        """Forget what came after `epoch`: a resumed run whose weights were put back as they were."""
        self.samples = [(e, text) for e, text in self.samples if e <= round(epoch, 2) + 1e-9]
        keep = [k for k, e in enumerate(self.log.epochs) if e <= epoch + 1e-9]
        self.log = ProbeLog(self.log.probes, tuple(self.log.epochs[k] for k in keep),
                            tuple(self.log.values[k] for k in keep))

    def clear(self) -> None:
        for box in self.boxes:
            box.empty()

    def draw(self, boxes: tuple | None = None, key: str = "live") -> None:
        chart_box, log_box = boxes or self.boxes
        if self.probes and self.log.epochs:
            with chart_box.container():
                st.markdown("**Facts being learned** (the model's probability, at each epoch's end)")
                st.plotly_chart(probe_figure(self.log.epochs, self.log.series(),
                                             [p.label for p in self.probes]),
                                key=f"probe-chart-{key}-{len(self.log.epochs)}")
        with log_box.container():
            st.markdown(f"**What it writes** after “{self.prompt}” (temperature {SAMPLE_TEMPERATURE}, "
                        f"seed {SAMPLE_SEED}: the same dice every time, so only the model changes). "
                        f"All {len(self.samples)} samples, newest first:")
            with st.container(height=260):
                for epoch, text in reversed(self.samples):
                    st.markdown(f"`epoch {epoch:>6.2f}` " + md(plain(text.replace("\n", " ⏎ "), limit=240)))  # literal
