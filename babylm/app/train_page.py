"""Train: choose a corpus and settings, train live, and get a model of your own.

Training runs inside this page's script run, driven by `train_iter`: the loss curve, progress
and samples refresh as it goes. Stop (or leaving the page, or closing the browser) ends the run
at the next refresh; whatever way it ends, the model so far becomes this session's model. A
server-wide semaphore caps how many sessions train at once, so a class cannot swamp the server.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import streamlit as st
import torch

from babylm import BABY_DATASET, BabyLanguageModel, TrainConfig
from babylm.data import MAX_CORPUS_CHARS, check_corpus
from babylm.train import check_train_request
from babylm.figures import loss_figure
from babylm.safe_text import md, plain

from . import session, session_budget, state
from .train_watch import HELP, Watch, advice, fresh_seed, probe_editor, usable_probes
from .limits import LIMITS
from .model_page import download_model

REFRESH_SECONDS = 0.4  # how often the page redraws while training
MAX_UPLOAD_MB = LIMITS.max_corpus_upload_mb
SOURCES = {"baby": "Baby talk (built in)", "paste": "Paste text", "upload": "Upload a .txt file"}


def corpus_input() -> tuple[str | None, str]:
    """The chosen corpus and a short name for it; None (with an error shown) if unusable."""
    source = st.radio("Corpus", list(SOURCES), format_func=SOURCES.get, horizontal=True,
                      **session.kept("corpus_source", "baby"))
    if source == "baby":
        lines = BABY_DATASET.count("\n")
        st.caption(f"{lines} lines of baby talk, {len(BABY_DATASET):,} characters: “me want cookie”, "
                   "“me love mommy”, “me see doggy” and more.")
        return BABY_DATASET, "baby talk"
    if source == "paste":
        text = st.text_area("Your text", height=160, placeholder="Paste a few hundred lines or more…",
                            help=f"Up to {MAX_CORPUS_CHARS:,} characters.", **session.kept("pasted_corpus", ""))
        name = "pasted text"
    else:
        text, name = uploaded_corpus()
        if text is None:
            return None, ""
    if not text:
        return None, ""
    try:
        check_corpus(text)
    except ValueError as err:
        st.error(f"Can't train on this: {md(str(err))}.", icon=":material/warning:")
        return None, ""
    st.caption(f"{len(text):,} characters, {len(set(text))} distinct.")
    return text, name


def uploaded_corpus() -> tuple[str | None, str]:
    """The uploaded .txt's text and name (None, with a message, if unusable). A good upload is
    kept for this session: Streamlit empties the uploader whenever the page is not drawn, and a
    teacher who looks at another page should not have to find the file again."""
    own = session.get()
    # max_upload_size: the drop zone says this limit too, not the server's larger one for models.
    upload = st.file_uploader(f"A UTF-8 .txt file, up to {MAX_UPLOAD_MB} MB", type=["txt"], key="corpus_upload",
                              on_change=_forget_upload, max_upload_size=MAX_UPLOAD_MB)
    if upload is None:
        if "corpus_upload" in own.widgets:
            text, name = own.widgets["corpus_upload"]
            st.caption(f"Using **{name}**, uploaded earlier. Choose a file above to use another.")
            return text, name
        st.info("Choose a text file to train on.")
        return None, ""
    name = md(plain(upload.name))  # shown as Markdown in the model's label: made literal
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"{name} is {upload.size / 1e6:.1f} MB: the limit is {MAX_UPLOAD_MB} MB. "
                 "Upload a shorter file.", icon=":material/warning:")
        return None, ""
    try:
        text = upload.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.error(f"{name} is not UTF-8 text: save it as UTF-8 and upload it again.", icon=":material/warning:")
        return None, ""
    if not text.strip():
        st.error(f"{name} is empty: choose a file with some text in it.", icon=":material/warning:")
        return None, ""
    own.widgets["corpus_upload"] = (text, name)
    return text, name


def _forget_upload() -> None:
    """The person changed or removed the file: an earlier upload no longer stands in for it."""
    session.get().widgets.pop("corpus_upload", None)


def settings_input() -> tuple[dict, dict]:
    """Model and training settings from the sliders."""
    d = TrainConfig()
    left, right = st.columns(2)
    with left:
        st.markdown("**Training**")
        epochs = st.slider("Epochs (at most; stops early when validation stops improving)", 1, 300,
                           help=HELP["epochs"], **session.kept("train_epochs", d.epochs))
        lr = st.select_slider("Learning rate", [3e-4, 1e-3, 2e-3, 4e-3, 6e-3, 1e-2], format_func=lambda v: f"{v:g}",
                              help=HELP["learning_rate"], **session.kept("train_lr", d.learning_rate))
        batch = st.select_slider("Batch size (parallel streams)", [1, 2, 4, 8, 16, 32, 64],
                                 help=HELP["batch_size"], **session.kept("train_batch", d.batch_size))
        chunk = st.select_slider("Chunk length (characters back-propagated through)",
                                 [8, 16, 32, 64, 128, 256], help=HELP["chunk_length"],
                                 **session.kept("train_chunk", d.chunk_length))
        # A fresh seed per session, not the shipped model's 0: the defaults grow a new model.
        # No min/max: Streamlit would keep the old value in a red box; Train ▶ names the range.
        seed = st.number_input("Seed", step=1, help=HELP["seed"], **session.kept("train_seed", fresh_seed()))
    with right:
        st.markdown("**Model**")
        embedding = st.select_slider("Embedding size", [4, 8, 16, 32, 64, 128], help=HELP["embedding_dim"],
                                     **session.kept("model_embedding", 32))
        hidden = st.select_slider("Hidden units per layer", [8, 16, 32, 64, 128, 256, 512],
                                  help=HELP["hidden_size"], **session.kept("model_hidden", 128))
        layers = st.slider("Layers", 1, 3, help=HELP["num_layers"], **session.kept("model_layers", 2))
        dropout = st.slider("Dropout", 0.0, 0.5, step=0.05, help=HELP["dropout"],
                            **session.kept("model_dropout", 0.2))
        cell = st.radio("Cell", ["lstm", "gru", "rnn"], horizontal=True, **session.kept("train_cell", "lstm"),
                        format_func={"lstm": "LSTM", "gru": "GRU", "rnn": "Simple RNN"}.get,
                        help="What each layer is made of. LSTM (the seed's) keeps a separate memory "
                             "that gates protect, so it remembers for a long time. GRU is a lighter "
                             "gated cell. A simple RNN has no gates: it rewrites its whole memory at "
                             "every character, so it forgets fast (see the Memory page).")
    model = dict(embedding_dim=embedding, hidden_size=hidden, num_layers=layers, dropout=float(dropout),
                 cell=cell)
    train = dict(epochs=int(epochs), learning_rate=float(lr), batch_size=int(batch),
                 chunk_length=int(chunk), seed=int(seed))
    return model, train


def sample_prompt(baby: BabyLanguageModel, text: str) -> str:
    return "me want " if not baby.vocab.unknown("me want ") else text.split("\n")[0][:8] or text[:8]


def plural(n: float, word: str) -> str:
    """"1 epoch", "2.5 epochs", "1 person", "2 people"."""
    if word == "person":
        return f"{n:g} {'person' if n == 1 else 'people'}"
    return f"{n:g} {word}{'' if n == 1 else 's'}"


def waiting_message() -> str:
    training = "is" if state.MAX_TRAINERS == 1 else "are"
    return (f"Waiting for a free trainer: {plural(state.MAX_TRAINERS, 'person')} {training} training "
            "on this server right now. It starts by itself when one finishes.")


@dataclass(frozen=True)
class Start:
    """Where a run began: 0 for a new model, the earlier totals for Keep training."""

    epoch: float = 0.0
    seconds: float = 0.0

    @classmethod
    def of(cls, baby: BabyLanguageModel) -> "Start":
        summary = baby.training_summary
        return cls(summary.get("epochs", 0.0), summary.get("seconds", 0.0))


def progress_text(progress, epochs: int, start: Start = Start()) -> str:
    """The progress bar's line while training (a resumed run counts on from its start)."""
    done, spent = progress.epoch - start.epoch, progress.seconds - start.seconds
    left = min(spent / max(done, 1e-6) * (epochs - done), LIMITS.max_train_seconds - spent)
    val = f" · validation loss {progress.best_val_loss:.3f} (best)" if progress.best_val_loss else ""
    of = f"{epochs}" if not start.epoch else (f"{round(start.epoch + epochs, 1):g} "
                                              f"({done:.1f} of {plural(epochs, 'more epoch')})")
    return (f"Epoch {progress.epoch:.1f} of {of} · loss {progress.loss:.3f}{val} · "
            f"{spent:.0f} s, at most {left:.0f} s left")


def ending_text(history, epochs: int, start: Start = Start()) -> tuple[str, str]:
    """How a run that ran to its end ended ("finished", "stopped early" or "time limit") and the
    bar's last line."""
    last = history[-1]
    done, spent = last.epoch - start.epoch, last.seconds - start.seconds
    val = f" · best validation loss {last.best_val_loss:.3f}" if last.best_val_loss else ""
    if spent >= LIMITS.max_train_seconds:
        return "time limit", (f"Stopped at epoch {last.epoch:.1f}: this server's {time_limit_text()} limit"
                              f"{val} · {spent:.0f} s")
    if done < epochs - 1e-6:
        return "stopped early", (f"Stopped early at epoch {last.epoch:.0f}: validation loss stopped improving"
                                 f"{val} · {spent:.0f} s")
    more = "more " if start.epoch else ""
    return "finished", f"Trained {plural(epochs, more + 'epoch')}{val} · {spent:.0f} s"


def run_training(baby: BabyLanguageModel, text: str, name: str, settings: dict,
                 probes: list | None = None, resume_from: state.ActiveModel | None = None) -> None:
    """Train with live progress. However the run ends (to the end, early stopping, Stop, leaving
    the page, closing the tab), the trainer slot is released and the model so far becomes this
    session's model. With `resume_from` (this session's model, of which `baby` is a copy), it
    trains on from where that model stopped, its curve continuing the earlier one, and its
    samples and facts too when the log on the page is that model's; a resumed run that leaves the
    weights as they were leaves that model in place, with a note saying why.

    Streamlit ends a run it no longer wants by raising an exception from the next Streamlit call,
    and, once the session is gone, from every one after it. So the `finally` block below makes
    no Streamlit call at all: it stores the model into the session object fetched beforehand."""
    own = session.get()  # fetched now: the `finally` below must make no Streamlit call
    slots = state.trainer_slots()
    status, bar, chart = st.empty(), st.empty(), st.empty()
    resume = resume_from is not None
    epochs, start = settings["epochs"], Start.of(baby) if resume else Start()
    before = len(baby.history)  # a resumed history holds the earlier runs' records too
    holding, steps, ending, watch = False, None, "stopped", None
    # Held until the model is stored: the session's next run waits for it (see session.get).
    with own.training:
        try:
            # `holding` is set in the same statement that takes the slot: no Streamlit call between.
            while not (holding := slots.acquire(timeout=0.5)):
                status.info(waiting_message(), icon=":material/hourglass_top:")
            status.caption("Stop, changing a setting or opening another page ends the run and keeps "
                           "the model so far.")
            # Samples with their epoch and the watched facts, all kept (train_watch.py).
            watch = Watch(usable_probes(probes or [], baby.vocab), sample_prompt(baby, text))
            earlier = st.session_state.get("train_watch")
            if (resume and earlier is not None and earlier.model_key == resume_from.key
                    and (earlier.probes, earlier.prompt) == (watch.probes, watch.prompt)):
                watch = earlier  # this model's own log, same facts and prompt: one log across both runs
            st.session_state["train_watch"] = watch
            watch.start(baby, start.epoch)
            steps = baby.train_iter(text, max_seconds=LIMITS.max_train_seconds, resume=resume, **settings)
            last_draw, draws, fresh = 0.0, 0, False
            for progress in steps:
                fresh = watch.update(baby, progress) or fresh
                now = time.perf_counter()
                if now - last_draw < REFRESH_SECONDS and progress.val_loss is None:
                    continue
                last_draw = now
                bar.progress(min((progress.epoch - start.epoch) / epochs, 1.0),
                             text=progress_text(progress, epochs, start))
                draws += 1
                chart.plotly_chart(history_figure(baby.history), key=f"train-curve-{draws}")
                if fresh:
                    watch.draw(key=str(draws))
                    fresh = False
            if baby.history:
                watch.finish(baby, baby.history[-1].epoch)
            ending, line = ending_text(baby.history, epochs, start) if baby.history else ("finished", "")
            bar.progress(1.0, text=line)
            status.empty()
            chart.empty()  # the finished curve is drawn once, under the result
            watch.clear()  # and so are the samples and the facts
        finally:
            if steps is not None:
                steps.close()  # leaves the best weights in place, in eval mode
            if holding:
                slots.release()
            run = baby.history[before:]
            note = resume_note(run) if resume and run and same_weights(baby, resume_from.baby) else ""
            if note:  # its weights are as they were: the model stays the one it was, its log too
                if watch is not None:
                    watch.rewind(start.epoch)
                own.pending, own.last_run = resume_from, session.TrainRun(
                    resume_from.key, resume_from.label, resume_from.baby.training_summary, ending, note)
            elif run:  # a step was taken (a run stopped while waiting for a trainer made nothing)
                keep_trained(own, baby, name, ending, watch=watch)


def same_weights(a: BabyLanguageModel, b: BabyLanguageModel) -> bool:
    """Whether a resumed run ended on the weights it started from (it keeps only improvements)."""
    sa, sb = a.model.state_dict(), b.model.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def resume_note(run: list) -> str:
    """Why a resumed run (its records `run`) left the weights as they were: it keeps only what
    improves on the held-out text, measured at each epoch's end."""
    if not any(p.val_loss is not None for p in run):
        return ("The run stopped before its first epoch ended, so nothing was measured against the held-out "
                "text and your model's weights are as they were. Let it run for at least one epoch.")
    return ("No epoch of this run did better on the held-out text than the model did before it, so its "
            "weights are as they were. A smaller learning rate may help.")


def keep_trained(own: session.Session, baby: BabyLanguageModel, name: str, ending: str,
                 watch: Watch | None = None) -> None:
    """Leave the trained model for session.get() to make active. No Streamlit calls: see run_training."""
    summary = baby.training_summary
    limit = f", stopped at the {time_limit_text()} limit" if ending == "time limit" else ""
    label = f"your model ({plural(round(summary['epochs'], 1), 'epoch')} on {name}{limit})"
    model = state.make_model(baby, label, "trained")
    if watch is not None:
        watch.model_key = model.key  # its samples and facts are this model's: Keep training goes on with them
    own.pending, own.last_run = model, session.TrainRun(model.key, label, summary, ending)


def show_result() -> None:
    """What the last run made, while it is still this session's model, and its download."""
    run, own = session.get().last_run, state.session_model()
    if run is None or own is None or own.key != run.model_key:
        return
    best = run.summary.get("best_val_loss")
    best = f" (best validation loss {best:.3f})" if best else ""
    how = {"finished": "Done", "stopped early": "Done, stopped early because validation loss stopped improving",
           "stopped": f"Stopped at epoch {run.summary['epochs']:.1f}",
           "time limit": f"Stopped at this server's {time_limit_text()} limit"}[run.ending]
    where = ("is now the active model on Generate" if state.active() is own else
             "is your session's model; the pretrained model is active (switch on the Model page)")
    st.success(f"{how}: **{run.label}** {where}{best}. The pretrained model is still there on the Model "
               "page.", icon=":material/check_circle:")
    if run.note:
        st.info(run.note, icon=":material/info:")
    download_model(own)
    if own.baby.history:
        st.plotly_chart(history_figure(own.baby.history), key="train-curve-final")
    watch = st.session_state.get("train_watch")
    if watch is not None and watch.samples:
        watch.draw((st.empty(), st.empty()), key="final")


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
    # Named after the cell chosen below (the radio's value is in session state before it is drawn).
    # (or, after a visit to another page, still only in the session's kept widget values).
    chosen = st.session_state.get("train_cell") or session.get().widgets.get("train_cell")
    cell = {"gru": "GRU", "rnn": "simple RNN"}.get(chosen, "LSTM")
    st.title(f"Train your own baby {cell}")
    st.caption("Every character of the corpus is a training target once per epoch. The last tenth "
               "is held out to measure progress; training stops when it stops improving.")
    text, name = corpus_input()
    model_settings, train_settings = settings_input()
    with st.expander("Watch facts being learned", expanded=False):
        probes = probe_editor()
    if text is not None:
        advice(text, model_settings, train_settings, len(set(text)))
    own = state.session_model()
    train_col, stop_col, keep_col = st.columns(3)
    go = train_col.button("Train ▶", type="primary", disabled=text is None, width="stretch", key="start_training",
                          help="Trains a new model, from random weights, with the settings above.")
    stop_col.button("Stop ■", width="stretch", help="Ends training now and keeps the model so far.",
                    key="stop_training")
    keep_slot = keep_col.empty()  # filled once there is a model of one's own, also right after a first run
    keep = own is not None and keep_button(keep_slot, text is None)
    st.caption(f"On this server a run stops after at most {time_limit_text()} and keeps its best model "
               "so far (the host sets this with BABYLM_MAX_TRAIN_SECONDS).")
    if go and text is not None:
        try:
            baby = BabyLanguageModel(text, **model_settings)
            TrainConfig(**train_settings)
        except ValueError as err:
            st.error(f"Can't train: {md(str(err))}.", icon=":material/warning:")
            return
        baby.build_model(seed=train_settings["seed"])
        refused = session_budget.reserve_for_session(baby.model.num_parameters())
        if refused:
            st.error(refused, icon=":material/warning:")
            return
        run_training(baby, text, name, train_settings, probes)
    elif keep and text is not None:
        keep_training(own, text, name, train_settings, probes, model_settings)
    show_result()
    if own is None and state.session_model() is not None:  # this run made the first one
        keep_button(keep_slot, text is None)


def keep_button(slot, disabled: bool) -> bool:
    return slot.button("Keep training ▶", disabled=disabled, width="stretch", key="keep_training",
                       help="Trains your model on for the epochs set above, on the text above. It keeps "
                            "its own size, and ends no worse on the held-out text than it began.")


def keep_training(own: state.ActiveModel, text: str, name: str, train_settings: dict, probes: list,
                  model_settings: dict | None = None) -> None:
    """Train this session's model on: a copy trains (the player may be reading the model), and
    becomes the session's model when the run ends, however it ends."""
    missing = own.baby.vocab.unknown(text)
    if missing:
        shown = ", ".join(repr(ch) if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
                          for ch in missing[:5])
        st.error(md(f"Can't keep training on this text: your model has never seen {shown}"
                    f"{' and more' if len(missing) > 5 else ''}. Train a new model on it with Train ▶."),
                 icon=":material/warning:")
        return
    try:
        # The sliders cap a new model's size, not one opened on the Model page: check its step too.
        check_train_request(TrainConfig(**train_settings), own.baby.config, LIMITS.max_train_seconds)
    except ValueError as err:
        st.error(f"Can't train: {md(str(err))}.", icon=":material/warning:")
        return
    baby = copy.deepcopy(own.baby)
    baby.text = text  # what it trains on now: the inspector's corpus views read the model's text
    refused = session_budget.reserve_for_session(baby.model.num_parameters())
    if refused:
        st.error(refused, icon=":material/warning:")
        return
    c = own.baby.config
    if model_settings and any(getattr(c, k) != v for k, v in model_settings.items()):
        st.info(f"Keep training keeps your model's own size: {c.num_layers} {c.cell.upper()} layer"
                f"{'s' if c.num_layers != 1 else ''} of {c.hidden_size} units, embedding {c.embedding_dim}, "
                f"dropout {c.dropout:g}. The Model settings above are for a new model (Train ▶).",
                icon=":material/info:")
    run_training(baby, text, name, train_settings, probes, resume_from=own)
