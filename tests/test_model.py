"""CharLSTM against an independent torch computation: stepping one character at a time by hand
must give what one `nn.LSTM` pass over the whole sequence gives, for every layer."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from babylm import CharLSTM, ModelConfig
from babylm.model import State

V, E, H = 23, 12, 20  # small and all different, so a transposed weight cannot go unnoticed


def random_model(num_layers: int, seed: int = 0) -> CharLSTM:
    """Weights drawn wider than torch's default init, so gates span their whole range."""
    torch.manual_seed(seed)
    model = CharLSTM(ModelConfig(vocab_size=V, embedding_dim=E, hidden_size=H, num_layers=num_layers))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.4)
    return model.eval()


def expected_keys(num_layers: int) -> set[str]:
    lstm = {f"lstm.{kind}_l{k}" for k in range(num_layers)
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    return {"embedding.weight", "head.weight", "head.bias"} | lstm


def reference_modules(model: CharLSTM) -> tuple[nn.Embedding, nn.LSTM, nn.Linear]:
    """Separate torch modules loaded from `model`'s state_dict by its documented key names."""
    config, state = model.config, model.state_dict()
    embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
    lstm = nn.LSTM(config.embedding_dim, config.hidden_size, num_layers=config.num_layers, batch_first=True)
    head = nn.Linear(config.hidden_size, config.vocab_size)
    embedding.load_state_dict({"weight": state["embedding.weight"]})
    lstm.load_state_dict({name[len("lstm."):]: t for name, t in state.items() if name.startswith("lstm.")})
    head.load_state_dict({"weight": state["head.weight"], "bias": state["head.bias"]})
    return embedding.eval(), lstm.eval(), head.eval()


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_state_dict_keys_are_plain_torch_names(num_layers):
    model = random_model(num_layers)
    assert set(model.state_dict()) == expected_keys(num_layers)
    shapes = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    assert shapes["embedding.weight"] == (V, E)
    assert shapes["lstm.weight_ih_l0"] == (4 * H, E)
    assert shapes["lstm.weight_hh_l0"] == (4 * H, H)
    assert shapes[f"lstm.weight_ih_l{num_layers - 1}"] == ((4 * H, H) if num_layers > 1 else (4 * H, E))
    assert shapes["head.weight"] == (V, H)


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_step_matches_one_nn_lstm_pass(num_layers):
    model = random_model(num_layers, seed=num_layers)
    embedding, lstm, head = reference_modules(model)
    T, B = 300, 2
    idx = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(7))  # (B, T)

    with torch.no_grad():
        out, (h_ref, c_ref) = lstm(embedding(idx))  # out (B, T, H); h, c (L, B, H)
        logits_ref = head(out)  # (B, T, V)

        state = model.initial_state(B)
        stepped_logits, top_h = [], []
        for t in range(T):
            logits, internals = model.step(idx[:, t], state)  # (B, V)
            state = State(internals.h, internals.c)
            stepped_logits.append(logits)
            top_h.append(internals.h[-1])
    stepped_logits = torch.stack(stepped_logits, dim=1)  # (B, T, V)
    top_h = torch.stack(top_h, dim=1)  # (B, T, H)

    assert state.h.shape == state.c.shape == (num_layers, B, H)
    torch.testing.assert_close(state.h, h_ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(state.c, c_ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(top_h, out, atol=1e-5, rtol=0)
    torch.testing.assert_close(stepped_logits, logits_ref, atol=1e-5, rtol=0)
    # The comparison has teeth: the state really moves and the two sequences differ.
    assert state.h.abs().max() > 0.1
    assert not torch.allclose(stepped_logits[0], stepped_logits[1])


@pytest.mark.parametrize("num_layers", [1, 3])
def test_forward_in_eval_mode_matches_reference_and_carries_state(num_layers):
    model = random_model(num_layers)
    embedding, lstm, head = reference_modules(model)
    idx = torch.randint(0, V, (3, 40), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out, (h_ref, c_ref) = lstm(embedding(idx))
        logits, state = model(idx)
        # Reading in two pieces with the state carried over equals reading in one.
        first, mid = model(idx[:, :17])
        second, end = model(idx[:, 17:], mid)
    torch.testing.assert_close(logits, head(out), atol=1e-5, rtol=0)
    torch.testing.assert_close(state.h, h_ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.cat([first, second], dim=1), logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(end.c, c_ref, atol=1e-5, rtol=0)


def test_step_from_a_nonzero_state_matches_nn_lstm():
    model = random_model(2)
    embedding, lstm, head = reference_modules(model)
    g = torch.Generator().manual_seed(3)
    h0, c0 = torch.randn(2, 1, H, generator=g), torch.randn(2, 1, H, generator=g)
    idx = torch.tensor([[4, 9, 0, 22]])
    with torch.no_grad():
        out, (h_ref, c_ref) = lstm(embedding(idx), (h0, c0))
        state = State(h0, c0)
        for t in range(idx.size(1)):
            logits, internals = model.step(idx[:, t], state)
            state = State(internals.h, internals.c)
    torch.testing.assert_close(state.h, h_ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(state.c, c_ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(logits, head(out[:, -1]), atol=1e-5, rtol=0)


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_gates_recombine_into_the_new_state(num_layers):
    model = random_model(num_layers, seed=11)
    g = torch.Generator().manual_seed(5)
    state = model.initial_state(4)
    with torch.no_grad():
        for _ in range(30):
            idx = torch.randint(0, V, (4,), generator=g)
            _, x = model.step(idx, state)
            for gate in (x.i, x.f, x.o):
                assert gate.shape == (num_layers, 4, H)
                assert gate.min() >= 0 and gate.max() <= 1
            assert x.g.min() >= -1 and x.g.max() <= 1
            torch.testing.assert_close(x.c, x.f * state.c + x.i * x.g, atol=1e-6, rtol=0)
            torch.testing.assert_close(x.h, x.o * torch.tanh(x.c), atol=1e-6, rtol=0)
            state = State(x.h, x.c)
    # Not a degenerate network: the gates use their range.
    assert x.f.min() < 0.2 and x.f.max() > 0.8


def test_gates_follow_pytorch_order_input_forget_cell_output():
    """Recompute layer 0's gates from the raw weights, slicing the 4H axis in torch's order."""
    model = random_model(1)
    state = model.initial_state(1)
    state = State(torch.randn_like(state.h), torch.randn_like(state.c))
    idx = torch.tensor([6])
    with torch.no_grad():
        _, x = model.step(idx, state)
        sd = model.state_dict()
        pre = (model.embedding.weight[6] @ sd["lstm.weight_ih_l0"].T + sd["lstm.bias_ih_l0"]
               + state.h[0, 0] @ sd["lstm.weight_hh_l0"].T + sd["lstm.bias_hh_l0"])  # (4H,)
    i, f, g, o = pre[:H], pre[H:2 * H], pre[2 * H:3 * H], pre[3 * H:]
    torch.testing.assert_close(x.i[0, 0], torch.sigmoid(i))
    torch.testing.assert_close(x.f[0, 0], torch.sigmoid(f))
    torch.testing.assert_close(x.g[0, 0], torch.tanh(g))
    torch.testing.assert_close(x.o[0, 0], torch.sigmoid(o))


def test_step_ignores_dropout_even_in_train_mode():
    model = random_model(2)
    assert model.config.dropout == 0.2  # the seed's, active in train mode
    idx = torch.tensor([3, 1])
    with torch.no_grad():
        model.eval()
        eval_logits, _ = model.step(idx, model.initial_state(2))
        model.train()
        train_logits, _ = model.step(idx, model.initial_state(2))
    assert torch.equal(eval_logits, train_logits)


def test_initial_state_is_zero_with_the_right_shape():
    model = random_model(3)
    h, c = model.initial_state(5)
    assert h.shape == c.shape == (3, 5, H)
    assert not h.any() and not c.any()


def test_model_config_defaults_are_the_seeds():
    config = ModelConfig(vocab_size=27)
    assert (config.embedding_dim, config.hidden_size, config.num_layers, config.dropout,
            config.seq_length) == (32, 128, 2, 0.2, 15)
    assert config.to_dict() == dict(vocab_size=27, embedding_dim=32, hidden_size=128, num_layers=2,
                                    dropout=0.2, seq_length=15)
    # The seed's Keras model: Embedding(27, 32), LSTM(128) x 2, Dense(27). Keras counts one bias
    # per gate where torch has two (b_ih + b_hh), hence the extra 4H per layer here.
    keras = 27 * 32 + 4 * 128 * (32 + 128 + 1) + 4 * 128 * (128 + 128 + 1) + (128 * 27 + 27)
    assert CharLSTM(config).num_parameters() == keras + 2 * 4 * 128


@pytest.mark.parametrize("field, value", [
    ("vocab_size", 1),
    ("embedding_dim", 0),
    ("embedding_dim", 10_000),
    ("hidden_size", 0),
    ("hidden_size", 1025),
    ("hidden_size", "128"),
    ("hidden_size", 1.5),
    ("num_layers", 0),
    ("num_layers", 4),
    ("num_layers", True),
    ("dropout", -0.1),
    ("dropout", 1.0),
    ("dropout", "0.2"),
    ("dropout", float("nan")),
    ("seq_length", 0),
])
def test_bad_model_config_raises_value_error_naming_the_field(field, value):
    settings = {"vocab_size": 27, field: value}
    with pytest.raises(ValueError, match=field):
        ModelConfig(**settings)


def test_model_config_is_frozen_and_hashable():
    config = ModelConfig(vocab_size=27)
    assert hash(config) == hash(ModelConfig(vocab_size=27))
    with pytest.raises(AttributeError):
        config.hidden_size = 64
