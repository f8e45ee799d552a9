"""Hostile babylm checkpoints and names: a junk description is cleaned or refused with a message
naming the field, weights are never converted silently, and the Model page survives all of it and
shows vocabularies and file names literally (no Markdown, no bidi reversal)."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from streamlit.testing.v1 import AppTest

from babylm import BabyLanguageModel, CharLSTM, ModelConfig, Vocab
from babylm.checkpoint import CheckpointNotice, from_bytes, to_bytes
from babylm.cli import main
from babylm.safe_text import md, plain, visible_char
from babylm.summary import clean_summary

VOCAB = Vocab(tuple("ab`*\u202e_\n "))
JUNK = {"epochs": "many", "steps": 1.5, "seconds": -5, "best_val_loss": "abc", "final_loss": float("nan"),
        "config": [1, 2], "val_curve": [[1, "x"]], "imported_from": "x" * 500, "extra": {"deep": [1]},
        "note": "kept: a short plain value"}


@pytest.fixture
def model() -> CharLSTM:
    torch.manual_seed(0)
    return CharLSTM(ModelConfig(vocab_size=len(VOCAB), embedding_dim=4, hidden_size=6, num_layers=1)).eval()


def rewrite(data: bytes, edit_meta=None, edit_state=None) -> bytes:
    header_len = int.from_bytes(data[:8], "little")
    meta = json.loads(json.loads(data[8: 8 + header_len])["__metadata__"]["babylm"])
    state = st_load(data)
    if edit_meta:
        edit_meta(meta)
    if edit_state:
        edit_state(state)
    return st_save(state, metadata={"babylm": json.dumps(meta)})


# --- the description ---------------------------------------------------------------------------
def test_a_junk_training_summary_is_dropped_field_by_field_with_notices(model):
    _, _, meta = from_bytes(to_bytes(model, VOCAB, JUNK))
    assert meta["training"] == {"note": "kept: a short plain value"}
    dropped = {notice.split()[1] for notice in meta["notices"]}
    assert dropped == {f"training.{k}" for k in JUNK if k != "note"}
    assert all("\n" not in n and len(n) < 200 for n in meta["notices"])


def test_a_good_summary_is_kept_whole():
    good = {"epochs": 3.5, "steps": 40, "seconds": 1.25, "best_val_loss": 1.2, "final_loss": None,
            "config": {"epochs": 5, "learning_rate": 0.01}, "val_curve": [[1.0, 2.0], [2, 1.5]],
            "imported_from": "seed.keras", "keras_version": "3.15.1"}
    clean, notices = clean_summary(good)
    assert notices == [] and clean == dict(good, val_curve=[[1.0, 2.0], [2.0, 1.5]])


def test_the_api_warns_and_the_cli_says_note(model, tmp_path, capsys):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(to_bytes(model, VOCAB, {"best_val_loss": "abc"}))
    with pytest.warns(CheckpointNotice, match="dropped training.best_val_loss"):
        BabyLanguageModel.load(path)
    assert main(["info", str(path)]) == 0
    assert "babylm: note: dropped training.best_val_loss" in capsys.readouterr().err


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.update(extra="x"), "fields babylm never writes .'extra'."),
    (lambda m: m.update(sha256=5), "sha256 is missing"),
    (lambda m: m.pop("sha256"), "sha256 is missing"),
    (lambda m: m.update(vocab="ab`*"), "vocabulary is not a list"),
    (lambda m: m.update(config=[1]), "config is not a mapping"),
    (lambda m: m["config"].update(seq_length=True), "seq_length must be a whole number"),
    (lambda m: m["config"].update(hidden_size=2**40), "hidden_size must be 1..1024"),
], ids=["extra-field", "sha-type", "sha-missing", "vocab-string", "config-list", "bool-length", "huge"])
def test_a_bad_description_is_refused_naming_the_field(model, edit, match):
    with pytest.raises(ValueError, match=match) as err:
        from_bytes(rewrite(to_bytes(model, VOCAB), edit))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("dtype", [torch.int64, torch.float64, torch.bool])
def test_weights_of_another_dtype_are_refused_not_converted(model, dtype):
    def cast(state):
        state["head.bias"] = state["head.bias"].to(dtype)
    # Keep the checksum honest, so only the dtype check can refuse it.
    from babylm.checkpoint import weights_digest

    data = rewrite(to_bytes(model, VOCAB), edit_state=cast)
    data = rewrite(data, lambda m: m.update(sha256=weights_digest(st_load(data))))
    with pytest.raises(ValueError, match=f"head.bias is {str(dtype).removeprefix('torch.')}: babylm writes float32"):
        from_bytes(data)


# --- showing text literally ----------------------------------------------------------------------
def test_visible_characters_and_plain_names():
    assert [visible_char(ch) for ch in " \n\u202e\u200bé`"] == ["␣", "⏎", "U+202E", "U+200B", "é", "`"]
    assert plain("evil\u202egnp.safetensors") == "evilU+202Egnp.safetensors"
    assert md("**bold** [link](x) `code` :red[hi] $x$") == r"\*\*bold\*\* \[link\](x) \`code\` \:red\[hi\] \$x\$"
    assert len(plain("x" * 500)) == 80


PAGES = """
import streamlit as st
from babylm.app import model_page
model_page.page()
"""


def test_the_model_page_survives_junk_and_shows_names_and_vocabulary_literally(model):
    at = AppTest.from_string(PAGES, default_timeout=60).run()
    name = "**big**\u202egnp.safetensors"
    at.file_uploader[0].set_value((name, to_bytes(model, VOCAB, JUNK), "application/octet-stream"))
    at.run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert r"\*\*big\*\*U+202Egnp.safetensors" in at.subheader[0].value
    assert any(r"Dropped training.best\_val\_loss" in info.value for info in at.info)
    (vocab,) = [c.value for c in at.code]
    assert vocab == "a b ` * U+202E _ ⏎ ␣"
    rendered = [e.value for e in (*at.markdown, *at.subheader, *at.caption, *at.info, *at.code)]
    assert not any("\u202e" in text for text in rendered)
    at.run()  # and again: the notices were shown once, the page still stands
    assert not at.exception and not at.info


def test_the_model_page_shows_a_checkpoint_with_no_summary(model):
    at = AppTest.from_string(PAGES, default_timeout=60).run()
    at.file_uploader[0].set_value(("bare.safetensors", to_bytes(model, VOCAB, None), "application/octet-stream"))
    at.run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][3] == "—"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_bytes(to_bytes(model, VOCAB, None))  # nothing to drop, nothing said


def test_loading_a_keras_file_as_a_checkpoint_says_how_to_import_it():
    from hostile_files import keras_fixtures

    for name in ("seed_rhymes.keras", "seed_rhymes.h5"):
        with pytest.raises(ValueError, match=r"this is a Keras model; import it with BabyLanguageModel.from_keras"):
            BabyLanguageModel.load(keras_fixtures() / name)


def test_a_zip_that_is_neither_is_not_called_a_pickle(tmp_path):
    import zipfile

    path = tmp_path / "notes.safetensors"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match="a zip archive .neither a babylm nor a Keras model."):
        BabyLanguageModel.load(path)
