"""Server limits: read from BABYLM_* variables with documented defaults; the memory budget for
sessions' own models refuses a model that would pass it, with one clear message, and frees a
session's share when the session is dropped."""

from __future__ import annotations

import gc
import weakref

import pytest
from streamlit.testing.v1 import AppTest

from babylm import BabyLanguageModel
from babylm.app import session_budget
from babylm.app.limits import Limits
from babylm.app.session_budget import Budget, model_cost_mb
from babylm.checkpoint import to_bytes

from test_app import CORPUS, PAGES, visit


def test_limits_default_and_come_from_the_environment():
    assert Limits.from_env({}) == Limits(max_trainers=2, session_models_mb=2048, max_upload_mb=20,
                                         max_corpus_upload_mb=2)
    limits = Limits.from_env({"BABYLM_MAX_TRAINERS": "4", "BABYLM_SESSION_MODELS_MB": "512", "OTHER": "x"})
    assert limits.max_trainers == 4 and limits.session_models_mb == 512 and limits.max_upload_mb == 20


@pytest.mark.parametrize("value, message", [("two", "whole number"), ("0", "at least 1"), ("-3", "at least 1")])
def test_a_bad_limit_names_its_variable(value, message):
    with pytest.raises(ValueError, match=f"BABYLM_MAX_UPLOAD_MB must be .*{message}"):
        Limits.from_env({"BABYLM_MAX_UPLOAD_MB": value})


def test_budget_replaces_a_sessions_model_refuses_past_the_limit_and_releases():
    budget = Budget(100)
    assert budget.reserve(1, 60) and budget.held_mb() == 60
    assert budget.reserve(1, 90)  # the session's new model replaces its old one
    assert not budget.reserve(2, 20) and budget.held_mb() == 90
    budget.release(1)
    assert budget.reserve(2, 20) and budget.held_mb() == 20


def test_a_dropped_session_releases_its_share():
    budget = Budget(100)
    token = session_budget._Token()
    weakref.finalize(token, budget.release, id(token))
    assert budget.reserve(id(token), 50)
    del token
    gc.collect()
    assert budget.held_mb() == 0


def test_model_cost_follows_the_measured_figures():
    default = BabyLanguageModel.pretrained().model.num_parameters()  # the 2 x 128 LSTM
    assert 20 <= model_cost_mb(default) <= 22  # bench/results/session_memory.json: ~21 MB


@pytest.fixture
def full_server():
    """The server's budget with no room left, as when a school's sessions have used it up."""
    shared = session_budget.budget()
    shared.reserve(-1, shared.limit_mb - shared.held_mb())
    yield shared
    shared.release(-1)


def test_training_is_refused_when_the_budget_is_full(full_server):
    at = AppTest.from_string(PAGES, default_timeout=60).run()
    visit(at, "train")
    at.radio(key="corpus_source").set_value("paste").run()
    at.text_area[0].input(CORPUS).run()
    at.button[0].click().run()  # Train
    assert not at.exception
    assert "as many people's own models as its memory allows" in at.error[0].value
    assert "session_model" not in at.session_state


def test_an_upload_is_refused_when_the_budget_is_full_and_the_model_stays(full_server):
    baby = BabyLanguageModel(CORPUS, hidden_size=16, num_layers=1)
    baby.build_model(seed=3)
    at = AppTest.from_string(PAGES, default_timeout=60).run()
    visit(at, "model")
    at.file_uploader[0].set_value(("tiny.safetensors", to_bytes(baby.model, baby.vocab, {}), "application/octet-stream"))
    at.run()
    at.button[0].click().run()
    assert not at.exception
    assert "Can't open tiny.safetensors now" in at.error[0].value
    assert "session_model" not in at.session_state and "Pretrained" in at.subheader[0].value
