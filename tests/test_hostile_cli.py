"""Training that must not lose work or run away: --out is checked before training, Ctrl-C saves the
best model, nothing but a regular file is ever written over, no temporary name leaks; a run's
memory per step and its time are bounded; the CLI picks a sensible thread count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

import babylm.api
from babylm import BABY_DATASET, BabyLanguageModel
from babylm.cli import main

REPO = Path(__file__).resolve().parents[1]
TINY = ["--epochs", "1", "--hidden", "8", "--layers", "1", "--embedding", "4", "--quiet"]


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def corpus(tmp_path, tiny_corpus) -> str:
    path = tmp_path / "corpus.txt"
    path.write_text(tiny_corpus, encoding="utf-8")
    return str(path)


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: the destination must be refused first."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started before --out was checked")
    monkeypatch.setattr(babylm.api, "train_iter", refuse)


# --- --out is checked before training, and only regular files are written -----------------------
def destinations(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    target = tmp_path / "elsewhere.safetensors"
    target.write_bytes(b"keep me")
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    return {"folder": (tmp_path, "is a folder"), "dot": (Path("."), "is a folder"),
            "missing-folder": (tmp_path / "no" / "such" / "m.safetensors", "the folder"),
            "fifo": (fifo, "not a regular file"), "symlink": (link, "symbolic link")}


@pytest.mark.parametrize("case", ["folder", "dot", "missing-folder", "fifo", "symlink"])
def test_a_bad_out_is_refused_before_training_and_leaves_nothing(capsys, tmp_path, corpus, no_training, case):
    out, match = destinations(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run(capsys, "train", "--corpus", corpus, *TINY, "--out", str(out))
    assert code == 2 and err.count("\n") == 1 and err.startswith("babylm: error: ") and match in err, err
    assert ".tmp" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no /tmp.tmp-style leftovers
    assert (tmp_path / "elsewhere.safetensors").read_bytes() == b"keep me"
    assert (tmp_path / "pipe").is_fifo()


def test_a_device_is_never_replaced(capsys, tmp_path, no_training):
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | 0o020000, os.makedev(1, 3))  # a character device, like /dev/full
    except PermissionError:
        pytest.skip("this machine does not let the tests make a device node")
    code, _, err = run(capsys, "train", *TINY, "--out", str(device))
    assert code == 2 and "not a regular file" in err
    assert device.is_char_device()


def test_a_good_out_is_written_without_leftovers(capsys, tmp_path, corpus):
    out = tmp_path / "model.safetensors"
    out.write_bytes(b"an older file is replaced")
    code, stdout, _ = run(capsys, "train", "--corpus", corpus, *TINY, "--out", str(out))
    assert code == 0 and f"saved {out}" in stdout
    assert [p.name for p in tmp_path.iterdir() if p.name != "corpus.txt"] == ["model.safetensors"]
    assert BabyLanguageModel.load(out).config.hidden_size == 8


def test_the_api_save_refuses_a_folder_with_one_line(tmp_path, pretrained):
    with pytest.raises(ValueError, match="is a folder"):
        pretrained.save(tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- Ctrl-C keeps the best model --------------------------------------------------------------------
def test_ctrl_c_saves_the_best_model_so_far(tmp_path, corpus):
    out = tmp_path / "model.safetensors"
    proc = subprocess.Popen([sys.executable, "-m", "babylm", "train", "--corpus", corpus, "--epochs", "100000",
                             "--patience", "0", "--hidden", "8", "--layers", "1", "--out", str(out)],
                            cwd=REPO, stderr=subprocess.PIPE, text=True, bufsize=1)
    seen, epoch_done = [], threading.Event()

    def read():
        for chunk in iter(lambda: proc.stderr.read(64), ""):
            seen.append(chunk)
            if "val_loss " in "".join(seen[-4:]).replace("val_loss -", ""):
                epoch_done.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert epoch_done.wait(120), "".join(seen)[-500:]  # a validation loss exists: a best model to keep
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 130
    reader.join(10)
    err = "".join(seen)
    assert f"babylm: interrupted: saved the best model so far to {out}" in err and "Traceback" not in err
    baby = BabyLanguageModel.load(out)
    assert baby.training_summary["best_val_loss"] is not None
    assert [p.name for p in tmp_path.iterdir() if p.name != "corpus.txt"] == ["model.safetensors"]


# --- memory and time per run ------------------------------------------------------------------------
def test_settings_needing_gigabytes_per_step_are_refused_up_front(capsys):
    code, _, err = run(capsys, "train", "--batch-size", "4096", "--chunk-length", "4096", "--quiet",
                       "--out", "never.safetensors")
    assert code == 2 and "needs about 287,808 MB" in err and "over the limit of 2,048 MB" in err
    baby = BabyLanguageModel(BABY_DATASET, hidden_size=8, num_layers=1)
    baby.build_model()
    with pytest.raises(ValueError, match="use a smaller batch_size or chunk_length"):
        baby.train(epochs=1, batch_size=4096, chunk_length=4096)
    assert not Path("never.safetensors").exists()


def test_a_run_stops_at_its_time_limit_and_keeps_the_best_weights(tiny_corpus):
    baby = BabyLanguageModel(tiny_corpus, hidden_size=8, num_layers=1, embedding_dim=4)
    baby.build_model()
    history = baby.train(epochs=100_000, patience=0, max_seconds=0.5)
    assert history[-1].seconds >= 0.5 and history[-2].seconds < 0.5
    assert history[-1].epoch < 100_000 and not baby.model.training
    for bad in (0, -1, float("nan"), True, "5"):
        with pytest.raises(ValueError, match="max_seconds must be None or a positive number"):
            baby.train(epochs=1, max_seconds=bad)


def test_the_train_page_says_the_time_limit_before_a_run(monkeypatch):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("from babylm.app import train_page\ntrain_page.page()\n", default_timeout=60).run()
    assert any("stops after at most 10 minutes" in c.value and "BABYLM_MAX_TRAIN_SECONDS" in c.value
               for c in at.caption)


# --- threads --------------------------------------------------------------------------------------
def test_the_cli_uses_one_thread_unless_told(capsys, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    try:
        torch.set_num_threads(2)
        assert run(capsys, "info", str(REPO / "assets" / "pretrained.safetensors"))[0] == 0
        assert torch.get_num_threads() == 1
        assert run(capsys, "--threads", "2", "info", str(REPO / "assets" / "pretrained.safetensors"))[0] == 0
        assert torch.get_num_threads() == 2
        code, _, err = run(capsys, "--threads", "0", "info", "x")
        assert code == 2 and "expected a int above 0" in err
    finally:
        torch.set_num_threads(1)


@pytest.mark.parametrize("command", [["export", "--format", "csv"], ["import-keras", "m.keras", "--chars", "ab"]],
                         ids=["export", "import-keras"])
def test_other_commands_refuse_a_folder_or_pipe_first(capsys, tmp_path, command):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for out, match in [(tmp_path, "is a folder"), (fifo, "not a regular file")]:
        code, _, err = run(capsys, *command, "--out", str(out))
        assert code == 2 and match in err and err.count("\n") == 1, err
    assert fifo.is_fifo()
