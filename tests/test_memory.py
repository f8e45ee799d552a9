"""memory_reach against a slow, independent computation: `next_char_probs` steps one character at a
time through `CharRNN.step` (the window mode re-reads its window from a zero state), while
memory_reach batches all lines of a distance through `forward`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from babylm import BabyLanguageModel, CharRNN, ModelConfig, Vocab
from babylm.memory import animal_spread, memory_reach
from babylm.memory_game import ALPHABET, ANIMALS, probe_lines
from babylm.model import CELLS

VOCAB = Vocab(tuple(ALPHABET))


def tiny(cell: str, seed: int = 0) -> BabyLanguageModel:
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(vocab_size=len(VOCAB), embedding_dim=8, hidden_size=16, num_layers=2,
                                cell=cell))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)  # wider than the default, so the probabilities differ from line to line
    return BabyLanguageModel.from_parts(model.eval(), VOCAB)


def slow_reach(baby, distance: int, n: int, mode: str) -> float:
    values = [baby.next_char_probs("\n" + prompt, mode=mode)[ANIMALS[animal][0]]
              for animal, prompt in probe_lines(distance, n)]
    return float(np.mean(values))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("mode", ["stateful", "window"])
def test_reach_equals_stepping_line_by_line(cell, mode):
    baby = tiny(cell)
    distances = [0, 5, 23]
    reach = memory_reach(baby, distances, mode=mode, n=8)
    assert reach.shape == (3,)
    assert ((0 <= reach) & (reach <= 1)).all()
    expected = [slow_reach(baby, d, 8, mode) for d in distances]
    np.testing.assert_allclose(reach, expected, atol=1e-5)


def test_window_mode_cannot_see_past_its_window():
    """Once the animal is out of the 15-character window, the window reads the same characters
    whatever the animal: every animal gets the same distribution."""
    baby = tiny("lstm", seed=1)
    prompt = probe_lines(30, 1)[0][1]  # a kitty line
    same = [baby.next_char_probs("\n" + prompt.replace("kitty", a), mode="window") for a in ANIMALS]
    assert all(s == same[0] for s in same)
    stateful = [baby.next_char_probs("\n" + prompt.replace("kitty", a)) for a in ANIMALS]
    assert stateful[0] != stateful[1]  # while carried memory still differs


def test_reach_is_seeded_and_n_sets_the_sample():
    baby = tiny("gru")
    a = memory_reach(baby, [10, 40], n=12)
    assert np.array_equal(a, memory_reach(baby, [10, 40], n=12))
    assert not np.array_equal(a, memory_reach(baby, [10, 40], n=12, seed=5))


@pytest.mark.parametrize("distances, message", [([1], "distance"), ([-3], "distance"), ([], "at least one"),
                                                ([2.5], "distance"), ([True], "distance")])
def test_bad_distances(distances, message):
    with pytest.raises(ValueError, match=message):
        memory_reach(tiny("rnn"), distances, n=4)


def test_bad_mode_and_n():
    with pytest.raises(ValueError, match="mode"):
        memory_reach(tiny("rnn"), [0], mode="sideways", n=4)
    with pytest.raises(ValueError, match="n must be"):
        memory_reach(tiny("rnn"), [0], n=0)


def test_a_model_that_never_saw_the_game_is_told_so():
    torch.manual_seed(0)
    vocab = Vocab(tuple("\n abcdefghijklmnop"))  # no q, so no "quack"
    model = CharRNN(ModelConfig(vocab_size=len(vocab), embedding_dim=4, hidden_size=8)).eval()
    with pytest.raises(ValueError, match="not trained on the memory game"):
        memory_reach(BabyLanguageModel.from_parts(model, vocab), [0], n=4)


@pytest.mark.parametrize("cell", CELLS)
def test_animal_spread_equals_four_separate_traces(cell):
    """The batched spread against four one-line traces (trace_text steps one sequence at a time)."""
    from babylm.trace import trace_text

    baby = tiny(cell, seed=2)
    text, spread = animal_spread(baby.model, baby.vocab, "nap all ")
    assert text == "\nme see kitty nap all it say "
    names = ("h", "c") if cell == "lstm" else ("h",)
    states = []
    for animal in ANIMALS:
        trace = trace_text(baby.model, baby.vocab, text.replace("kitty", animal) + ANIMALS[animal][0])
        states.append(np.concatenate([trace.internals[n].reshape(len(trace), -1) for n in names], axis=1))
    expected = np.stack(states).std(axis=0).mean(axis=1)  # (T,)
    np.testing.assert_allclose(spread, expected, atol=1e-5)
    before = len("\nme see ") + 0  # until the animal's first letter differs, the lines are the same
    assert np.all(spread[:before - 1] == 0) and spread[before + 4] > 0


def test_the_pages_precomputed_curves_belong_to_the_shipped_models():
    """assets/memory_reach.json is what memory_reach gives for the shipped weights (else rebuild
    it: python bench/memory_models.py --report-only)."""
    import json

    from babylm.checkpoint import weights_digest
    from babylm.data import ASSETS
    from babylm.memory import CURVE_MODELS, WINDOW_LABEL

    data = json.loads((ASSETS / "memory_reach.json").read_text())
    models = {label: BabyLanguageModel.pretrained(name) for label, name in CURVE_MODELS.items()}
    assert data["weights"] == {label: weights_digest(b.model.state_dict()) for label, b in models.items()}
    k = data["distances"].index(40)
    for label, baby in models.items():
        assert memory_reach(baby, [40], n=data["n"])[0] == pytest.approx(data["curves"][label][k], abs=1e-4)
    window = memory_reach(models["LSTM"], [40], mode="window", n=data["n"])[0]
    assert window == pytest.approx(data["curves"][WINDOW_LABEL][k], abs=1e-4)
