"""Train: choose a corpus and settings, train live, and get a model of your own.

Training runs inside this page's script run, driven by `train_iter`: the loss curve, progress
and samples refresh as it goes. Stop (or leaving the page, or closing the browser) ends the run
at the next refresh; whatever way it ends, the model so far becomes this session's model. A
server-wide semaphore caps how many sessions train at once, so a class cannot swamp the server.
"""

from __future__ import annotations

import time

import streamlit as st

from babylm import BABY_DATASET, BabyLanguageModel, TrainConfig
from babylm.data import MAX_CORPUS_CHARS, check_corpus
from babylm.figures import loss_figure
from babylm.safe_text import md, plain

from . import session_budget, state
from .limits import LIMITS

REFRESH_SECONDS = 0.4  # how often the page redraws while training
SAMPLE_SECONDS = 3.0  # how often a fresh sample is written
MAX_UPLOAD_MB = LIMITS.max_corpus_upload_mb
SOURCES = {"baby": "Baby talk (built in)", "paste": "Paste text", "upload": "Upload a .txt file"}


def corpus_input() -> tuple[str | None, str]:
    """The chosen corpus and a short name for it; None (with an error shown) if unusable."""
    source = st.radio("Corpus", list(SOURCES), format_func=SOURCES.get, horizontal=True, key="corpus_source")
    if source == "baby":
        lines = BABY_DATASET.count("\n")
        st.caption(f"{lines} lines of baby talk, {len(BABY_DATASET):,} characters: “me want cookie”, "
                   "“me love mommy”, “me see doggy” and more.")
        return BABY_DATASET, "baby talk"
    if source == "paste":
        # Kept under our own key so the text survives visits to other pages.
        text = st.text_area("Your text", value=st.session_state.get("pasted_corpus", ""), height=160,
                            placeholder="Paste a few hundred lines or more…",
                            help=f"Up to {MAX_CORPUS_CHARS:,} characters.")
        st.session_state["pasted_corpus"] = text
        name = "pasted text"
    else:
        upload = st.file_uploader(f"A UTF-8 .txt file, up to {MAX_UPLOAD_MB} MB", type=["txt"],
                                  key="corpus_upload")
        if upload is None:
            st.info("Choose a text file to train on.")
            return None, ""
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            st.error(f"{md(plain(upload.name))} is {upload.size / 1e6:.1f} MB: the limit is {MAX_UPLOAD_MB} MB. "
                     "Upload a shorter file.", icon="⚠️")
            return None, ""
        try:
            text = upload.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error(f"{md(plain(upload.name))} is not UTF-8 text: save it as UTF-8 and upload it again.", icon="⚠️")
            return None, ""
        name = md(plain(upload.name))  # shown as Markdown in the model's label: made literal
    if not text:
        return None, ""
    try:
        check_corpus(text)
    except ValueError as err:
        st.error(f"Can't train on this: {err}.", icon="⚠️")
        return None, ""
    st.caption(f"{len(text):,} characters, {len(set(text))} distinct.")
    return text, name


def settings_input() -> tuple[dict, dict]:
    """Model and training settings from the sliders."""
    d = TrainConfig()
    left, right = st.columns(2)
    with left:
        st.markdown("**Training**")
        epochs = st.slider("Epochs (at most; stops early when validation stops improving)", 1, 300, d.epochs)
        lr = st.select_slider("Learning rate", [3e-4, 1e-3, 2e-3, 4e-3, 6e-3, 1e-2], d.learning_rate,
                              format_func=lambda v: f"{v:g}")
        batch = st.select_slider("Batch size (parallel streams)", [1, 2, 4, 8, 16, 32, 64], d.batch_size)
        chunk = st.select_slider("Chunk length (characters back-propagated through)",
                                 [8, 16, 32, 64, 128, 256], d.chunk_length)
        seed = st.number_input("Seed", 0, 2**31 - 1, d.seed)
    with right:
        st.markdown("**Model**")
        embedding = st.select_slider("Embedding size", [4, 8, 16, 32, 64, 128], 32)
        hidden = st.select_slider("Hidden units per layer", [8, 16, 32, 64, 128, 256, 512], 128)
        layers = st.slider("LSTM layers", 1, 3, 2)
        dropout = st.slider("Dropout", 0.0, 0.5, 0.2, 0.05)
    model = dict(embedding_dim=embedding, hidden_size=hidden, num_layers=layers, dropout=float(dropout))
    train = dict(epochs=int(epochs), learning_rate=float(lr), batch_size=int(batch),
                 chunk_length=int(chunk), seed=int(seed))
    return model, train


def sample_prompt(baby: BabyLanguageModel, text: str) -> str:
    return "me want " if not baby.vocab.unknown("me want ") else text.split("\n")[0][:8] or text[:8]


def wait_for_slot(box) -> None:
    """Block until this session may train, telling the user while they wait."""
    slots = state.trainer_slots()
    while not slots.acquire(timeout=0.5):
        box.info(f"Waiting for a free trainer: {state.MAX_TRAINERS} people are training on this "
                 "server right now. It starts by itself when one finishes.", icon="⏳")
    box.empty()


def run_training(baby: BabyLanguageModel, text: str, name: str, settings: dict) -> None:
    """Train with live progress; always leaves the session with the model so far."""
    status, bar, chart, sample = st.empty(), st.empty(), st.empty(), st.empty()
    wait_for_slot(status)
    epochs = settings["epochs"]
    prompt = sample_prompt(baby, text)
    steps = iter(baby.train_iter(text, max_seconds=LIMITS.max_train_seconds, **settings))
    last_draw, last_sample, draws = 0.0, 0.0, 0
    try:
        for progress in steps:
            now = time.perf_counter()
            if now - last_draw < REFRESH_SECONDS and progress.val_loss is None:
                continue
            last_draw = now
            left = min(progress.seconds / max(progress.epoch, 1e-6) * (epochs - progress.epoch),
                       LIMITS.max_train_seconds - progress.seconds)
            val = f" · validation loss {progress.best_val_loss:.3f} (best)" if progress.best_val_loss else ""
            bar.progress(min(progress.epoch / epochs, 1.0),
                         text=f"Epoch {progress.epoch:.1f} of {epochs} · loss {progress.loss:.3f}{val} · "
                              f"{progress.seconds:.0f}s, at most {left:.0f}s left")
            draws += 1
            chart.plotly_chart(history_figure(baby.history), key=f"train-curve-{draws}")
            if now - last_sample > SAMPLE_SECONDS:
                last_sample = now
                written = baby.generate_text(prompt, 60, temperature=0.8, seed=0)
                sample.markdown("**Sample so far:** " + md(plain(written, limit=200)))  # literal text
        chart.empty()  # the finished curve is drawn once, under the result
    finally:
        steps.close()  # leaves the best weights in place, in eval mode
        state.trainer_slots().release()
        if baby.history:
            summary = baby.training_summary
            timed_out = baby.history[-1].seconds >= LIMITS.max_train_seconds
            label = f"your model ({summary['epochs']:g} epochs on {name}" + (
                f", stopped at the {time_limit_text()} limit)" if timed_out else ")")
            state.set_session_model(baby, label, "trained")
            st.session_state["train_result"] = (label, summary)


def time_limit_text() -> str:
    seconds = LIMITS.max_train_seconds
    if seconds % 60:
        return f"{seconds:,} second{'s' if seconds != 1 else ''}"
    return f"{seconds // 60} minute{'s' if seconds != 60 else ''}"


def history_figure(history):
    return loss_figure([p.epoch for p in history], [p.loss for p in history],
                       [p.epoch for p in history if p.val_loss is not None],
                       [p.val_loss for p in history if p.val_loss is not None])


def page() -> None:
    st.title("Train your own baby LSTM")
    st.caption("Every character of the corpus is a training target once per epoch. The last tenth "
               "is held out to measure progress; training stops when it stops improving.")
    text, name = corpus_input()
    model_settings, train_settings = settings_input()
    start, stop = st.columns([1, 1])
    go = start.button("Train ▶", type="primary", disabled=text is None, width="stretch")
    stop.button("Stop ■", width="stretch", help="Ends training now and keeps the model so far.")
    st.caption(f"On this server a run stops after at most {time_limit_text()} and keeps its best model "
               "so far (the host sets this with BABYLM_MAX_TRAIN_SECONDS).")
    if go and text is not None:
        try:
            baby = BabyLanguageModel(text, **model_settings)
            TrainConfig(**train_settings)
        except ValueError as err:
            st.error(f"Can't train: {err}.", icon="⚠️")
            return
        baby.build_model(seed=train_settings["seed"])
        refused = session_budget.reserve_for_session(baby.model.num_parameters())
        if refused:
            st.error(refused, icon="⚠️")
            return
        run_training(baby, text, name, train_settings)
    result = st.session_state.get("train_result")
    if result:
        label, summary = result
        best = summary.get("best_val_loss")
        st.success(f"Done: **{label}** is now the active model on Generate"
                   + (f" (best validation loss {best:.3f})" if best else "") + ". "
                   "The pretrained model is still there on the Model page.", icon="✅")
        own = state.session_model()
        if own is not None and own.baby.history:
            st.plotly_chart(history_figure(own.baby.history), key="train-curve-final")
