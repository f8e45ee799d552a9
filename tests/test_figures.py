"""What the player draws is the model's own numbers: the payload's frames are checked against
torch's nn.LSTM run independently on the same text, and the figure builders on plain NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from babylm import figures
from babylm.player import payload, trajectory


def flat(z) -> np.ndarray:
    """A grid (rows, cols) of values with None padding back to a vector."""
    return np.array([v for row in z for v in row if v is not None], dtype=float)


@pytest.fixture(scope="module")
def generation(pretrained):
    steps = list(pretrained.generate_steps("me want ", 30, seed=5, temperature=0.8))
    traj = trajectory(steps)
    return traj, payload(traj, pretrained.itos, k=10)


def independent_states(baby, text: str):
    """h and c of every layer after every character, from torch's nn.LSTM one layer at a time."""
    model = baby.model
    ids = torch.tensor([baby.vocab.encode(text)])
    x = model.embedding(ids)  # (1, T, E)
    hs, cs = [], []
    with torch.no_grad():
        for k in range(model.config.num_layers):
            layer = torch.nn.LSTM(x.size(-1), model.config.hidden_size, batch_first=True)
            layer.load_state_dict({f"{name}_l0": getattr(model.lstm, f"{name}_l{k}") for name in
                                   ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
            state, h_seq, c_seq = None, [], []
            for t in range(x.size(1)):
                _, state = layer(x[:, t: t + 1], state)
                h_seq.append(state[0][0, 0].numpy())
                c_seq.append(state[1][0, 0].numpy())
            hs.append(np.stack(h_seq))
            cs.append(np.stack(c_seq))
            x = torch.from_numpy(np.stack(h_seq))[None]  # (1, T, H) feeds the next layer
    return np.stack(hs, axis=1), np.stack(cs, axis=1)  # (T, L, H)


def test_state_frames_are_nn_lstm_states(pretrained, generation):
    traj, data = generation
    h, c = independent_states(pretrained, "".join(traj.inputs))
    frames = data["figures"]["state"]["frames"]
    layers = h.shape[1]
    for t in range(len(traj)):
        for k in range(layers):
            np.testing.assert_allclose(flat(frames[t]["data"][k]["z"]), h[t, k], atol=1e-3)
            np.testing.assert_allclose(flat(frames[t]["data"][layers + k]["z"]), c[t, k], atol=1e-3)


def test_top_k_frames_are_the_models_softmax(pretrained, generation):
    traj, data = generation
    text = "".join(traj.inputs)
    with torch.no_grad():
        logits, _ = pretrained.model(torch.tensor([pretrained.vocab.encode(text)]))
    probs = torch.softmax(logits[0], -1).numpy()  # (T, V)
    for t, frame in enumerate(data["figures"]["topk"]["frames"]):
        bars = frame["data"][0]
        best = np.argsort(-probs[t])[:10]
        assert bars["y"][:10] == pytest.approx(probs[t, best], abs=1e-4)
        assert bars["text"][:10] == [figures.visible(pretrained.itos[j]) for j in best]
        chosen = bars["marker"]["color"].index(figures.CHOSEN)
        assert bars["text"][chosen] == figures.visible(traj.outputs[t])


def test_gate_frames_recombine_into_the_cell_state(generation):
    traj, data = generation
    frames = data["figures"]["gates"]["frames"]
    layers = traj.h.shape[1]
    names = [name for name, *_ in figures.GATES]
    for t in range(1, len(traj)):
        for k in range(layers):
            gate = {n: flat(frames[t]["data"][g * layers + k]["z"]) for g, n in enumerate(names)}
            c_prev = flat(data["figures"]["state"]["frames"][t - 1]["data"][layers + k]["z"])
            c_now = flat(data["figures"]["state"]["frames"][t]["data"][layers + k]["z"])
            np.testing.assert_allclose(gate["f"] * c_prev + gate["i"] * gate["g"], c_now, atol=2e-2)


def test_history_holds_every_step_and_the_curtain_follows(generation):
    traj, data = generation
    history = data["figures"]["history"]
    steps = len(traj)
    for t in (0, steps // 2, steps - 1):
        shapes = history["frames"][t]["layout"]["shapes"]
        sheets = [s for s in shapes if s.get("fillcolor")]
        marks = [s for s in shapes if not s.get("fillcolor")]
        assert all(s["x0"] == t + 0.5 for s in sheets)
        assert len(sheets) == (0 if t == steps - 1 else len(history["data"]))
        assert all(s["x0"] == t - 0.5 and s["x1"] == t + 0.5 for s in marks)


def test_history_figure_is_time_by_units():
    h = np.random.default_rng(0).uniform(-1, 1, (7, 2, 5))
    c = h * 3
    fig = figures.history_figure(h, c, list("me want"), c_max=3.0)
    assert len(fig.data) == 4
    np.testing.assert_allclose(np.asarray(fig.data[1].z), np.round(h[:, 1, :].T, 3))
    np.testing.assert_allclose(np.asarray(fig.data[2].z), np.round(c[:, 0, :].T, 3))
    assert list(fig.layout.xaxis.ticktext) == ["m", "e", "␣", "w", "a", "n", "t"]


def test_c_scale_is_fixed_for_the_whole_generation(generation):
    traj, data = generation
    state = data["figures"]["state"]
    limits = {(d["zmin"], d["zmax"]) for d in state["data"][len(state["data"]) // 2:]}
    assert limits == {(-traj.c_max, traj.c_max)}
    assert traj.c_max >= np.percentile(np.abs(traj.c), 99) and traj.c_max >= 1
    assert all((d["zmin"], d["zmax"]) == (-1, 1) for d in state["data"][: len(state["data"]) // 2])


def test_grid_round_trips_and_pads():
    v = np.arange(20) / 10 - 1
    z = figures.grid(v, cols=8)
    assert len(z) == 3 and z[2][4:] == [None] * 4
    np.testing.assert_allclose(flat(z), np.round(v, 3))
    batch = figures.grid(np.stack([v, -v]), cols=8)
    np.testing.assert_allclose(flat(batch[1]), np.round(-v, 3))


def test_topk_bars_add_a_chosen_character_outside_the_top():
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    bars = figures.topk_bars(["a", " ", "\n", "z"], probs, chosen=3, k=2)
    assert bars["text"] == ["a", "␣", "z"]
    assert bars["y"] == [0.5, 0.3, 0.05]
    assert bars["marker"]["color"] == [figures.BAR, figures.BAR, figures.CHOSEN]


def test_loss_figure_has_both_curves():
    fig = figures.loss_figure([0.5, 1.0], [2.0, 1.5], [1.0], [1.7])
    assert [t.name for t in fig.data] == ["training loss", "validation loss"]
    assert list(fig.data[1].y) == [1.7]
