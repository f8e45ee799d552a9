"""Importing the seed's Keras model, checked against probabilities Keras itself computed.

The fixtures were saved by real Keras 3 from the seed's architecture; expected.json holds Keras'
softmax for 15-id windows. They live in /work/shared, next to the repo, never in the package.
"""

import io
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from babylm import BabyLanguageModel
from babylm.cli import main
from babylm.generate import read_window
from babylm.keras_import import from_keras, from_keras_bytes
from hostile_files import keras_fixtures

FIXTURES = keras_fixtures()  # ../shared/fixtures/keras: skipped locally if missing, fails under CI=true

KERAS, H5 = FIXTURES / "seed_rhymes.keras", FIXTURES / "seed_rhymes.h5"
TEXT = (FIXTURES / "seed_rhymes.corpus.txt").read_text(encoding="utf-8")
EXPECTED = json.loads((FIXTURES / "seed_rhymes.expected.json").read_text(encoding="utf-8"))
ATOL = 1e-5


@torch.no_grad()
def step_probs(baby: BabyLanguageModel, ids: list[int]) -> np.ndarray:
    """Read the window one character at a time with model.step, from a zero state."""
    logits, _ = read_window(baby.model, ids)  # (1, V)
    return torch.softmax(logits[0].double(), dim=-1).numpy()


@torch.no_grad()
def assert_matches_keras(baby: BabyLanguageModel) -> None:
    """Both paths through the model: model.step one character at a time from a zero state, and
    nn.LSTM over all windows at once keeping the last step (as Keras' return_sequences=False)."""
    cases = EXPECTED["cases"]
    expected = np.array([case["probs"] for case in cases])  # (N, V)
    stepped = np.stack([step_probs(baby, case["window_ids"]) for case in cases])  # (N, V)
    logits, _ = baby.model(torch.tensor([case["window_ids"] for case in cases]))  # (N, T, V)
    forward = torch.softmax(logits[:, -1].double(), dim=-1).numpy()  # (N, V)
    np.testing.assert_allclose(stepped, expected, rtol=0, atol=ATOL, err_msg="model.step")
    np.testing.assert_allclose(forward, expected, rtol=0, atol=ATOL, err_msg="model forward")


def rewrite_keras(tmp_path: Path, edit) -> Path:
    """A copy of the .keras archive whose config.json has been changed by `edit(config)`."""
    out = tmp_path / "edited.keras"
    with zipfile.ZipFile(KERAS) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            dst.writestr(name, data)
    return out


def layer(config: dict, name: str) -> dict:
    return next(lay for lay in config["config"]["layers"] if lay["config"].get("name") == name)


# --- the same numbers as Keras ------------------------------------------------------------------
@pytest.mark.parametrize("path", [KERAS, H5], ids=["keras", "h5"])
def test_both_formats_reproduce_keras_probs(path):
    baby = from_keras(path, text=TEXT)
    assert baby.chars == EXPECTED["chars"]
    assert (baby.config.embedding_dim, baby.config.hidden_size, baby.config.num_layers) == (32, 128, 2)
    assert (baby.config.dropout, baby.config.seq_length) == (0.2, EXPECTED["seq_length"])
    assert not baby.model.training
    assert_matches_keras(baby)


def test_vocab_from_chars_and_classmethod():
    baby = BabyLanguageModel.from_keras(KERAS, chars=EXPECTED["chars"])
    assert baby.chars == EXPECTED["chars"] and baby.text is None
    assert_matches_keras(baby)


def test_both_formats_give_identical_weights():
    a, b = from_keras(KERAS, text=TEXT).model.state_dict(), from_keras(H5, text=TEXT).model.state_dict()
    assert all(torch.equal(a[name], b[name]) for name in a)


def test_format_is_told_by_content_not_name():
    baby = from_keras_bytes(KERAS.read_bytes(), "upload.h5", text=TEXT)
    assert_matches_keras(baby)


def test_unit_forget_bias_is_accepted(tmp_path):
    path = rewrite_keras(tmp_path, lambda c: layer(c, "lstm").update(unit_forget_bias=False))
    assert_matches_keras(from_keras(path, text=TEXT))


# --- refusals -----------------------------------------------------------------------------------
def refused(match: str, data: bytes, filename: str = "model.keras", **vocab) -> None:
    vocab = vocab or {"text": TEXT}
    with pytest.raises(ValueError, match=match) as err:
        from_keras_bytes(data, filename, **vocab)
    assert "\n" not in str(err.value)


def test_wrong_vocabulary_size_is_refused():
    refused("knows 25 characters but the text uses 24", KERAS.read_bytes(), text=TEXT.replace("I", "i"))
    refused("knows 25 characters but 3 were given", KERAS.read_bytes(), chars="abc")


def test_missing_vocabulary_is_refused():
    with pytest.raises(ValueError, match="holds no vocabulary"):
        from_keras(KERAS)


def test_non_keras_file_is_refused():
    refused("not a Keras model", TEXT.encode(), "rhymes.keras")
    refused("not a Keras model", b"")


@pytest.mark.parametrize("path", [KERAS, H5], ids=["keras", "h5"])
@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_truncated_file_is_refused(path, keep):
    data = path.read_bytes()
    refused("damaged or truncated", data[: int(len(data) * keep)], path.name)


def test_zip_without_config_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(KERAS) as src, zipfile.ZipFile(buffer, "w") as dst:
        dst.writestr("model.weights.h5", src.read("model.weights.h5"))
    refused("no config.json", buffer.getvalue())


def test_weights_only_h5_is_refused():
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_dataset("embedding/embeddings", data=np.zeros((25, 32), np.float32))
    refused("no model_config", buffer.getvalue(), "weights.h5")


def rename_class(name, new):
    return lambda c: layer(c, name).update(class_name=new)


def set_option(name, **options):
    return lambda c: layer(c, name)["config"].update(options)


def add_dense(config):
    extra = json.loads(json.dumps(layer(config, "dense")))
    extra["config"]["name"] = "dense_extra"
    config["config"]["layers"].append(extra)


def drop_layer(name):
    return lambda c: c["config"]["layers"].remove(layer(c, name))


@pytest.mark.parametrize("edit, match", [
    (rename_class("lstm_1", "GRU"), "'lstm_1' is a GRU"),
    (set_option("lstm", recurrent_activation="relu"), "recurrent_activation='relu'"),
    (set_option("lstm_1", activation="relu"), "activation='relu'"),
    (set_option("lstm", use_bias=False), "use_bias=False"),
    (set_option("lstm_1", go_backwards=True), "go_backwards=True"),
    (set_option("dense", activation="relu"), "activation='relu'"),
    (set_option("embedding", mask_zero=True), "mask_zero"),
    (set_option("lstm_1", units=64), "different sizes"),
    (lambda c: [layer(c, n)["config"].update(units=64) for n in ("lstm", "lstm_1")], "shapes"),
    (add_dense, r"Dense\(dense_extra\)"),
    (drop_layer("dense"), "the layers are"),
    (drop_layer("embedding"), "the layers are"),
    (lambda c: c.update(class_name="Functional"), "is a Functional"),
], ids=["gru", "recurrent-relu", "activation-relu", "no-bias", "backwards", "dense-relu", "mask-zero",
        "mixed-sizes", "weights-misfit", "extra-dense", "no-dense", "no-embedding", "functional"])
def test_modified_config_is_refused(tmp_path, edit, match):
    refused(match, rewrite_keras(tmp_path, edit).read_bytes())


# --- command line -------------------------------------------------------------------------------
def test_cli_import_round_trip(tmp_path, capsys):
    out = tmp_path / "imported.safetensors"
    corpus = FIXTURES / "seed_rhymes.corpus.txt"
    assert main(["import-keras", str(H5), "--text", str(corpus), "--out", str(out)]) == 0
    assert "2 LSTM layers of 128, 25 characters" in capsys.readouterr().out
    baby = BabyLanguageModel.load(out)
    assert baby.chars == EXPECTED["chars"]
    assert_matches_keras(baby)


@pytest.mark.parametrize("args", [
    ["import-keras", str(FIXTURES / "seed_rhymes.corpus.txt"), "--chars", "ab"],
    ["import-keras", str(KERAS)],
    ["import-keras", str(KERAS), "--chars", "abc"],
    ["import-keras", "no-such-model.keras", "--chars", "abc"],
], ids=["not-keras", "no-vocab", "wrong-vocab", "missing-file"])
def test_cli_bad_input_is_one_line(tmp_path, capsys, args):
    assert main([*args, "--out", str(tmp_path / "x.safetensors")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("babylm: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.safetensors").exists()
