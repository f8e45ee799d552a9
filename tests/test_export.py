"""Exports: `python -m babylm export` of every format from a tiny model; the CSV and JSON read
back equal the trace exactly; the PNG is one projector-sized step that shows nothing after it;
the GIF has one frame per step asked for."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from babylm.api import BabyLanguageModel
from babylm.cli import main
from babylm.data import Vocab
from babylm.export import csv_header, from_json, parse_steps, to_json, unit_columns
from babylm.model import CELLS, CharRNN, ModelConfig
from babylm.render import default_scales, render_step
from babylm.settings import GenerationSettings
from babylm.trace import Trace, trace_generation
from babylm.wire import model_scales

VOCAB = Vocab(tuple("\n abcdegikmnostwy"))
SETTINGS = GenerationSettings(prompt="me want ", length=12, temperature=1.0, seed=3)


def tiny(cell: str = "lstm", layers: int = 2, hidden: int = 12) -> CharRNN:
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(vocab_size=len(VOCAB), embedding_dim=8, hidden_size=hidden,
                                num_layers=layers, cell=cell))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)  # lively values, c beyond [-1, 1]
    return model.eval()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "tiny.safetensors"
    BabyLanguageModel.from_parts(tiny(), VOCAB).save(path)
    return path


def the_trace(path) -> Trace:
    """What the CLI traces with SETTINGS: the same model, loaded the same way."""
    baby = BabyLanguageModel.load(path)
    return trace_generation(baby.model, baby.vocab, SETTINGS)


def export(checkpoint, tmp_path, fmt: str, *extra: str):
    out = tmp_path / f"out.{fmt}"
    args = ["export", "--format", fmt, "--out", str(out), "--model", str(checkpoint),
            "--prompt", SETTINGS.prompt, "--length", str(SETTINGS.length),
            "--temperature", "1", "--seed", str(SETTINGS.seed), *extra]
    assert main(args) == 0
    return out


def test_csv_reads_back_as_the_trace_exactly(checkpoint, tmp_path):
    trace = the_trace(checkpoint)
    with open(export(checkpoint, tmp_path, "csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    T, L, H = trace.shape
    assert header[:4] == ["step", "read", "next", "prob"]
    assert len(header) == 4 + 6 * L * H and header == csv_header(trace)
    assert header.index("c2_12") == 4 + 1 * L * H + 1 * H + 11  # c, layer 2, unit 12 (from 1)
    assert len(body) == T == len(SETTINGS.prompt) - 1 + SETTINGS.length
    assert [int(r[0]) for r in body] == list(range(1, T + 1))
    assert [r[1] for r in body] == trace.inputs and [r[2] for r in body] == trace.outputs
    assert "".join(r[1] for r in body[:8]) == "me want "
    prob = np.array([r[3] for r in body], dtype=np.float32)
    assert np.array_equal(prob, trace.chosen_prob)
    values = np.array([r[4:] for r in body], dtype=np.float32)  # (T, 6 L H)
    for name, column in zip(unit_columns(trace), values.T):
        internal, rest = name[0], name[1:]
        layer, unit = (int(x) - 1 for x in rest.split("_"))
        assert np.array_equal(column, trace.internals[internal][:, layer, unit]), name


def test_csv_steps_keep_their_numbers(checkpoint, tmp_path):
    trace = the_trace(checkpoint)
    with open(export(checkpoint, tmp_path, "csv", "--steps", "5:9"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    assert [int(r[0]) for r in rows] == [5, 6, 7, 8, 9]
    assert np.array_equal(np.array([r[4] for r in rows], dtype=np.float32), trace.internals["h"][4:9, 0, 0])


def test_json_reads_back_as_the_trace_exactly(checkpoint, tmp_path):
    trace = the_trace(checkpoint)
    data = json.loads(export(checkpoint, tmp_path, "json").read_text(encoding="utf-8"))
    assert data["format"] == "babylm-trace" and data["version"] == 1
    assert data["settings"] == {"prompt": "me want ", "length": 12, "temperature": 1.0, "top_k": 0,
                                "seed": 3, "mode": "stateful"}
    assert (data["steps"], data["layers"], data["hidden"], data["first_step"]) == (*trace.shape, 1)
    back = from_json(data)
    assert back.inputs == trace.inputs and back.outputs == trace.outputs and back.itos == trace.itos
    assert np.array_equal(back.from_prompt, trace.from_prompt)
    assert back.probs.dtype == np.float32 and np.array_equal(back.probs, trace.probs)
    assert list(back.internals) == list(trace.internals) == ["h", "c", "i", "f", "g", "o"]
    for name in trace.internals:
        assert np.array_equal(back.internals[name], trace.internals[name]), name
    assert (back.cell, back.mode, back.seq_length, back.settings) == (trace.cell, trace.mode,
                                                                      trace.seq_length, trace.settings)


@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_exports_its_own_internals(cell):
    trace = trace_generation(tiny(cell, layers=1), VOCAB, SETTINGS)
    names = {"lstm": "hcifgo", "gru": "hrzn", "rnn": "h"}[cell]
    assert {c[0] for c in unit_columns(trace)} == set(names) and unit_columns(trace)[0] == "h1_1"
    back = from_json(json.loads(json.dumps(to_json(trace))))
    assert all(np.array_equal(back.internals[n], trace.internals[n]) for n in names)
    assert render_step(trace, len(trace) - 1).size == (1920, 1080)


def test_png_is_one_projector_sized_step(checkpoint, tmp_path):
    img = Image.open(export(checkpoint, tmp_path, "png", "--step", "9"))
    assert img.format == "PNG" and img.size == (1920, 1080)
    trace, baby = the_trace(checkpoint), BabyLanguageModel.load(checkpoint)
    scales = model_scales(baby.model, baby.vocab, baby.text)  # the model's ranges, as the app's
    assert np.array_equal(np.asarray(img.convert("RGB")), np.asarray(render_step(trace, 8, scales)))


def test_png_shows_nothing_after_its_step():
    trace = trace_generation(tiny(), VOCAB, SETTINGS)
    t = 10
    rng = np.random.default_rng(0)
    # Another run that agrees up to step t and differs in everything after it.
    future = replace(trace,
                     inputs=trace.inputs[:t + 1] + ["z"] * (len(trace) - t - 1),
                     outputs=trace.outputs[:t + 1] + ["y"] * (len(trace) - t - 1),
                     probs=np.concatenate([trace.probs[:t + 1], rng.dirichlet(np.ones(len(VOCAB)), len(trace) - t - 1)
                                           .astype(np.float32)]),
                     internals={n: np.concatenate([v[:t + 1], rng.uniform(-1, 1, v[t + 1:].shape).astype(np.float32)])
                                for n, v in trace.internals.items()})
    scales = default_scales(trace)  # fixed from the whole run, as the model's own would be
    assert np.array_equal(np.asarray(render_step(trace, t, scales)), np.asarray(render_step(future, t, scales)))
    assert not np.array_equal(np.asarray(render_step(trace, t + 1, scales)),
                              np.asarray(render_step(future, t + 1, scales)))


def test_gif_has_a_frame_per_step(checkpoint, tmp_path):
    img = Image.open(export(checkpoint, tmp_path, "gif", "--steps", "3:7", "--fps", "5"))
    assert img.format == "GIF" and img.size == (1920, 1080)
    assert img.n_frames == 5 and img.info["loop"] == 0 and img.info["duration"] == 200


@pytest.mark.parametrize("args, message", [
    (["--format", "png", "--step", "0"], "--step must be from 1 to 67"),
    (["--format", "gif", "--steps", "5:3"], "--steps 5:3 must lie within 1:67"),
    (["--format", "csv", "--steps", "x"], "--steps must look like A:B"),
    (["--format", "json", "--prompt", "ZZ"], "never seen"),
])
def test_bad_export_options_end_with_one_line(checkpoint, tmp_path, capsys, args, message):
    out = tmp_path / "never"
    code = main(["export", "--out", str(out), "--model", str(checkpoint), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("babylm: error: ") and message in err and "\n" not in err
    assert not out.exists()


def test_parse_steps():
    assert parse_steps("2:4", 10) == range(1, 4)
    assert parse_steps(":3", 10) == range(0, 3) and parse_steps("8:", 10) == range(7, 10)


def test_a_lesson_stop_exports_its_generation_at_its_step(tmp_path):
    from babylm.lessons import find, show_stop

    baby = BabyLanguageModel.pretrained()
    stop = show_stop(find("me-want-cookie"), 3, baby.model, baby.vocab)
    out = tmp_path / "stop.png"
    assert main(["export", "--format", "png", "--out", str(out), "--lesson", "me-want-cookie", "--stop", "3"]) == 0
    trace = trace_generation(baby.model, baby.vocab, stop.settings)
    scales = model_scales(baby.model, baby.vocab, baby.text)
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), np.asarray(render_step(trace, stop.step - 1, scales)))


def test_mp4_has_a_frame_per_step(checkpoint, tmp_path):
    import subprocess

    import imageio_ffmpeg  # a dev requirement; optional at run time
    out = export(checkpoint, tmp_path, "mp4", "--steps", "2:7", "--fps", "5")
    assert imageio_ffmpeg.count_frames_and_secs(str(out)) == (6, 1.2)
    info = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(out)], capture_output=True, text=True).stderr
    assert "h264" in info and "1920x1080" in info and "yuv420p" in info


def test_mp4_without_its_package_says_what_to_install(checkpoint, tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if it were not installed
    code = main(["export", "--format", "mp4", "--out", str(tmp_path / "x.mp4"), "--model", str(checkpoint)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "pip install imageio-ffmpeg" in err and "\n" not in err
