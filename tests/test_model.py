"""CharRNN against an independent torch computation: stepping one character at a time by hand
must give what one pass of torch's own `nn.LSTM` / `nn.GRU` / `nn.RNN` over the whole sequence
gives, for every cell and every layer."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from babylm import CharLSTM, ModelConfig
from babylm.model import CELLS, INTERNAL_NAMES, CharRNN

V, E, H = 23, 12, 20  # small and all different, so a transposed weight cannot go unnoticed
GATES = {"lstm": 4, "gru": 3, "rnn": 1}  # torch's stacked weight blocks per cell
TORCH = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def random_model(num_layers: int, seed: int = 0, cell: str = "lstm") -> CharRNN:
    """Weights drawn wider than torch's default init, so gates span their whole range."""
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(vocab_size=V, embedding_dim=E, hidden_size=H, num_layers=num_layers,
                                cell=cell))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.4)
    return model.eval()


def expected_keys(num_layers: int, cell: str = "lstm") -> set[str]:
    rnn = {f"{cell}.{kind}_l{k}" for k in range(num_layers)
           for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    return {"embedding.weight", "head.weight", "head.bias"} | rnn


def reference_modules(model: CharRNN) -> tuple[nn.Embedding, nn.Module, nn.Linear]:
    """Separate torch modules loaded from `model`'s state_dict by its documented key names."""
    config, state = model.config, model.state_dict()
    embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
    rnn = TORCH[config.cell](config.embedding_dim, config.hidden_size, num_layers=config.num_layers,
                             batch_first=True)
    head = nn.Linear(config.hidden_size, config.vocab_size)
    prefix = config.cell + "."
    embedding.load_state_dict({"weight": state["embedding.weight"]})
    rnn.load_state_dict({name[len(prefix):]: t for name, t in state.items() if name.startswith(prefix)})
    head.load_state_dict({"weight": state["head.weight"], "bias": state["head.bias"]})
    return embedding.eval(), rnn.eval(), head.eval()


def run_reference(rnn: nn.Module, x: torch.Tensor, state=None):
    """torch's module on embedded x (B, T, E) -> out (B, T, H) and the state as a tuple."""
    if isinstance(rnn, nn.LSTM):
        out, (h, c) = rnn(x, state)
        return out, (h, c)
    out, h = rnn(x, None if state is None else state[0])
    return out, (h,)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_state_dict_keys_are_plain_torch_names(num_layers, cell):
    model = random_model(num_layers, cell=cell)
    assert set(model.state_dict()) == expected_keys(num_layers, cell)
    shapes = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    G = GATES[cell]
    assert shapes["embedding.weight"] == (V, E)
    assert shapes[f"{cell}.weight_ih_l0"] == (G * H, E)
    assert shapes[f"{cell}.weight_hh_l0"] == (G * H, H)
    assert shapes[f"{cell}.weight_ih_l{num_layers - 1}"] == ((G * H, H) if num_layers > 1 else (G * H, E))
    assert shapes["head.weight"] == (V, H)
    assert model.internal_names == INTERNAL_NAMES[cell]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_step_matches_one_torch_pass(num_layers, cell):
    model = random_model(num_layers, seed=num_layers, cell=cell)
    embedding, rnn, head = reference_modules(model)
    T, B = 300, 2
    idx = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(7))  # (B, T)

    with torch.no_grad():
        out, ref_state = run_reference(rnn, embedding(idx))  # out (B, T, H); each state (L, B, H)
        logits_ref = head(out)  # (B, T, V)

        state = model.initial_state(B)
        stepped_logits, top_h = [], []
        for t in range(T):
            logits, state, internals = model.step(idx[:, t], state)  # (B, V)
            stepped_logits.append(logits)
            top_h.append(internals["h"][-1])
    stepped_logits = torch.stack(stepped_logits, dim=1)  # (B, T, V)
    top_h = torch.stack(top_h, dim=1)  # (B, T, H)

    assert len(state) == len(ref_state) == (2 if cell == "lstm" else 1)
    for ours, ref in zip(state, ref_state):
        assert ours.shape == (num_layers, B, H)
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(top_h, out, atol=1e-5, rtol=0)
    torch.testing.assert_close(stepped_logits, logits_ref, atol=1e-5, rtol=0)
    assert set(internals) == set(INTERNAL_NAMES[cell])
    # The comparison has teeth: the state really moves and the two sequences differ.
    assert state[0].abs().max() > 0.1
    assert not torch.allclose(stepped_logits[0], stepped_logits[1])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 3])
def test_forward_in_eval_mode_matches_reference_and_carries_state(num_layers, cell):
    model = random_model(num_layers, cell=cell)
    embedding, rnn, head = reference_modules(model)
    idx = torch.randint(0, V, (3, 40), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out, ref_state = run_reference(rnn, embedding(idx))
        logits, state = model(idx)
        # Reading in two pieces with the state carried over equals reading in one.
        first, mid = model(idx[:, :17])
        second, end = model(idx[:, 17:], mid)
        embedded, _ = model.forward_embedded(model.embedding(idx))
    torch.testing.assert_close(logits, head(out), atol=1e-5, rtol=0)
    torch.testing.assert_close(embedded, logits, atol=0, rtol=0)
    torch.testing.assert_close(state[0], ref_state[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.cat([first, second], dim=1), logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(end[-1], ref_state[-1], atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_step_from_a_nonzero_state_matches_torch(cell):
    model = random_model(2, cell=cell)
    embedding, rnn, head = reference_modules(model)
    g = torch.Generator().manual_seed(3)
    state0 = tuple(torch.randn(2, 1, H, generator=g) for _ in model.initial_state(1))
    idx = torch.tensor([[4, 9, 0, 22]])
    with torch.no_grad():
        out, ref_state = run_reference(rnn, embedding(idx), state0)
        state = state0
        for t in range(idx.size(1)):
            logits, state, _ = model.step(idx[:, t], state)
    for ours, ref in zip(state, ref_state):
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(logits, head(out[:, -1]), atol=1e-5, rtol=0)


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_gates_recombine_into_the_new_state(num_layers):
    model = random_model(num_layers, seed=11)
    g = torch.Generator().manual_seed(5)
    state = model.initial_state(4)
    with torch.no_grad():
        for _ in range(30):
            idx = torch.randint(0, V, (4,), generator=g)
            _, new, x = model.step(idx, state)
            for gate in (x["i"], x["f"], x["o"]):
                assert gate.shape == (num_layers, 4, H)
                assert gate.min() >= 0 and gate.max() <= 1
            assert x["g"].min() >= -1 and x["g"].max() <= 1
            torch.testing.assert_close(x["c"], x["f"] * state[1] + x["i"] * x["g"], atol=1e-6, rtol=0)
            torch.testing.assert_close(x["h"], x["o"] * torch.tanh(x["c"]), atol=1e-6, rtol=0)
            state = new
    # Not a degenerate network: the gates use their range.
    assert x["f"].min() < 0.2 and x["f"].max() > 0.8


def test_gru_gates_recombine_into_the_new_state():
    model = random_model(2, seed=4, cell="gru")
    state = model.initial_state(3)
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for _ in range(20):
            _, new, x = model.step(torch.randint(0, V, (3,), generator=g), state)
            for gate in (x["r"], x["z"]):
                assert gate.min() >= 0 and gate.max() <= 1
            torch.testing.assert_close(x["h"], (1 - x["z"]) * x["n"] + x["z"] * state[0], atol=1e-6, rtol=0)
            state = new


def test_gates_follow_pytorch_order_input_forget_cell_output():
    """Recompute layer 0's gates from the raw weights, slicing the 4H axis in torch's order."""
    model = random_model(1)
    state = tuple(torch.randn_like(s) for s in model.initial_state(1))
    idx = torch.tensor([6])
    with torch.no_grad():
        _, _, x = model.step(idx, state)
        sd = model.state_dict()
        pre = (model.embedding.weight[6] @ sd["lstm.weight_ih_l0"].T + sd["lstm.bias_ih_l0"]
               + state[0][0, 0] @ sd["lstm.weight_hh_l0"].T + sd["lstm.bias_hh_l0"])  # (4H,)
    i, f, g, o = pre[:H], pre[H:2 * H], pre[2 * H:3 * H], pre[3 * H:]
    torch.testing.assert_close(x["i"][0, 0], torch.sigmoid(i))
    torch.testing.assert_close(x["f"][0, 0], torch.sigmoid(f))
    torch.testing.assert_close(x["g"][0, 0], torch.tanh(g))
    torch.testing.assert_close(x["o"][0, 0], torch.sigmoid(o))


def test_step_ignores_dropout_even_in_train_mode():
    model = random_model(2)
    assert model.config.dropout == 0.2  # the seed's, active in train mode
    idx = torch.tensor([3, 1])
    with torch.no_grad():
        model.eval()
        eval_logits, _, _ = model.step(idx, model.initial_state(2))
        model.train()
        train_logits, _, _ = model.step(idx, model.initial_state(2))
    assert torch.equal(eval_logits, train_logits)


def test_initial_state_is_zero_with_the_right_shape():
    model = random_model(3)
    h, c = model.initial_state(5)
    assert h.shape == c.shape == (3, 5, H)
    assert not h.any() and not c.any()


def test_model_config_defaults_are_the_seeds():
    config = ModelConfig(vocab_size=27)
    assert (config.embedding_dim, config.hidden_size, config.num_layers, config.dropout,
            config.seq_length, config.cell) == (32, 128, 2, 0.2, 15, "lstm")
    assert config.to_dict() == dict(vocab_size=27, embedding_dim=32, hidden_size=128, num_layers=2,
                                    dropout=0.2, seq_length=15, cell="lstm")
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
    ("cell", "transformer"),
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
