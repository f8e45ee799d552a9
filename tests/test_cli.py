"""`python -m babylm`: the commands work, and bad input ends with exit status 2 and one line on
stderr, never a traceback. Run in-process for speed; one real subprocess proves the whole path."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest

from babylm import BabyLanguageModel
from babylm.api import PRETRAINED
from babylm.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, match: str):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("babylm: error:")
    assert match in lines[0]
    assert "Traceback" not in err


# --- commands that work --------------------------------------------------------------------------

def test_generate_is_seeded_and_uses_the_pretrained_model(capsys, pretrained):
    code, out, _ = run(capsys, "generate", "--seed", "3", "--length", "40")
    assert code == 0
    assert out == pretrained.generate_text("me want ", 40, seed=3) + "\n"
    code, greedy, _ = run(capsys, "generate", "--prompt", "me see", "--temperature", "0",
                          "--length", "20", "--mode", "window", "--top-k", "5")
    assert code == 0
    assert greedy == pretrained.generate_text("me see", 20, temperature=0, mode="window") + "\n"


def test_info_describes_a_checkpoint(capsys, pretrained):
    code, out, _ = run(capsys, "info", str(PRETRAINED))
    assert code == 0
    info = json.loads(out)
    assert info["config"] == pretrained.config.to_dict()
    assert info["vocab"] == "".join(pretrained.itos)
    assert info["parameters"] == pretrained.model.num_parameters()
    assert "val_curve" not in info["training"]


def test_train_writes_a_checkpoint_that_loads(capsys, tmp_path, tiny_corpus):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(tiny_corpus, encoding="utf-8")
    out_path = tmp_path / "tiny.safetensors"
    code, out, err = run(capsys, "train", "--corpus", str(corpus), "--epochs", "2", "--hidden", "16",
                         "--layers", "1", "--embedding", "8", "--batch-size", "8", "--quiet",
                         "--out", str(out_path))
    assert code == 0, err
    assert out.startswith(f"saved {out_path}") and "best val_loss" in out
    baby = BabyLanguageModel.load(out_path)
    assert baby.itos == sorted(set(tiny_corpus))
    assert baby.config.hidden_size == 16 and baby.config.num_layers == 1
    assert baby.training_summary["epochs"] == 2.0
    assert baby.training_summary["config"]["batch_size"] == 8


def test_train_resume_trains_a_saved_model_on(capsys, tmp_path, tiny_corpus):
    """--resume: the same model, its epochs counting on; a shape flag or a new character is one line."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(tiny_corpus, encoding="utf-8")
    first, second = tmp_path / "first.safetensors", tmp_path / "second.safetensors"
    quick = ("--corpus", str(corpus), "--batch-size", "8", "--quiet", "--patience", "0")
    assert run(capsys, "train", *quick, "--epochs", "2", "--hidden", "16", "--layers", "1", "--cell", "gru",
               "--out", str(first))[0] == 0
    code, out, err = run(capsys, "train", *quick, "--epochs", "1", "--resume", str(first), "--out", str(second))
    assert code == 0, err
    assert out.startswith(f"saved {second}  (3 epochs")
    again = BabyLanguageModel.load(second)
    assert again.config == BabyLanguageModel.load(first).config  # gru, 16 units: its own shape
    assert [e for e, _ in again.training_summary["val_curve"]] == [1.0, 2.0, 3.0]

    code, out, err = run(capsys, "train", *quick, "--hidden", "8", "--resume", str(first), "--out", str(second))
    assert_one_line_error(code, err, "--hidden sets a new model's shape")
    corpus.write_text(tiny_corpus + "café\n", encoding="utf-8")
    code, out, err = run(capsys, "train", *quick, "--resume", str(first), "--out", str(second))
    assert_one_line_error(code, err, "never seen these characters: é;")


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_train_any_cell(capsys, tmp_path, tiny_corpus, cell):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(tiny_corpus, encoding="utf-8")
    out_path = tmp_path / f"{cell}.safetensors"
    code, out, err = run(capsys, "train", "--corpus", str(corpus), "--epochs", "1", "--hidden", "16",
                         "--layers", "1", "--embedding", "8", "--batch-size", "8", "--quiet",
                         "--cell", cell, "--out", str(out_path))
    assert code == 0, err
    assert BabyLanguageModel.load(out_path).config.cell == cell
    code, out, err = run(capsys, "info", str(out_path))
    assert json.loads(out)["config"]["cell"] == cell


def test_generate_and_info_take_a_shipped_models_name(capsys):
    code, out, err = run(capsys, "generate", "--model", "memory-lstm", "--prompt", "me see kitty it say ",
                         "--length", "4", "--temperature", "0")
    assert code == 0, err
    assert out == "me see kitty it say meow\n"
    code, out, err = run(capsys, "info", "memory-gru")
    assert code == 0 and json.loads(out)["config"]["cell"] == "gru"


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, match", [
    (["generate", "--prompt", "me want é"], "never seen these characters: é"),
    (["generate", "--prompt", ""], "prompt is empty"),
    (["generate", "--length", "0"], "length must be"),
    (["generate", "--length", "99999999"], "length must be"),
    (["generate", "--temperature", "-1"], "temperature"),
    (["generate", "--top-k", "0"], "top_k"),
    (["generate", "--top-k", "500"], "top_k"),
    (["generate", "--model", "nowhere.safetensors"], "no such checkpoint file"),
    (["info", "nowhere.safetensors"], "no such checkpoint file"),
    (["info", "memory-transformer"], "no such checkpoint file"),
    (["train", "--epochs", "0"], "epochs must be"),
    (["train", "--hidden", "0"], "hidden_size must be"),
    (["train", "--layers", "7"], "num_layers must be"),
    (["train", "--dropout", "1"], "dropout must be"),
    (["train", "--lr", "0"], "learning_rate must be"),
    (["train", "--corpus", "nowhere.txt"], "no such file"),
    (["train", "--resume", "nowhere.safetensors"], "no such checkpoint file"),
])
def test_bad_arguments_end_with_one_line(capsys, argv, match):
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, match)
    assert out == ""


def test_bad_files_end_with_one_line(capsys, tmp_path):
    pickled = tmp_path / "model.pt"
    pickled.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}))
    assert_one_line_error(*run(capsys, "info", str(pickled))[::2], "pickle")
    assert_one_line_error(*run(capsys, "generate", "--model", str(pickled))[::2], "pickle")

    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert_one_line_error(*run(capsys, "train", "--corpus", str(empty))[::2], "corpus is empty")
    assert_one_line_error(*run(capsys, "train", "--corpus", str(tmp_path))[::2], "is a folder")


def test_unwritable_output_ends_with_one_line(capsys, tmp_path, tiny_corpus):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(tiny_corpus, encoding="utf-8")
    code, _, err = run(capsys, "train", "--corpus", str(corpus), "--epochs", "1", "--hidden", "8",
                       "--layers", "1", "--quiet", "--out", str(tmp_path / "no" / "such" / "dir.safetensors"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [["generate", "--length", "ten"], ["generate", "--mode", "beam"],
                                  ["fly"], []])
def test_argparse_errors_exit_2_without_traceback(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "error:" in err.strip().splitlines()[-1]  # argparse: a usage line, then the error
    assert "Traceback" not in err


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "babylm", "generate", "--prompt", "me want Q"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(PRETRAINED.parent.parent)})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "babylm: error: the model has never seen these characters: Q; "
        "use only characters from its training text"]

