"""Model: which model is active, what it is, download it, upload one, or go back to pretrained.

Uploads are checkpoints saved by babylm (.safetensors) or the seed's Keras files (.keras, .h5,
with the text they were trained on). A bad file gets a one-line error and the current model stays.
"""

from __future__ import annotations

import streamlit as st

from babylm import BabyLanguageModel
from babylm.checkpoint import from_bytes, to_bytes
from babylm.figures import loss_figure
from babylm.safe_text import md, plain, visible_char

from . import session_budget, state
from .limits import LIMITS

MAX_UPLOAD_MB = LIMITS.max_upload_mb


@st.cache_data(max_entries=8, show_spinner=False)
def checkpoint_bytes(model_key: str, _baby: BabyLanguageModel) -> bytes:
    return to_bytes(_baby.model, _baby.vocab, _baby.training_summary)


CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def shape_line(config, vocab_size: int) -> str:
    """The layers in order, as the seed writes them: Embedding(32) → LSTM(128) → Dropout(0.2) →
    LSTM(128) → Dropout(0.2) → Dense(25) + softmax. The model drops out after every layer."""
    cell = f"{CELL_NAMES[config.cell]}({config.hidden_size})"
    if config.dropout:
        cell += f" → Dropout({config.dropout:g})"
    return " → ".join([f"Embedding({config.embedding_dim})"] + [cell] * config.num_layers +
                      [f"Dense({vocab_size}) + softmax"])


def download_model(model: state.ActiveModel) -> None:
    """The download button and, for a session's own model, the warning that a reload loses it."""
    st.download_button("Download this model (.safetensors)", checkpoint_bytes(model.key, model.baby),
                       file_name="babylm-model.safetensors", mime="application/octet-stream",
                       help="One file: weights plus the config and vocabulary as JSON. Load it here "
                            "or with BabyLanguageModel.load(path).", on_click="ignore",
                       key=f"download-{model.key}")
    if model.source != "pretrained":
        st.caption("This model lives only in this browser session: reloading the page or closing the "
                   "tab starts a new session without it. Download it to keep it, and open it again here.")


def describe(model: state.ActiveModel) -> None:
    baby = model.baby
    c = baby.config
    st.subheader(model.label[:1].upper() + model.label[1:])
    if model.source != "pretrained":  # first, since a reload loses it
        download_model(model)
    cols = st.columns(4)
    cols[0].metric("Parameters", f"{baby.model.num_parameters():,}")
    cols[1].metric(f"{CELL_NAMES[c.cell]} layers × units", f"{c.num_layers} × {c.hidden_size}")
    cols[2].metric("Characters", len(baby.vocab))
    best = baby.training_summary.get("best_val_loss")  # a float or absent: checkpoint.py cleaned it
    cols[3].metric("Best validation loss", f"{best:.3f}" if isinstance(best, float) else "—",
                   help="Mean cross-entropy in nats per character on held-out text.")
    # Shown literally: a backtick or U+202E in a vocabulary must not restyle or reverse the page.
    st.markdown("**Vocabulary** (␣ is a space, ⏎ a new line, U+… an invisible character):")
    st.code(" ".join(visible_char(ch) for ch in baby.itos), language=None, wrap_lines=True)
    st.markdown(f"**Shape:** {shape_line(c, len(baby.vocab))}; the seed's window is {c.seq_length} characters.")
    summary = {k: v for k, v in baby.training_summary.items() if k != "val_curve"}
    if summary:
        with st.expander("Training record"):
            st.json(summary)
    curve = baby.training_summary.get("val_curve")
    if isinstance(curve, list) and curve:
        epochs, losses = zip(*curve)
        fig = loss_figure([], [], epochs, losses, height=280)
        st.plotly_chart(fig, key="model-val-curve")
    if model.source == "pretrained":
        download_model(model)


def load_upload(upload, text: str, notices: list[str]) -> BabyLanguageModel:
    """A model from an uploaded file; ValueError with a one-line reason if it can't be used.
    What was dropped from a checkpoint's description is added to `notices`."""
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        raise ValueError(f"{plain(upload.name)} is larger than {MAX_UPLOAD_MB} MB")
    data = upload.getvalue()
    if upload.name.lower().endswith((".keras", ".h5", ".hdf5")):
        if not text:
            raise ValueError("a Keras file has no vocabulary: also paste or upload the text it was trained on")
        from babylm.keras_import import from_keras_bytes

        return from_keras_bytes(data, upload.name, text=text)
    model, vocab, meta = from_bytes(data)
    notices.extend(meta["notices"])
    return BabyLanguageModel.from_parts(model, vocab, meta.get("training"))


def upload_section() -> None:
    st.subheader("Open a model")
    for notice in st.session_state.pop("model_notices", []):  # from the upload just before the rerun
        st.info(md(notice[:1].upper() + notice[1:] + "."), icon=":material/info:")
    upload = st.file_uploader(
        f"A babylm checkpoint (.safetensors) or a model saved by the seed's Keras script "
        f"(.keras, .h5), up to {MAX_UPLOAD_MB} MB", type=["safetensors", "keras", "h5"], key="model_upload")
    text = ""
    if upload is not None and upload.name.lower().endswith((".keras", ".h5")):
        text_file = st.file_uploader("The text it was trained on (.txt): its vocabulary is sorted(set(text))",
                                     type=["txt"], key="keras_text")
        if text_file is not None:
            text = text_file.getvalue().decode("utf-8", errors="replace")
            if not text.strip():
                st.error(f"{md(plain(text_file.name))} is empty: choose the text the model was trained on.",
                         icon=":material/warning:")
                return
    own = state.session_model()
    if upload is not None and own is not None and own.source == "trained":
        # A session keeps one model of its own: say so before a click replaces a trained one.
        st.warning(f"Opening this model replaces **{own.label}**: a session keeps one model of its own. "
                   "Download yours first (above) to keep it.", icon=":material/swap_horiz:")
    if upload is None or not st.button("Use this model", type="primary", key="use_upload"):
        return
    notices: list[str] = []
    try:
        baby = load_upload(upload, text, notices)
    except ValueError as err:
        st.error(md(f"Can't open {plain(upload.name)}: {err}. The current model is unchanged."), icon=":material/warning:")
        return
    refused = session_budget.reserve_for_session(baby.model.num_parameters())
    if refused:
        st.error(f"Can't open {md(plain(upload.name))} now: {refused}", icon=":material/warning:")
        return
    source = "keras" if upload.name.lower().endswith((".keras", ".h5")) else "uploaded"
    state.set_session_model(baby, f"uploaded model ({md(plain(upload.name))})", source)
    st.session_state["model_notices"] = notices
    st.rerun()


def choose(key: str) -> None:
    st.session_state["use_session_model"] = st.session_state[key] == "session"


def page() -> None:
    st.title("Model")
    own = state.session_model()
    if own is not None:
        # Keyed by the model's serial, so a new (or reopened) model of one's own is a new choice
        # that starts on it; the radio's value lives in session state, so its identity never
        # changes with the choice.
        key = f"active-model:{st.session_state.get('own_model_serial', 0)}"
        if key not in st.session_state:
            st.session_state[key] = "session" if state.active() is own else "pretrained"
        st.radio("Active model", ["session", "pretrained"], horizontal=True, key=key, on_change=choose,
                 args=(key,), format_func=lambda k: own.label if k == "session" else "pretrained baby-talk model")
    else:
        st.caption("You are using the pretrained model. Train one on the Train page or open one below.")
    describe(state.active())
    st.divider()
    upload_section()
