"""NumpyStep, the generation loop's fast path, computes what CharRNN.step and torch's own
nn.LSTM / nn.GRU / nn.RNN compute, for every cell, to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from babylm.model import CELLS, CharRNN, ModelConfig, NumpyStep

from test_model import reference_modules, run_reference

TEXT_IDS = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4]


def model_for(cell: str, layers: int) -> CharRNN:
    torch.manual_seed(1)
    model = CharRNN(ModelConfig(vocab_size=10, embedding_dim=6, hidden_size=9, num_layers=layers, cell=cell))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)  # larger than the default init: saturating gates, c beyond 1
    return model.eval()


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 3])
def test_numpy_step_equals_step_and_torch_modules(cell, layers):
    model = model_for(cell, layers)
    fast = NumpyStep(model)
    state_np, state_t = fast.initial_state(), model.initial_state(1)
    logits_np, internals_np = [], []
    with torch.no_grad():
        for idx in TEXT_IDS:
            logits, state_np, internals = fast(idx, state_np)
            ref_logits, state_t, ref_internals = model.step(torch.tensor([idx]), state_t)
            np.testing.assert_allclose(logits, ref_logits[0].numpy(), atol=1e-5)
            assert list(internals) == list(model.internal_names)
            for name, value in internals.items():
                assert value.shape == (layers, 9) and value.dtype == np.float32
                np.testing.assert_allclose(value, ref_internals[name][:, 0].numpy(), atol=1e-5)
            logits_np.append(logits)
            internals_np.append(internals["h"][-1])
        embedding, rnn, head = reference_modules(model)
        out, final = run_reference(rnn, embedding(torch.tensor([TEXT_IDS])))  # (1, T, H)
        np.testing.assert_allclose(np.stack(internals_np), out[0].numpy(), atol=1e-5)
        np.testing.assert_allclose(np.stack(logits_np), head(out)[0].numpy(), atol=1e-5)
        for mine, theirs in zip(state_np, final):
            np.testing.assert_allclose(mine, theirs[:, 0].numpy(), atol=1e-5)


def test_the_shared_step_follows_the_weights():
    """NumpyStep.of reuses one copy per model until a weight changes in place (training,
    load_state_dict) or is replaced; then generation must see the new weights."""
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(vocab_size=7, embedding_dim=4, hidden_size=6, num_layers=2)).eval()
    first = NumpyStep.of(model)
    assert NumpyStep.of(model) is first
    with torch.no_grad():
        model.head.bias.add_(1.0)  # what an optimizer step does
    second = NumpyStep.of(model)
    assert second is not first
    np.testing.assert_allclose(second.head_b, model.head.bias.detach().numpy())
    other = CharRNN(ModelConfig(vocab_size=7, embedding_dim=4, hidden_size=6, num_layers=2))
    model.load_state_dict(other.state_dict())
    third = NumpyStep.of(model)
    assert third is not second
    np.testing.assert_allclose(third.head_w, other.head.weight.detach().numpy().T)
    model.head.weight.data = torch.zeros_like(model.head.weight)  # replaced, not changed in place
    assert not NumpyStep.of(model).head_w.any()
