"""The analyses against independent computations: contrast and saliency recomputed from the
state_dict with torch's own nn.LSTM / nn.GRU (one character at a time, and autograd), unit
correlations against numpy's corrcoef, and every bad input refused with a message."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from babylm.analysis import (MAX_SALIENCY_TEXT, contrast, read_unit, saliency, text_properties,
                             unit_properties)
from babylm.analysis.contrast import contrast_scores
from babylm.analysis.units import correlations, properties_of_trace
from babylm.data import Vocab
from babylm.model import CharRNN, ModelConfig
from babylm.trace import trace_text

from test_model import reference_modules

VOCAB = Vocab(tuple("\n abcdegiklmnostvwy"))


def small_model(cell: str = "lstm", seed: int = 0, num_layers: int = 2, dropout: float = 0.2) -> CharRNN:
    """Weights drawn wide so gates use their whole range; dropout on, to prove it is turned off."""
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(vocab_size=len(VOCAB), embedding_dim=8, hidden_size=12,
                                num_layers=num_layers, dropout=dropout, cell=cell, seq_length=6))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    return model


# --- independent references ---------------------------------------------------------------

def reference_states(model: CharRNN, text: str, vocab: Vocab = VOCAB) -> dict[str, np.ndarray]:
    """{h, c, f}: (N, L, H) after each character, from torch's nn.LSTM (or nn.GRU: h only) fed one
    character at a time so every layer's state is visible; the LSTM's forget gate is recomputed
    from the state_dict's weight blocks and the previous step's states."""
    embedding, rnn, _ = reference_modules(model)
    L, H = model.config.num_layers, model.config.hidden_size
    sd = rnn.state_dict()
    state = None
    hs, cs, fs = [], [], []
    with torch.no_grad():
        x = embedding(torch.tensor([vocab.encode(text)]))  # (1, N, E)
        for t in range(len(text)):
            if isinstance(rnn, torch.nn.LSTM):
                h_prev = state[0] if state is not None else torch.zeros(L, 1, H)
                _, state = rnn(x[:, t:t + 1], state)  # (h, c), each (L, 1, H)
                f, below = [], x[0, t]
                for k in range(L):  # forget gate: rows H..2H of torch's (i, f, g, o) blocks
                    w_ih, w_hh = sd[f"weight_ih_l{k}"][H:2 * H], sd[f"weight_hh_l{k}"][H:2 * H]
                    b = sd[f"bias_ih_l{k}"][H:2 * H] + sd[f"bias_hh_l{k}"][H:2 * H]
                    f.append(torch.sigmoid(w_ih @ below + w_hh @ h_prev[k, 0] + b))
                    below = state[0][k, 0]
                hs.append(state[0][:, 0].numpy()), cs.append(state[1][:, 0].numpy())
                fs.append(torch.stack(f).numpy())
            else:
                _, h = rnn(x[:, t:t + 1], state)
                state = h
                hs.append(h[:, 0].numpy())
    out = {"h": np.stack(hs)}
    if cs:
        out.update(c=np.stack(cs), f=np.stack(fs))
    return out


def reference_contrast(model, a, b, cont, state, vocab=VOCAB):
    K = len(cont)
    va = reference_states(model, a + cont, vocab)[state][-K:]
    vb = reference_states(model, b + cont, vocab)[state][-K:]
    return np.abs(va - vb).mean(axis=0)  # (L, H)


def reference_saliency(model: CharRNN, text: str, window: int | None = None) -> np.ndarray:
    """One autograd backward per row through torch's own module, loaded from the state_dict."""
    embedding, rnn, head = reference_modules(model)
    ids = torch.tensor(VOCAB.encode(text))
    T = len(text) - 1
    S = np.zeros((T, T))
    for t in range(T):
        lo = 0 if window is None else max(0, t + 1 - window)
        x = embedding(ids[lo:t + 1]).detach().requires_grad_()  # (n, E)
        out = rnn(x[None])[0]  # (1, n, H)
        logp = torch.log_softmax(head(out[0, -1]), dim=-1)  # (V,)
        logp[ids[t + 1]].backward()
        S[t, lo:t + 1] = x.grad.norm(dim=-1).numpy()
    return S / S.sum(axis=1, keepdims=True)


# --- contrast ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cell,state", [("lstm", "c"), ("lstm", "h"), ("lstm", "f"), ("gru", "h")])
def test_contrast_equals_torch_run_one_character_at_a_time(cell, state):
    model = small_model(cell)
    a, b, cont = "me want ", "me love ", "cookie"
    ranked = contrast(model, VOCAB, a, b, cont, state=state)
    expected = reference_contrast(model, a, b, cont, state)  # (L, H)
    np.testing.assert_allclose(contrast_scores(model, VOCAB, a, b, cont, state), expected, atol=1e-5)
    assert len(ranked) == expected.size
    scores = [s for _, _, s in ranked]
    assert scores == sorted(scores, reverse=True)
    for layer, unit, score in ranked:  # numbered from 1, as the app shows them
        assert 1 <= layer <= 2 and 1 <= unit <= 12
        assert score == pytest.approx(expected[layer - 1, unit - 1], abs=1e-5)
    assert ranked[0][2] == pytest.approx(expected.max(), abs=1e-5)


def test_contrast_of_a_prompt_with_itself_is_zero_and_top_keeps_the_best():
    model = small_model()
    same = contrast(model, VOCAB, "me see ", "me see ", "doggy")
    assert all(score == 0.0 for _, _, score in same)
    assert contrast(model, VOCAB, "me want ", "me love ", "cookie", top=3) == \
        contrast(model, VOCAB, "me want ", "me love ", "cookie")[:3]


def test_contrast_refuses_bad_input_with_a_message():
    model = small_model()
    with pytest.raises(ValueError, match=r"has no internal 'r': choose one of h, c, i, f, g, o"):
        contrast(model, VOCAB, "me want ", "me love ", "cookie", state="r")
    with pytest.raises(ValueError, match=r"GRU has no internal 'c': choose one of h, r, z, n"):
        contrast(small_model("gru"), VOCAB, "me want ", "me love ", "cookie", state="c")
    with pytest.raises(ValueError, match="continuation is empty"):
        contrast(model, VOCAB, "me want ", "me love ", "")
    with pytest.raises(ValueError, match="prompt_b is empty"):
        contrast(model, VOCAB, "me want ", "", "cookie")
    with pytest.raises(ValueError, match="never seen these characters: p, z"):
        contrast(model, VOCAB, "me want ", "me love ", "pizza")
    with pytest.raises(ValueError, match="prompt_a must be text"):
        contrast(model, VOCAB, 3, "me love ", "cookie")
    with pytest.raises(ValueError, match="top must be"):
        contrast(model, VOCAB, "me want ", "me love ", "cookie", top=0)
    with pytest.raises(ValueError, match="too long"):
        contrast(model, VOCAB, "me " * 700, "me love ", "cookie")


def test_shipped_model_keeps_want_apart_from_love_through_cookie(pretrained):
    ranked = pretrained.contrast("me want ", "me love ", "cookie")
    assert len(ranked) == 2 * 128
    top = ranked[:5]
    print("top units, c, 'me want ' vs 'me love ' + 'cookie':", top)
    # c of some units stays far apart all through "cookie" while most barely differ.
    median = ranked[len(ranked) // 2][2]
    assert top[0][2] > 1.0 and top[4][2] > 5 * median
    np.testing.assert_allclose(
        [s for _, _, s in top],
        [reference_contrast(pretrained.model, "me want ", "me love ", "cookie", "c", pretrained.vocab)[la - 1, u - 1]
         for la, u, _ in top], atol=1e-5)


# --- saliency -------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_saliency_equals_autograd_through_torch_modules(cell):
    model = small_model(cell).train()  # dropout on: saliency must turn it off, and back on after
    text = "me want cookie\nme see"
    S = saliency(model, VOCAB, text)
    assert model.training
    T = len(text) - 1
    assert S.shape == (T, T) and S.dtype == np.float32
    np.testing.assert_allclose(S, reference_saliency(model, text), atol=1e-5)
    np.testing.assert_allclose(S.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(np.triu(S, k=1) == 0)
    assert S[0, 0] == pytest.approx(1.0)


def test_saliency_in_window_mode_gives_nothing_before_the_window():
    model = small_model()
    text = "me want cookie\nme"
    S = saliency(model, VOCAB, text, mode="window")  # seq_length 6
    np.testing.assert_allclose(S, reference_saliency(model, text, window=6), atol=1e-5)
    assert np.all(S[10, :5] == 0) and np.all(S[10, 5:11] > 0)


def test_saliency_rows_in_several_chunks_equal_one_chunk(monkeypatch):
    module = importlib.import_module("babylm.analysis.saliency")  # the package's name is the function

    model = small_model()
    text = "me want cookie\nme see doggy\n"
    whole = saliency(model, VOCAB, text)
    monkeypatch.setattr(module, "CHUNK_STEPS", 40)  # a few rows per batch
    np.testing.assert_allclose(saliency(model, VOCAB, text), whole, atol=1e-6)


def test_saliency_refuses_bad_input_with_a_message():
    model = small_model()
    with pytest.raises(ValueError, match="at least 2 characters"):
        saliency(model, VOCAB, "m")
    with pytest.raises(ValueError, match=f"too long for saliency .* limit is {MAX_SALIENCY_TEXT}"):
        saliency(model, VOCAB, "me want cookie\n" * 40)
    with pytest.raises(ValueError, match="never seen"):
        saliency(model, VOCAB, "me want pizza")
    with pytest.raises(ValueError, match="mode must be"):
        saliency(model, VOCAB, "me want", mode="sliding")


# --- what a unit tracks -------------------------------------------------------------------------

def test_text_properties_by_hand():
    text = "me want ball\nno"
    props = text_properties(text)  # 14 steps: read text[t], next text[t+1]
    assert props["inside a word"].tolist() == [1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1]
    assert props["position within the word"].tolist() == [1, 2, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
    assert props["a space comes next"].tolist() == [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert props["start of a line"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert props["a vowel comes next"].tolist() == [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert props['after "me want"'].tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0]


def test_correlations_equal_numpy_corrcoef():
    model = small_model()
    text = "me want cookie\nme see doggy\nme want ball\nno\n"
    trace = trace_text(model, VOCAB, text)
    found = properties_of_trace(trace, "c")
    props = text_properties(text)
    c = trace.internals["c"]  # (T, L, H)
    for n, name in enumerate(found.names):
        for layer, unit in [(0, 0), (1, 7), (0, 11)]:
            expected = np.corrcoef(c[:, layer, unit], props[name])[0, 1]
            assert found.r[n, layer, unit] == pytest.approx(expected, abs=1e-6)
    # A hand-built property the API did not define, through the same function.
    built = np.array([ch in "mw" for ch in text[:-1]], dtype=float)[:, None]  # (T, 1)
    r = correlations(c[:, 1].astype(np.float64), built)  # (1, H)
    np.testing.assert_allclose(r[0], [np.corrcoef(c[:, 1, j], built[:, 0])[0, 1] for j in range(12)],
                               atol=1e-6)
    best = found.best(2, 8)
    assert best[0] in found.names
    assert found.describe(2, 8) == f"best match: {best[0]} (r = {best[1]:.2f})"
    assert abs(best[1]) == pytest.approx(np.nanmax(np.abs(found.r[:, 1, 7])))


def test_a_constant_property_has_no_correlation():
    model = small_model()
    props = unit_properties(model, VOCAB, "me see doggy\n")  # no "me want": that r is undefined
    n = props.names.index('after "me want"')
    assert np.isnan(props.r[n]).all()
    assert props.best(1, 1)[0] != 'after "me want"'
    ranked = props.ranked("inside a word", top=3)
    assert len(ranked) == 3 and abs(ranked[0][2]) >= abs(ranked[2][2])


def test_read_unit_holds_the_traces_values_and_its_extremes():
    model = small_model()
    text = "me want cookie\nme see doggy\nme want ball\n"
    reading = read_unit(model, VOCAB, text, layer=2, unit=5, state="h", k=3)
    trace = trace_text(model, VOCAB, text)
    np.testing.assert_array_equal(reading.values, trace.internals["h"][:, 1, 4])
    assert reading.text == text[:-1]
    assert reading.most[0].value == pytest.approx(reading.values.max())
    assert reading.least[0].value == pytest.approx(reading.values.min())
    for ctx in reading.most + reading.least:
        assert ctx.char == text[ctx.t] and ctx.value == reading.values[ctx.t]
        assert (ctx.left + ctx.char + ctx.right) in text
    spots = [ctx.t for ctx in reading.most]
    assert all(abs(a - b) >= 5 for a in spots for b in spots if a != b)


def test_units_refuse_bad_input_with_a_message():
    model = small_model()
    with pytest.raises(ValueError, match="unit must be a whole number from 1 to 12"):
        read_unit(model, VOCAB, "me want cookie", layer=1, unit=0)
    with pytest.raises(ValueError, match="layer must be a whole number from 1 to 2"):
        read_unit(model, VOCAB, "me want cookie", layer=3, unit=1)
    with pytest.raises(ValueError, match="has no internal 'z'"):
        unit_properties(model, VOCAB, "me want cookie", state="z")
    with pytest.raises(ValueError, match="no property 'color'"):
        unit_properties(model, VOCAB, "me want cookie").ranked("color")
    with pytest.raises(ValueError, match="at least 2 characters"):
        text_properties("m")


# --- the facade -----------------------------------------------------------------------------------

def test_api_wrappers_on_the_shipped_model(pretrained, tmp_path):
    trace = pretrained.trace("me want cookie\n")
    assert len(trace) == 14 and trace.shape == (14, 2, 128)
    S = pretrained.saliency("me want cookie\n")
    assert S.shape == (14, 14)
    np.testing.assert_allclose(S, saliency(pretrained.model, pretrained.vocab, "me want cookie\n"))
    assert pretrained.contrast("me want ", "me love ", "cookie", top=2) == \
        contrast(pretrained.model, pretrained.vocab, "me want ", "me love ", "cookie")[:2]
    props = pretrained.unit_properties()  # the start of the training text
    assert props.describe(1, 1).startswith("best match: ")
    reading = pretrained.read_unit(2, 69)
    assert 1500 < len(reading.text) <= 2000 and len(reading.most) == 5
    pretrained.save(tmp_path / "m.safetensors")
    from babylm import BabyLanguageModel

    with pytest.raises(ValueError, match="no training text attached: pass text="):
        BabyLanguageModel.load(tmp_path / "m.safetensors").unit_properties()


def test_the_analyses_do_not_import_the_facade_or_streamlit():
    from pathlib import Path

    import babylm.analysis

    for path in Path(babylm.analysis.__file__).parent.glob("*.py"):
        imports = [line for line in path.read_text().splitlines() if line.lstrip().startswith(("import ", "from "))]
        assert not [line for line in imports if "streamlit" in line or "api" in line or line.startswith("from babylm ")], path
