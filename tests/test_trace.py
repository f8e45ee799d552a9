"""The trace and the generation settings: a trace holds the model's own numbers (checked against
torch's nn.LSTM / nn.GRU / nn.RNN run independently), and settings survive a trip through a link."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from babylm.data import Vocab
from babylm.generate import generate_text
from babylm.model import CELLS, ModelConfig
from babylm.settings import GenerationSettings
from babylm.trace import trace_generation, trace_text

from test_model import reference_modules, run_reference

VOCAB = Vocab(tuple("\n abcdegikmnostwy"))


def small_model(cell: str, seed: int = 0):
    from babylm.model import CharRNN

    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(vocab_size=len(VOCAB), embedding_dim=8, hidden_size=12, num_layers=2, cell=cell))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    return model.eval()


@pytest.mark.parametrize("cell", CELLS)
def test_trace_text_holds_what_torch_computes(cell):
    model = small_model(cell)
    text = "me want cookie\nme see doggy\n"
    trace = trace_text(model, VOCAB, text)
    T = len(text) - 1
    assert len(trace) == T and trace.inputs == list(text[:-1]) and trace.outputs == list(text[1:])
    assert trace.from_prompt.all() and trace.cell == cell and trace.settings is None
    assert list(trace.internals) == list(model.internal_names)
    assert trace.shape == (T, 2, 12)

    embedding, rnn, head = reference_modules(model)
    ids = torch.tensor([VOCAB.encode(text[:-1])])  # (1, T)
    with torch.no_grad():
        out, _ = run_reference(rnn, embedding(ids))  # (1, T, H)
        probs = torch.softmax(head(out), dim=-1)[0].numpy()  # (T, V)
        # Layer 1's h at every step: a one-layer module with layer 0's weights.
        first = type(rnn)(rnn.input_size, rnn.hidden_size, batch_first=True)
        first.load_state_dict({k: v for k, v in rnn.state_dict().items() if k.endswith("_l0")})
        out1, _ = run_reference(first, embedding(ids))
    np.testing.assert_allclose(trace.probs, probs, atol=1e-5)
    np.testing.assert_allclose(trace.internals["h"][:, 1], out[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(trace.internals["h"][:, 0], out1[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(trace.chosen_prob, probs[np.arange(T), VOCAB.encode(text[1:])], atol=1e-5)


def test_trace_generation_is_the_generated_text_and_repeatable():
    model = small_model("lstm")
    settings = GenerationSettings(prompt="me ", length=20, temperature=1.0, seed=3)
    trace = trace_generation(model, VOCAB, settings)
    assert trace.text == generate_text(model, VOCAB, "me ", 20, temperature=1.0, seed=3)
    assert len(trace) == 3 + 20 - 1
    assert trace.from_prompt.tolist() == [True, True] + [False] * 20
    again = trace_generation(model, VOCAB, settings)
    assert all(np.array_equal(trace.internals[k], again.internals[k]) for k in trace.internals)
    # Reading the generated text back gives the same numbers: one loop, two ways in.
    read = trace_text(model, VOCAB, trace.text)
    np.testing.assert_allclose(read.internals["c"], trace.internals["c"], atol=1e-6)


def test_trace_refuses_bad_input_with_a_message():
    model = small_model("lstm")
    with pytest.raises(ValueError, match="at least 2 characters"):
        trace_text(model, VOCAB, "m")
    with pytest.raises(ValueError, match="never seen|not in"):
        trace_text(model, VOCAB, "me want pizza")
    with pytest.raises(ValueError, match="seed"):
        trace_generation(model, VOCAB, GenerationSettings(seed=-1))
    with pytest.raises(ValueError, match="length"):
        GenerationSettings(length=500).check(VOCAB, max_length=400)


def test_settings_round_trip_through_a_link():
    settings = GenerationSettings(prompt="me love ", length=33, temperature=0.0, top_k=3, seed=9, mode="window")
    query = settings.to_query()
    assert query == {"prompt": "me love ", "length": "33", "temperature": "0", "top_k": "3", "seed": "9",
                     "mode": "window"}
    back, notices = GenerationSettings.from_query(query)
    assert back == settings and notices == []


@pytest.mark.parametrize("key, value", [("length", "abc"), ("length", "0"), ("temperature", "nan"),
                                        ("temperature", "7"), ("seed", "-3"), ("seed", "1e99"),
                                        ("mode", "beam"), ("top_k", "1.5"), ("prompt", "")])
def test_bad_link_values_fall_back_with_a_notice(key, value):
    settings, notices = GenerationSettings.from_query({key: value, "unit": "2:90"})
    assert settings == GenerationSettings()
    assert len(notices) == 1 and key in notices[0]
