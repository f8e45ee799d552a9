"""Smoke test of the benchmark's peer: the seed's recipe in bench/seed_recipe.py trains, briefly.

No timings are checked here; bench/train_speed.py measures those.
"""

import itertools

import torch
import torch.nn.functional as F

from babylm.data import BABY_DATASET, Vocab, encode_tensor
from babylm.model import CharLSTM, ModelConfig
from babylm.train import Progress
from bench.seed_recipe import seed_recipe_iter, window_loss, windows

TEXT = BABY_DATASET[:1500]


def test_windows_pair_each_window_with_the_next_character():
    ids = torch.arange(20)
    x, y = windows(ids, 15)
    assert x.shape == (5, 15) and y.shape == (5,)
    assert x[0].tolist() == list(range(15)) and y[0].item() == 15
    assert x[-1].tolist() == list(range(4, 19)) and y[-1].item() == 19


def test_window_loss_matches_one_window_at_a_time():
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(0)
    model = CharLSTM(ModelConfig(vocab_size=len(vocab))).eval()
    ids = encode_tensor(vocab, TEXT[:60])
    with torch.no_grad():
        losses = [F.cross_entropy(model(ids[None, t - 15: t])[0][0, -1], ids[t]).item()
                  for t in range(15, ids.numel())]
    assert abs(window_loss(model, ids, batch_size=7) - sum(losses) / len(losses)) < 1e-5


def test_seed_recipe_yields_progress_and_lowers_the_loss():
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(0)
    model = CharLSTM(ModelConfig(vocab_size=len(vocab)))
    records = list(itertools.islice(seed_recipe_iter(model, vocab, TEXT, epochs=2), 60))
    assert len(records) == 60 and all(isinstance(r, Progress) for r in records)
    assert [r.step for r in records] == list(range(1, 61))
    assert any(r.val_loss is not None for r in records)  # an epoch here is ~42 steps
    first, last = sum(r.loss for r in records[:5]) / 5, sum(r.loss for r in records[-5:]) / 5
    assert last < first - 0.3
    assert not model.training  # stopping early still leaves the model in eval mode
