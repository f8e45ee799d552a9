"""Checkpoints are data: a round trip reproduces the model exactly, and anything that is not a
sound babylm checkpoint is refused with a ValueError saying what is wrong, without unpickling."""

from __future__ import annotations

import json
import pickle
import re

import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from babylm import BabyLanguageModel, CharLSTM, ModelConfig, Vocab
from babylm import checkpoint
from babylm.api import PRETRAINED

VOCAB = Vocab(tuple("\n abcdefghij"))
TRAINING = {"epochs": 3.0, "best_val_loss": 1.25, "val_curve": [[1.0, 2.0], [2.0, 1.5]]}


@pytest.fixture
def small():
    torch.manual_seed(0)
    return CharLSTM(ModelConfig(vocab_size=len(VOCAB), embedding_dim=8, hidden_size=16)).eval()


@pytest.fixture
def good_bytes(small) -> bytes:
    return checkpoint.to_bytes(small, VOCAB, TRAINING)


def header_meta(data: bytes) -> dict:
    """The babylm description, read with plain json (not through the module under test)."""
    n = int.from_bytes(data[:8], "little")
    return json.loads(json.loads(data[8: 8 + n])["__metadata__"]["babylm"])


def rewrite(data: bytes, edit_meta=None, edit_state=None) -> bytes:
    """Re-write a checkpoint with edited metadata and/or weights (the checksum left as it was)."""
    meta, state = header_meta(data), st_load(data)
    if edit_meta:
        edit_meta(meta)
    if edit_state:
        edit_state(state)
    return st_save(state, metadata={"babylm": json.dumps(meta)})


def probs_of(model, text="abc\nhij ad"):
    idx = torch.tensor([VOCAB.encode(text)])
    with torch.no_grad():
        return torch.softmax(model(idx)[0], dim=-1)


# --- round trip ----------------------------------------------------------------------------------

def test_round_trip_gives_identical_weights_probabilities_and_description(small, tmp_path):
    path = checkpoint.save(tmp_path / "small.safetensors", small, VOCAB, TRAINING)
    model, vocab, meta = checkpoint.load(path)
    assert model.config == small.config
    assert vocab == VOCAB
    assert meta["training"] == TRAINING
    assert meta["format_version"] == checkpoint.FORMAT_VERSION
    assert not model.training
    reference = small.state_dict()
    assert set(model.state_dict()) == set(reference)
    assert all(torch.equal(t, reference[name]) for name, t in model.state_dict().items())
    assert torch.equal(probs_of(model), probs_of(small))
    assert not list(tmp_path.glob("*.tmp"))  # the temporary file was renamed into place


def test_file_is_plain_safetensors_with_a_json_description(good_bytes, small):
    meta = header_meta(good_bytes)
    assert meta["format"] == "babylm-checkpoint"
    assert meta["config"] == small.config.to_dict()
    assert meta["vocab"] == list(VOCAB.itos)
    assert set(st_load(good_bytes)) == set(small.state_dict())


def test_pretrained_round_trip_through_the_api(pretrained, tmp_path):
    path = pretrained.save(tmp_path / "again.safetensors")
    again = BabyLanguageModel.load(path)
    assert again.config == pretrained.config
    assert again.itos == pretrained.itos
    assert again.training_summary == pretrained.training_summary
    context = "me want cookie\nme see "
    assert again.next_char_probs(context) == pretrained.next_char_probs(context)
    assert again.generate_text("me ", 80, seed=3) == pretrained.generate_text("me ", 80, seed=3)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_every_cell_round_trips_with_its_cell_named(cell, tmp_path):
    torch.manual_seed(1)
    model = CharLSTM(ModelConfig(vocab_size=len(VOCAB), embedding_dim=8, hidden_size=16, num_layers=2,
                                 cell=cell)).eval()
    path = checkpoint.save(tmp_path / f"{cell}.safetensors", model, VOCAB, TRAINING)
    assert header_meta(path.read_bytes())["config"]["cell"] == cell
    again, vocab, _ = checkpoint.load(path)
    assert again.config == model.config and again.config.cell == cell
    assert set(again.state_dict()) == set(model.state_dict())
    assert all(k.startswith((f"{cell}.", "embedding.", "head.")) for k in again.state_dict())
    assert torch.equal(probs_of(again), probs_of(model))


def test_a_checkpoint_from_before_cells_loads_as_an_lstm(tmp_path):
    """The shipped assets/pretrained.safetensors predates the cell setting: no "cell" in its config."""
    assert "cell" not in header_meta(PRETRAINED.read_bytes())["config"]
    model, _, _ = checkpoint.load(PRETRAINED)
    assert model.config.cell == "lstm" and model.internal_names == ("h", "c", "i", "f", "g", "o")
    # and a re-save now names its cell
    path = checkpoint.save(tmp_path / "again.safetensors", model, checkpoint.load(PRETRAINED)[1])
    assert header_meta(path.read_bytes())["config"]["cell"] == "lstm"


def test_a_cell_mismatch_between_config_and_weights_is_refused(good_bytes, tmp_path):
    path = tmp_path / "gru-claims.safetensors"
    path.write_bytes(rewrite(good_bytes, edit_meta=lambda m: m["config"].update(cell="gru")))
    with pytest.raises(ValueError, match="do not fit the model"):
        checkpoint.load(path)


def test_an_unknown_cell_is_refused(good_bytes, tmp_path):
    path = tmp_path / "transformer.safetensors"
    path.write_bytes(rewrite(good_bytes, edit_meta=lambda m: m["config"].update(cell="transformer")))
    with pytest.raises(ValueError, match="cell must be one of"):
        checkpoint.load(path)


def test_saved_training_summary_survives_a_round_trip(tmp_path, tiny_corpus):
    baby = BabyLanguageModel(tiny_corpus, embedding_dim=8, hidden_size=16, num_layers=1)
    baby.build_model()
    baby.train(epochs=2, batch_size=8, chunk_length=32)
    again = BabyLanguageModel.load(baby.save(tmp_path / "tiny.safetensors"))
    assert again.training_summary == baby.training_summary
    assert len(again.training_summary["val_curve"]) == 2


def test_loading_never_unpickles(monkeypatch, tmp_path, good_bytes):
    def refuse(*args, **kwargs):
        raise AssertionError("a checkpoint loader must never unpickle")

    for owner, name in [(pickle, "load"), (pickle, "loads"), (torch, "load"),
                        (torch.serialization, "load")]:
        monkeypatch.setattr(owner, name, refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    model, vocab, _ = checkpoint.load(PRETRAINED)
    assert len(vocab) == model.config.vocab_size
    assert checkpoint.from_bytes(good_bytes)[1] == VOCAB
    pickled = tmp_path / "model.pt"
    pickled.write_bytes(b"\x80\x04\x95" + b"\x00" * 200)
    with pytest.raises(ValueError, match="pickle"):
        checkpoint.load(pickled)


# --- refusals ------------------------------------------------------------------------------------

def refused(data: bytes, tmp_path, match: str):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match) as err:
        checkpoint.load(path)
    assert "Traceback" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("zipfile", [True, False])
def test_torch_save_file_is_refused_as_pickle(small, tmp_path, zipfile):
    path = tmp_path / "model.pt"
    torch.save(small.state_dict(), path, _use_new_zipfile_serialization=zipfile)
    with pytest.raises(ValueError, match="pickle"):
        checkpoint.load(path)


def test_pickle_dump_is_refused(tmp_path):
    refused(pickle.dumps({"embedding.weight": [[0.0] * 4] * 4}), tmp_path, "pickle")


def test_random_bytes_are_refused(tmp_path):
    data = torch.randint(1, 255, (5000,), generator=torch.Generator().manual_seed(0),
                         dtype=torch.uint8).numpy().tobytes()
    refused(data, tmp_path, "not a babylm checkpoint")


def test_empty_file_is_refused(tmp_path):
    refused(b"", tmp_path, "empty or truncated")


@pytest.mark.parametrize("keep", [4, 100, 0.5, -1])
def test_truncated_file_is_refused(good_bytes, tmp_path, keep):
    n = int(len(good_bytes) * keep) if isinstance(keep, float) else keep % len(good_bytes)
    refused(good_bytes[:n], tmp_path, "truncated|cut short")


def test_one_flipped_byte_in_the_weights_fails_the_checksum(good_bytes, tmp_path):
    damaged = bytearray(good_bytes)
    damaged[len(good_bytes) - 1000] ^= 0x01  # a low mantissa bit: still a finite, plausible float
    refused(bytes(damaged), tmp_path, "checksum")


def test_flipped_byte_in_the_header_is_refused(good_bytes, tmp_path):
    damaged = bytearray(good_bytes)
    damaged[good_bytes.index(b"__metadata__")] = ord("{")  # breaks the header's JSON
    refused(bytes(damaged), tmp_path, "not a babylm checkpoint")


def test_plain_safetensors_without_description_is_refused(small, tmp_path):
    refused(st_save(small.state_dict()), tmp_path, "no babylm description")


def test_wrong_format_version_is_refused(good_bytes, tmp_path):
    message = refused(rewrite(good_bytes, lambda m: m.update(format_version=2)), tmp_path, "version")
    assert "2" in message and str(checkpoint.FORMAT_VERSION) in message


def test_other_format_is_refused(good_bytes, tmp_path):
    refused(rewrite(good_bytes, lambda m: m.update(format="keras")), tmp_path, "another format")


def test_shape_mismatch_is_refused(good_bytes, tmp_path):
    def wider(meta):
        meta["config"]["hidden_size"] = 32

    message = refused(rewrite(good_bytes, wider), tmp_path, "shape")
    found, needed = re.search(r"has shape (\(.*\)), the config needs (\(.*\))", message).groups()
    assert found != needed


def test_missing_layer_is_refused(good_bytes, tmp_path):
    refused(rewrite(good_bytes, lambda m: m["config"].update(num_layers=3)), tmp_path, "missing")


def test_vocab_size_mismatch_is_refused(good_bytes, tmp_path):
    refused(rewrite(good_bytes, lambda m: m.update(vocab=m["vocab"] + ["z"])), tmp_path, "vocabulary")


@pytest.mark.parametrize("edit", [
    lambda m: m.pop("config"),
    lambda m: m.update(config="big"),
    lambda m: m["config"].update(colour="red"),
    lambda m: m.update(vocab=5),
    lambda m: m.update(vocab=[1, 2, 3]),
    lambda m: m.update(training=5),
])
def test_malformed_description_is_refused(good_bytes, tmp_path, edit):
    refused(rewrite(good_bytes, edit), tmp_path, "malformed|incomplete")
    with pytest.raises(ValueError, match="malformed|incomplete"):
        BabyLanguageModel.load(tmp_path / "bad.safetensors")


def test_bad_config_value_in_description_is_refused(good_bytes, tmp_path):
    refused(rewrite(good_bytes, lambda m: m["config"].update(num_layers=9)), tmp_path, "num_layers")


def test_nan_weights_are_refused_even_with_a_matching_checksum(good_bytes, tmp_path):
    state = st_load(good_bytes)
    state["head.bias"][0] = float("nan")
    meta = header_meta(good_bytes)
    meta["sha256"] = checkpoint.weights_digest(state)
    refused(st_save(state, metadata={"babylm": json.dumps(meta)}), tmp_path, "NaN")


def test_missing_file_and_folder_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no such checkpoint file"):
        checkpoint.load(tmp_path / "nowhere.safetensors")
    with pytest.raises(ValueError):
        checkpoint.load(tmp_path)
    with pytest.raises(ValueError, match="no such checkpoint file"):
        BabyLanguageModel.load(tmp_path / "nowhere.safetensors")
