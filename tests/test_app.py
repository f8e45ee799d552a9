"""The Streamlit pages, run headless with streamlit's AppTest (no browser).

The player itself (Play, Step, the counter) runs in the browser and is tested in
test_browser.py; here we check what the server sends it, and every page's own widgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from babylm import BabyLanguageModel, wire
from babylm.checkpoint import to_bytes
from hostile_files import keras_fixtures

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
# One script that can show any page, so one AppTest session can visit several of them.
PAGES = """
import streamlit as st
from babylm.app import generate_page, model_page, train_page
{"generate": generate_page.page, "train": train_page.page, "model": model_page.page}[
    st.session_state.get("_page", "generate")]()
"""
CORPUS = "me want cookie\nme love mommy\nme see doggy\n" * 12


def visit(at: AppTest, page: str) -> AppTest:
    at.session_state["_page"] = page
    return at.run()


def player_args(at: AppTest) -> dict:
    """The player's args: JSON ones (view and command are sent as JSON text, parsed here as the
    player's protocol.js does), plus `payload`, the decoded wire buffer (a bytes arg)."""
    (player,) = [c for c in at.get("component_instance") if "babylm_player" in c.proto.component_name]
    args = json.loads(player.proto.json_args)
    for name in ("view", "command", "compare"):
        if isinstance(args.get(name), str):
            args[name] = json.loads(args[name])
    (trace,) = [a.bytes for a in player.proto.special_args if a.key == "trace"]
    args["payload"] = wire.decode(trace)
    args["payload"]["text_inputs"] = [args["payload"]["itos"][i] for i in args["payload"]["inputs"]]
    args["payload"]["text_outputs"] = [args["payload"]["itos"][i] for i in args["payload"]["outputs"]]
    return args


def heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#"))


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_string(PAGES, default_timeout=60).run()


def test_streamlit_app_opens_on_generate_with_the_pretrained_model():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert heading(at) == "#### Watch a baby LSTM write"
    assert "pretrained" in at.caption[0].value
    args = player_args(at)
    payload = args["payload"]
    assert payload["steps"] == len("me want ") + 60 - 1
    assert "".join(payload["text_inputs"][:8]) == "me want "
    assert [p["name"] for p in payload["panels"]] == ["h", "c", "i", "f", "g", "o"]
    assert args["play"] == 0 and args["view"]["t"] == 0


@pytest.mark.parametrize("page, title", [("generate", "Watch a baby LSTM write"),
                                         ("train", "Train your own baby LSTM"), ("model", "Model")])
def test_every_page_loads(app, page, title):
    visit(app, page)
    assert not app.exception
    assert (app.title[0].value if app.title else heading(app)).endswith(title)


def test_generate_with_new_settings_sends_a_new_generation_and_autoplays(app):
    first = player_args(app)
    app.sidebar.text_input[0].set_value("me love ")
    app.sidebar.slider[0].set_value(20)
    app.sidebar.button[0].click().run()
    assert not app.exception and not app.error
    second = player_args(app)
    assert second["id"] != first["id"]
    assert second["play"] == first["play"] + 1  # a new play counter: the player starts playing
    assert second["payload"]["steps"] == len("me love ") + 20 - 1
    assert "".join(second["payload"]["text_inputs"][:8]) == "me love "
    # Generate again with the same settings: the same trace, replayed from the first step.
    app.sidebar.button[0].click().run()
    third = player_args(app)
    assert third["id"] == second["id"] and third["play"] == second["play"] + 1


def test_a_bad_prompt_is_one_clear_error_and_the_last_generation_stays(app):
    before = player_args(app)
    app.sidebar.text_input[0].set_value("me want ZOO")
    app.sidebar.button[0].click().run()
    assert not app.exception
    (error,) = app.error
    assert "never seen" in error.value and "Z" in error.value and "O" in error.value
    assert player_args(app)["id"] == before["id"]


def test_window_mode_is_sent_to_the_player(app):
    app.sidebar.radio[0].set_value("window")
    app.sidebar.button[0].click().run()
    payload = player_args(app)["payload"]
    assert payload["mode"] == "window" and payload["seq_length"] == 15


def test_a_tiny_training_run_becomes_the_sessions_model_and_leaves_pretrained_alone(app):
    pretrained_before = player_args(app)["payload"]["text_outputs"]
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area[0].input(CORPUS).run()
    app.slider[0].set_value(2).run()  # epochs
    app.button[0].click().run()  # Train
    assert not app.exception
    assert "your model" in app.success[0].value
    assert app.session_state["session_model"].source == "trained"
    visit(app, "generate")
    assert "your model" in app.caption[0].value
    # The session's model drives Generate; switching back gives the pretrained model's text again.
    visit(app, "model")
    app.radio[0].set_value("pretrained").run()
    visit(app, "generate")
    assert "pretrained" in app.caption[0].value
    assert player_args(app)["payload"]["text_outputs"] == pretrained_before


def test_training_refuses_a_bad_corpus_with_one_line(app):
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area[0].input("aaaaaaaaaaaaaaaaaaaaaaaaaaaa").run()
    assert not app.exception
    assert "one distinct character" in app.error[0].value
    assert app.button[0].disabled  # Train


def test_uploading_a_bad_file_shows_an_error_and_keeps_the_model(app):
    visit(app, "model")
    app.file_uploader[0].set_value(("broken.safetensors", b"\x80\x04 this is a pickle", "application/octet-stream"))
    app.run()
    app.button[0].click().run()  # Use this model
    assert not app.exception
    assert "Can't open broken.safetensors" in app.error[0].value
    assert "session_model" not in app.session_state
    assert "Pretrained" in app.subheader[0].value


def test_uploading_a_checkpoint_makes_it_the_active_model(app, tmp_path):
    baby = BabyLanguageModel(CORPUS, hidden_size=16, num_layers=1)
    baby.build_model(seed=3)
    data = to_bytes(baby.model, baby.vocab, {"note": "made in a test"})
    visit(app, "model")
    app.file_uploader[0].set_value(("tiny.safetensors", data, "application/octet-stream"))
    app.run()
    app.button[0].click().run()
    assert not app.exception and not app.error
    assert app.session_state["session_model"].baby.config.hidden_size == 16
    assert "tiny.safetensors" in app.subheader[0].value
    visit(app, "generate")
    assert "1 LSTM layer × 16 units" in app.caption[0].value


def test_keras_upload_needs_its_training_text(app):
    keras = keras_fixtures() / "seed_rhymes.keras"  # fails, not skips, under CI=true
    visit(app, "model")
    app.file_uploader[0].set_value(("seed.keras", keras.read_bytes(), "application/octet-stream"))
    app.run()
    app.button[0].click().run()
    assert "also paste or upload the text" in app.error[0].value
    corpus = keras.with_name("seed_rhymes.corpus.txt").read_bytes()
    app.file_uploader[1].set_value(("corpus.txt", corpus, "text/plain"))
    app.run()
    app.button[0].click().run()
    assert not app.exception and not app.error
    assert app.session_state["session_model"].source == "keras"


# --- links and the precomputed first page ----------------------------------------------------
def test_a_link_opens_its_settings_and_view():
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in dict(prompt="me love ", length="20", temperature="0", seed="3", step="9",
                           gates="1", unit="2:90").items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.info
    args = player_args(at)
    assert args["view"] == {"t": 8, "gates": True, "unit": [1, 89], "order": "active"}
    assert args["payload"]["settings"]["prompt"] == "me love " and args["payload"]["steps"] == 8 + 20 - 1
    assert at.sidebar.text_input[0].value == "me love "  # the form shows the link's settings


def test_bad_link_values_give_one_notice_each_and_the_defaults():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(length="lots", unit="7:7", step="0")
    at.run()
    assert not at.exception
    notices = [n.value for n in at.info]
    assert len(notices) == 3 and all(n.startswith("Ignored") for n in notices)
    assert player_args(at)["payload"]["steps"] == 8 + 60 - 1


def test_a_link_notice_shows_the_links_text_literally():
    """A notice quotes the bad value: Markdown in it stays text, not a link in the app's voice."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(seed="[Sign in](https://example.com)")
    at.run()
    assert not at.exception
    (notice,) = [n.value for n in at.info if n.value.startswith("Ignored seed")]
    assert "\\[Sign in\\](https" in notice, notice  # escaped: no link


def test_a_link_beyond_the_apps_limits_names_them_and_keeps_the_rest():
    """length=5000 is over the page's 1,000 (not the core's 10,000) and top-k 100 over the
    model's 27 characters: each is named with the range that holds here, and only it goes back;
    the link's temperature stays (everything used to fall back to the defaults)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(prompt="me see ", length="5000", temperature="1", top_k="100", seed="4")
    at.run()
    assert not at.exception
    notices = [n.value for n in at.info]
    assert "Ignored length='5000' in the link: must be a whole number from 1 to 1,000." in notices
    assert ("These settings don't fit this model (top\\_k must be 0 (all characters) to 27, this model's number of "
            "characters; got 100), so top-k is back to 0." in notices), notices  # Markdown source: top_k escaped
    settings = player_args(at)["payload"]["settings"]
    assert (settings["prompt"], settings["temperature"], settings["top_k"], settings["seed"]) == ("me see ", "1", "0", "4")


def test_the_shipped_default_generation_is_current(pretrained):
    """assets/default-generation.* is what the app would compute now (else: python -m babylm.app.warm)."""
    from babylm.app import generate_page, warm
    from babylm.app.state import cache_key
    from babylm.settings import MAX_SEED
    from babylm.trace import trace_generation

    data, meta = warm.default_generation()
    key = "pretrained:" + cache_key(pretrained)
    assert meta["model_key"] == key, "the app's model key changed: rebuild with python -m babylm.app.warm"
    trace = trace_generation(pretrained.model, pretrained.vocab, warm.opening())
    scales = wire.model_scales(pretrained.model, pretrained.vocab, pretrained.text)
    assert data == wire.encode(trace, scales, wire.trace_id(key, trace))
    assert meta["id"] == wire.trace_id(key, trace) and meta["settings"] == warm.opening().to_query()
    assert warm.opening().temperature == 0 and trace.text.startswith("me want cookie")
    assert generate_page.MAX_SEED == MAX_SEED


def test_train_a_gru_then_change_mind_to_a_simple_rnn(app):
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area[0].input(CORPUS).run()
    app.slider[0].set_value(1).run()  # epochs
    app.radio(key="train_cell").set_value("gru").run()
    app.button[0].click().run()  # Train
    assert not app.exception
    model = app.session_state["session_model"].baby
    assert model.config.cell == "gru" and model.model.internal_names == ("h", "r", "z", "n")
    app.radio(key="train_cell").set_value("rnn").run()
    app.button[0].click().run()
    assert app.session_state["session_model"].baby.config.cell == "rnn"
    visit(app, "generate")  # the player shows whatever the cell has
    assert not app.exception
    assert [p["name"] for p in player_args(app)["payload"]["panels"]] == ["h"]


def test_a_generation_takes_its_turn_on_the_server(pretrained, monkeypatch):
    """Generations run one at a time (babylm/app/compute.py): 30 threads stepping NumPy at once
    spent as much CPU handing the GIL over as computing (bench/app_speed.py, the crowd)."""
    import babylm.trace
    from babylm.app import compute, generate_page
    from babylm.settings import GenerationSettings

    real, held = babylm.trace.trace_generation, []

    def watched(*args, **kwargs):
        held.append(compute.turn()._is_owned())
        return real(*args, **kwargs)

    monkeypatch.setattr(babylm.trace, "trace_generation", watched)
    generate_page.generation("turn-test", GenerationSettings(prompt="me ", length=5, seed=12345), pretrained)
    assert held == [True]
