"""The player's buffer is the trace's own numbers: decoding it in Python gives the trace back to
within each encoding's step, for every cell, with no cell's names built into the format."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from babylm import BABY_DATASET, CharRNN, ModelConfig, Vocab, wire
from babylm.settings import GenerationSettings
from babylm.trace import trace_generation, trace_text

VOCAB = Vocab.from_text(BABY_DATASET)


def small_model(cell: str, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(vocab_size=len(VOCAB), embedding_dim=8, hidden_size=24, num_layers=2,
                                dropout=0.0, cell=cell))
    with torch.no_grad():  # larger weights than the default init, so c leaves [-1, 1]
        for p in model.parameters():
            p.mul_(3.0)
    return model.eval()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_decoding_gives_the_trace_within_the_quantization_step(cell):
    model = small_model(cell)
    trace = trace_generation(model, VOCAB, GenerationSettings(prompt="me want ", length=30, seed=4))
    scales = wire.model_scales(model, VOCAB, BABY_DATASET)
    buffer = wire.encode(trace, scales, "abc")
    back = wire.decode(buffer)

    assert [p["name"] for p in back["panels"]] == list(model.internal_names)
    assert back["id"] == "abc" and back["cell"] == cell
    assert back["steps"], back["layers"] == (len(trace), 2)
    assert [back["itos"][i] for i in back["inputs"]] == trace.inputs
    assert [back["itos"][i] for i in back["outputs"]] == trace.outputs
    assert back["from_prompt"] == trace.from_prompt.astype(int).tolist()
    assert back["settings"] == trace.settings.to_query()
    for panel in back["panels"]:
        name, got, want = panel["name"], back["internals"][panel["name"]], trace.internals[panel["name"]]
        assert got.shape == want.shape
        if panel["dtype"] == "d16":  # 3 significant digits: relative error at most half a unit
            np.testing.assert_allclose(got, want, rtol=5.01e-3, atol=1e-28)
        else:  # uint8 on a fixed range the activation keeps it in: half a colour step
            assert panel["lo"] <= want.min() and want.max() <= panel["hi"]
            step = (panel["hi"] - panel["lo"]) / 255
            assert np.abs(got - want).max() <= step / 2 + 1e-6, name
    np.testing.assert_array_equal(back["probs"], trace.probs)  # f4: the model's own float32


def test_scales_are_fixed_per_model_not_per_generation():
    model = small_model("lstm")
    scales = wire.model_scales(model, VOCAB, BABY_DATASET)
    assert scales["h"] == (-1.0, 1.0) and scales["i"] == (0.0, 1.0) and scales["g"] == (-1.0, 1.0)
    lo, hi = scales["c"]
    assert lo == -hi and hi >= 1 and (hi * 2).is_integer()
    read = trace_text(model, VOCAB, BABY_DATASET[:wire.SCALE_TEXT])
    assert hi == max(1.0, math.ceil(np.percentile(np.abs(read.internals["c"]), 99) * 2) / 2)
    # Two different generations are packed on the same scales.
    one = wire.decode(wire.encode(trace_generation(model, VOCAB, GenerationSettings(seed=1)), scales))
    two = wire.decode(wire.encode(trace_generation(model, VOCAB, GenerationSettings(prompt="me see ")), scales))
    assert [(p["lo"], p["hi"]) for p in one["panels"]] == [(p["lo"], p["hi"]) for p in two["panels"]]


def test_d16_is_what_python_prints_to_3_significant_digits():
    rng = np.random.default_rng(0)
    values = (rng.standard_normal(20_000) * 10.0 ** rng.integers(-9, 3, 20_000)).astype(np.float32)
    values = np.concatenate([values, np.float32([0, 1, -1, 0.5625, 0.0999999, 9.995, 123.45, 1e-30])])
    back = wire.from_d16(wire.to_d16(values))
    for v, b in zip(values.tolist(), back.tolist()):
        assert float(f"{v:.3g}") == pytest.approx(b, rel=1e-6, abs=1e-28), v


def test_the_default_generation_fits_150_kb(pretrained):
    trace = trace_generation(pretrained.model, pretrained.vocab, GenerationSettings())
    scales = wire.model_scales(pretrained.model, pretrained.vocab, pretrained.text)
    assert len(wire.encode(trace, scales)) <= 150_000


def test_a_foreign_buffer_is_refused():
    with pytest.raises(ValueError, match="BLMW"):
        wire.decode(b"PK\x03\x04 a zip file")
