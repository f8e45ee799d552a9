"""The Train and Model pages' words, headless (streamlit's AppTest): what a run that stopped
early, an empty upload, one trainer or one epoch say, the shape line, and the download that
comes with a model of one's own. The clicking journeys are in test_journeys.py."""

from __future__ import annotations

import random

import pytest
from streamlit.testing.v1 import AppTest

from babylm import BabyLanguageModel, ModelConfig
from babylm.checkpoint import to_bytes
from babylm.app import model_page, train_page
from test_app import PAGES, visit


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_string(PAGES, default_timeout=120).run()


def set_slider(at: AppTest, label: str, value) -> None:
    (widget,) = [s for s in [*at.slider, *at.select_slider] if s.label.startswith(label)]
    widget.set_value(value).run()


def tiny_settings(at: AppTest) -> None:
    set_slider(at, "Embedding size", 4)
    set_slider(at, "Hidden units per layer", 8)
    set_slider(at, "Layers", 1)


def train_one_tiny_epoch(app: AppTest, corpus: str = "me want cookie\nme love mommy\n" * 20) -> None:
    """On the Train page: paste `corpus`, a tiny model, 1 epoch, Train ▶."""
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area(key="pasted_corpus").input(corpus).run()
    tiny_settings(app)
    set_slider(app, "Epochs", 1)
    app.button(key="start_training").click().run()


# --- words ----------------------------------------------------------------------------------
def test_shape_line_names_the_cell_and_a_dropout_after_every_layer(pretrained):
    assert model_page.shape_line(pretrained.config, len(pretrained.vocab)) == (
        "Embedding(32) → LSTM(128) → Dropout(0.2) → LSTM(128) → Dropout(0.2) → Dense(27) + softmax")
    gru = ModelConfig(vocab_size=10, embedding_dim=8, hidden_size=16, num_layers=3, dropout=0.1, cell="gru")
    assert model_page.shape_line(gru, 10) == ("Embedding(8) → GRU(16) → Dropout(0.1) → GRU(16) → Dropout(0.1) → "
                                              "GRU(16) → Dropout(0.1) → Dense(10) + softmax")
    rnn = ModelConfig(vocab_size=5, embedding_dim=4, hidden_size=8, num_layers=1, dropout=0.0, cell="rnn")
    assert model_page.shape_line(rnn, 5) == "Embedding(4) → RNN(8) → Dense(5) + softmax"


def test_one_of_a_thing_is_singular(monkeypatch):
    assert train_page.plural(1, "epoch") == "1 epoch"
    assert train_page.plural(2.5, "epoch") == "2.5 epochs"
    monkeypatch.setattr(train_page.state, "MAX_TRAINERS", 1)
    assert train_page.waiting_message().startswith("Waiting for a free trainer: 1 person is training on")
    monkeypatch.setattr(train_page.state, "MAX_TRAINERS", 3)
    assert train_page.waiting_message().startswith("Waiting for a free trainer: 3 people are training on")


# --- the Train page -------------------------------------------------------------------------
def test_an_empty_txt_upload_says_so(app):
    visit(app, "train")
    app.radio(key="corpus_source").set_value("upload").run()
    app.file_uploader[0].set_value(("empty.txt", b"", "text/plain")).run()
    assert not app.exception
    assert "empty.txt is empty" in app.error[0].value
    app.file_uploader[0].set_value(("blank.txt", b" \n\n ", "text/plain")).run()
    assert "blank.txt is empty" in app.error[0].value
    assert app.button(key="start_training").disabled


def test_a_run_that_stops_early_fills_the_bar_and_says_why(app):
    """Random letters: nothing to learn beyond their frequencies, so validation loss soon stops
    improving and early stopping (patience 10) ends the run long before 300 epochs."""
    rng = random.Random(0)
    text = "".join(rng.choice("abcd\n") for _ in range(1500)) + "\n"
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area(key="pasted_corpus").input(text).run()
    tiny_settings(app)
    set_slider(app, "Epochs", 300)
    app.button(key="start_training").click().run()
    assert not app.exception
    (bar,) = app.get("progress")
    assert bar.proto.value == 100
    epochs = app.session_state["session_model"].baby.training_summary["epochs"]
    assert epochs < 300
    assert bar.proto.text.startswith(f"Stopped early at epoch {epochs:.0f}: validation loss stopped improving")
    assert "stopped early because validation loss stopped improving" in app.success[0].value
    assert "is now the active model" in app.success[0].value


def test_a_trained_model_comes_with_its_download_and_the_warning_that_a_reload_loses_it(app):
    train_one_tiny_epoch(app)
    assert not app.exception
    assert app.success[0].value.startswith("Done: **your model (1 epoch on pasted text)**")
    (bar,) = app.get("progress")
    assert bar.proto.value == 100 and bar.proto.text.startswith("Trained 1 epoch")
    assert len(app.get("download_button")) == 1
    assert any("Download it to keep it" in c.value for c in app.caption)
    visit(app, "model")
    assert len(app.get("download_button")) == 1
    assert any("Download it to keep it" in c.value for c in app.caption)
    app.radio[0].set_value("pretrained").run()  # the pretrained model needs no warning
    assert not any("Download it to keep it" in c.value for c in app.caption)
    visit(app, "train")  # and the Train page no longer calls it the active model
    assert "the pretrained model is active" in app.success[0].value


def test_keep_training_trains_the_same_model_on_and_its_epochs_count_on(app):
    """Train 1 epoch, then Keep training ▶ for 2 more: one model of 3 epochs, its shape kept
    although the sliders changed, the bar counting on, the samples one log from epoch 0."""
    corpus = "me want cookie\nme love mommy\nme see doggy\n" * 20
    visit(app, "train")
    assert not [b for b in app.button if b.key == "keep_training"]  # nothing of one's own to keep training
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area(key="pasted_corpus").input(corpus).run()
    tiny_settings(app)
    set_slider(app, "Epochs", 1)
    app.button(key="start_training").click().run()
    first = app.session_state["session_model"].baby
    set_slider(app, "Epochs", 2)
    set_slider(app, "Hidden units per layer", 16)  # a new model's shape: Keep training ignores it
    app.button(key="keep_training").click().run()
    assert not app.exception
    assert app.success[0].value.startswith("Done: **your model (3 epochs on pasted text)**")
    baby = app.session_state["session_model"].baby
    assert baby is not first and baby.config == first.config
    assert [e for e, _ in baby.training_summary["val_curve"]] == [1.0, 2.0, 3.0]
    (bar,) = app.get("progress")
    assert bar.proto.value == 100 and bar.proto.text.startswith("Trained 2 more epochs")
    assert [epoch for epoch, _ in app.session_state["train_watch"].samples][0] == 0.0
    assert first.training_summary["epochs"] == 1.0  # the copy trained, not the model the player reads


def test_keep_training_on_a_text_with_new_characters_says_so_and_keeps_the_model(app):
    train_one_tiny_epoch(app)
    assert "Not watching y after “me see dogg”: this text has no “s”, “d”, “g”." in [c.value for c in app.caption]
    model = app.session_state["session_model"]
    app.text_area(key="pasted_corpus").input("me want café\nme love mommy\n" * 20).run()
    app.button(key="keep_training").click().run()
    assert not app.exception
    assert app.error[0].value == ("Can't keep training on this text: your model has never seen 'f', 'é'. "
                                  "Train a new model on it with Train ▶.")
    assert app.session_state["session_model"] is model


def test_the_train_title_names_the_cell_chosen(app):
    visit(app, "train")
    assert app.title[0].value == "Train your own baby LSTM"
    app.radio(key="train_cell").set_value("gru").run()
    assert app.title[0].value == "Train your own baby GRU"
    app.radio(key="train_cell").set_value("rnn").run()
    assert app.title[0].value == "Train your own baby simple RNN"


def test_a_train_seed_out_of_range_is_named_not_silently_replaced(app):
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area(key="pasted_corpus").input("me want cookie\nme love mommy\n" * 20).run()
    app.number_input(key="train_seed").set_value(-1).run()
    app.button(key="start_training").click().run()
    assert not app.exception
    assert app.error[0].value == "Can't train: seed must be a whole number from 0 to 2\\*\\*64 - 1, got -1."  # Markdown source


def test_train_settings_survive_a_visit_to_another_page(app):
    visit(app, "train")
    set_slider(app, "Epochs", 7)
    set_slider(app, "Hidden units per layer", 32)
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area(key="pasted_corpus").input("me see doggy\n" * 30).run()
    visit(app, "generate")
    visit(app, "train")
    assert app.slider[0].value == 7
    assert [s.value for s in app.select_slider if s.label.startswith("Hidden")] == [32]
    assert app.radio(key="corpus_source").value == "paste"
    assert app.text_area(key="pasted_corpus").value == "me see doggy\n" * 30


# --- the Model page -------------------------------------------------------------------------
def test_opening_the_same_model_again_after_switching_away_makes_it_active_again(app):
    """Switch to pretrained, then press "Use this model" again on the same file: the radio and
    the heading agree that the uploaded model is active (the radio used to stay on pretrained)."""
    baby = BabyLanguageModel("me want cookie\nme love mommy\n" * 20, hidden_size=8, num_layers=1)
    baby.build_model(seed=1)
    visit(app, "model")
    app.file_uploader[0].set_value(("tiny.safetensors", to_bytes(baby.model, baby.vocab, {}),
                                    "application/octet-stream")).run()
    app.button(key="use_upload").click().run()
    assert app.radio[0].value == "session" and "Uploaded model (tiny.safetensors)" in app.subheader[0].value
    for _ in range(2):
        app.radio[0].set_value("pretrained").run()
        assert "Pretrained" in app.subheader[0].value
        app.button(key="use_upload").click().run()
        assert not app.exception
        assert app.radio[0].value == "session"
        assert "Uploaded model (tiny.safetensors)" in app.subheader[0].value


def test_an_uploaded_corpus_survives_a_visit_to_another_page_until_it_is_removed(app):
    visit(app, "train")
    app.radio(key="corpus_source").set_value("upload").run()
    corpus = "me want cookie\nme love mommy\n" * 20
    app.file_uploader[0].set_value(("class.txt", corpus.encode(), "text/plain")).run()
    assert any(f"{len(corpus):,} characters" in c.value for c in app.caption)
    visit(app, "generate")
    visit(app, "train")
    assert not app.exception and not app.info
    assert any("Using **class.txt**, uploaded earlier" in c.value for c in app.caption)
    assert not app.button(key="start_training").disabled
    other = "me see doggy\n" * 30
    app.file_uploader[0].set_value(("other.txt", other.encode(), "text/plain")).run()  # changes their mind
    assert any(f"{len(other):,} characters" in c.value for c in app.caption)
    app.file_uploader[0].set_value(None).run()  # and removes it: nothing stands in for it
    assert "Choose a text file to train on." in app.info[0].value
    assert app.button(key="start_training").disabled


def test_an_empty_text_for_a_keras_model_says_it_is_empty(app):
    """Not "a Keras file has no vocabulary: also upload the text", when the text was uploaded."""
    visit(app, "model")
    app.file_uploader[0].set_value(("seed.keras", b"PK\x03\x04 not read yet", "application/octet-stream")).run()
    app.file_uploader[1].set_value(("corpus.txt", b"\n", "text/plain")).run()
    assert not app.exception
    assert "corpus.txt is empty" in app.error[0].value
    assert not [b for b in app.button if b.key == "use_upload"]


def test_opening_a_model_warns_before_it_replaces_a_trained_one(app):
    """A student who trained a model and did not download it is told, before "Use this model",
    that opening another replaces it (it vanished without a word)."""
    train_one_tiny_epoch(app)
    visit(app, "model")
    assert not app.warning
    other = BabyLanguageModel("me want cookie\nme love mommy\n" * 20, hidden_size=8, num_layers=1)
    other.build_model(seed=2)
    app.file_uploader[0].set_value(("other.safetensors", to_bytes(other.model, other.vocab, {}),
                                    "application/octet-stream")).run()
    assert app.warning[0].value.startswith("Opening this model replaces **your model (1 epoch on pasted text)**")
    assert len(app.get("download_button")) == 1  # the way to keep it is on the same page


def upload_model(app, baby, name="opened.safetensors") -> None:
    visit(app, "model")
    app.file_uploader[0].set_value((name, to_bytes(baby.model, baby.vocab, baby.training_summary),
                                    "application/octet-stream")).run()
    app.button(key="use_upload").click().run()


def test_keep_training_an_opened_model_and_one_too_big_for_a_step(app):
    """A model opened on the Model page has no history here: Keep training counts on from its
    checkpoint's summary. One bigger than the sliders allow is refused in one line when its
    step would not fit in memory (it was a traceback from the first step)."""
    from babylm.model import CharLSTM, ModelConfig

    corpus = "me want cookie\nme love mommy\n" * 20
    small = BabyLanguageModel(corpus, hidden_size=8, num_layers=1, embedding_dim=4)
    small.build_model(seed=3)
    small.training_summary = {"epochs": 2.0, "steps": 4, "seconds": 1.0}
    upload_model(app, small)
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area(key="pasted_corpus").input(corpus).run()
    set_slider(app, "Epochs", 1)
    app.button(key="keep_training").click().run()
    assert not app.exception
    assert app.success[0].value.startswith("Done: **your model (3 epochs on pasted text)**")

    big = BabyLanguageModel(corpus, hidden_size=8, num_layers=1)
    big.model = CharLSTM(ModelConfig(vocab_size=len(big.vocab), embedding_dim=32, hidden_size=1024,
                                     num_layers=2, cell="rnn"))
    upload_model(app, big, "big.safetensors")
    visit(app, "train")
    set_slider(app, "Batch size", 64)
    set_slider(app, "Chunk length", 256)
    app.button(key="keep_training").click().run()
    assert not app.exception
    assert app.error[0].value.startswith("Can't train:") and "per training step" in app.error[0].value


def test_the_train_title_keeps_the_cell_after_a_visit_to_another_page(app):
    visit(app, "train")
    app.radio(key="train_cell").set_value("gru").run()
    visit(app, "model")
    visit(app, "train")
    assert app.title[0].value == "Train your own baby GRU"


def test_what_a_resumed_run_that_kept_its_weights_says():
    from babylm.train import Progress

    def record(epoch, val=None, best=None):
        return Progress(epoch=epoch, step=1, loss=1.0, val_loss=val, seconds=1.0, best_val_loss=best)

    assert train_page.resume_note([record(2.3), record(2.6)]).startswith("The run stopped before its first epoch ended")
    assert train_page.resume_note([record(3.0, 1.5, 1.4), record(4.0, 1.6, 1.4)]).startswith("No epoch of this run")
    start = train_page.Start(epoch=10.0, seconds=30.0)
    text = train_page.progress_text(Progress(12.5, 9, 1.2, None, 35.0, 1.1), 5, start)
    assert text.startswith("Epoch 12.5 of 15 (2.5 of 5 more epochs) · loss 1.200") and "5 s," in text
    assert train_page.ending_text([record(15.0, 1.0, 1.0)], 5, start)[0] == "finished"
    assert train_page.ending_text([record(12.0, 1.0, 1.0)], 5, start)[0] == "stopped early"


def test_keep_training_that_changes_nothing_leaves_the_model_as_it_was(app, monkeypatch):
    """A resumed run with no epoch better on the held-out text puts the weights back: the model,
    its label and its log stay as they were, and the page says why (the label counted the
    thrown-away epochs). Also: moved size sliders are named as not applying."""
    import babylm.train

    train_one_tiny_epoch(app)
    before = app.session_state["session_model"]
    samples = list(app.session_state["train_watch"].samples)
    monkeypatch.setattr(babylm.train, "stateful_loss", lambda model, ids, **kw: 1.0)  # never better
    set_slider(app, "Epochs", 2)
    set_slider(app, "Hidden units per layer", 64)
    app.button(key="keep_training").click().run()
    assert not app.exception
    assert app.session_state["session_model"] is before
    assert app.success[0].value.startswith("Done: **your model (1 epoch on pasted text)**")
    assert any(i.value.startswith("No epoch of this run did better on the held-out text") for i in app.info)
    assert any(i.value.startswith("Keep training keeps your model's own size: 1 LSTM layer of 8 units")
               for i in app.info)
    assert app.session_state["train_watch"].samples == samples
