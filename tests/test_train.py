"""Training on tiny models and a slice of the corpus: it learns, it reports, it is repeatable,
and whichever way it ends the model holds the weights with the best validation loss."""

from __future__ import annotations

import copy
import math
import types

import pytest
import torch
import torch.nn.functional as F

import babylm.train as train_module
from babylm import TrainConfig, Vocab, train_iter
from babylm.data import encode_tensor, split_text
from babylm.train import stateful_loss, streams

QUICK = dict(batch_size=8, chunk_length=32)


def loss_in_one_pass(model, ids: torch.Tensor) -> float:
    """Cross-entropy of ids[1:] given ids[:-1], read as one sequence from the zero state."""
    model.eval()
    with torch.no_grad():
        logits, _ = model(ids[:-1][None])  # (1, T, V)
    return F.cross_entropy(logits[0], ids[1:]).item()


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def snapshot(model) -> dict:
    return copy.deepcopy(model.state_dict())


def test_short_run_lowers_validation_loss(tiny_corpus, tiny_model):
    vocab = Vocab.from_text(tiny_corpus)
    model = tiny_model(vocab)
    val_ids = encode_tensor(vocab, split_text(tiny_corpus, 0.1)[1])
    before = loss_in_one_pass(model, val_ids)
    assert before == pytest.approx(math.log(len(vocab)), abs=0.3)  # untrained: about uniform

    history = list(train_iter(model, vocab, tiny_corpus, TrainConfig(epochs=8, learning_rate=1e-2, **QUICK)))
    val_losses = [p.val_loss for p in history if p.val_loss is not None]
    after = loss_in_one_pass(model, val_ids)
    assert len(val_losses) == 8
    assert val_losses[-1] < val_losses[0]
    assert after < before - 1.0
    assert history[-1].best_val_loss == min(val_losses)


def test_progress_records(tiny_corpus, tiny_model):
    vocab = Vocab.from_text(tiny_corpus)
    config = TrainConfig(epochs=3, patience=0, **QUICK)
    history = list(train_iter(tiny_model(vocab), vocab, tiny_corpus, config))

    x, _ = streams(encode_tensor(vocab, split_text(tiny_corpus, config.val_fraction)[0]), config.batch_size)
    steps_per_epoch = math.ceil(x.size(1) / config.chunk_length)
    assert len(history) == 3 * steps_per_epoch
    assert [p.step for p in history] == list(range(1, len(history) + 1))
    epochs = [p.epoch for p in history]
    assert all(a < b for a, b in zip(epochs, epochs[1:]))
    assert epochs[0] == pytest.approx(1 / steps_per_epoch)
    assert epochs[-1] == 3.0
    seconds = [p.seconds for p in history]
    assert seconds[0] >= 0 and all(a <= b for a, b in zip(seconds, seconds[1:]))
    assert all(isinstance(p.loss, float) and 0 < p.loss < 10 for p in history)

    ends = [p for p in history if p.val_loss is not None]
    assert [p.epoch for p in ends] == [1.0, 2.0, 3.0]  # validation exactly at epoch ends
    assert all(p.best_val_loss is None for p in history[: steps_per_epoch - 1])
    best = math.inf
    for p in ends:
        best = min(best, p.val_loss)
        assert p.best_val_loss == best
    assert set(history[0].to_dict()) == {"epoch", "step", "loss", "val_loss", "seconds", "best_val_loss"}


@pytest.mark.parametrize("n_chars, batch_size", [(1000, 16), (1001, 16), (997, 7), (5, 16), (2, 16)])
def test_streams_make_every_character_a_target_once(n_chars, batch_size):
    ids = torch.arange(n_chars)
    x, y = streams(ids, batch_size)
    B, n = x.shape
    remainder = (n_chars - 1) - B * n
    assert 0 <= remainder < B
    assert B <= batch_size and n >= 1
    # Each stream is a contiguous run of the text; the targets are the next characters.
    flat_inputs = [int(v) for row in x for v in row]
    assert flat_inputs == list(range(B * n))
    assert torch.equal(y, x + 1)


def test_an_epoch_scores_every_training_character_once(tiny_corpus, tiny_model, monkeypatch):
    """Count the targets the training loss actually sees (validation sums, training averages)."""
    counted = []

    def counting_cross_entropy(logits, target, reduction="mean"):
        if reduction == "mean":
            counted.append(target.numel())
        return F.cross_entropy(logits, target, reduction=reduction)

    monkeypatch.setattr(train_module, "F", types.SimpleNamespace(cross_entropy=counting_cross_entropy))
    vocab = Vocab.from_text(tiny_corpus)
    config = TrainConfig(epochs=1, **QUICK)
    list(train_iter(tiny_model(vocab), vocab, tiny_corpus, config))
    n_train = len(split_text(tiny_corpus, config.val_fraction)[0])
    assert n_train - 1 - config.batch_size < sum(counted) <= n_train - 1


def test_same_seed_same_weights(tiny_corpus, tiny_model):
    vocab = Vocab.from_text(tiny_corpus)
    config = TrainConfig(epochs=2, seed=3, **QUICK)
    runs = []
    for run, seed in enumerate((3, 3, 4)):
        model = tiny_model(vocab, num_layers=2, dropout=0.3)  # dropout masks must repeat too
        torch.rand(run + 1)  # whatever ran before, the seed alone decides
        history = list(train_iter(model, vocab, tiny_corpus, TrainConfig(**{**config.__dict__, "seed": seed})))
        runs.append((snapshot(model), [p.loss for p in history]))
    assert same_weights(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    assert not same_weights(runs[0][0], runs[2][0])


def test_breaking_out_leaves_the_best_weights_in_eval_mode(tiny_corpus, tiny_model):
    vocab = Vocab.from_text(tiny_corpus)
    model = tiny_model(vocab, num_layers=2, dropout=0.2)
    at_epoch_end, val_losses = [], []
    for progress in train_iter(model, vocab, tiny_corpus, TrainConfig(epochs=50, learning_rate=1e-2, **QUICK)):
        assert model.training
        if progress.val_loss is not None:
            at_epoch_end.append(snapshot(model))
            val_losses.append(progress.val_loss)
        if progress.epoch > 4.5:
            when_stopped = snapshot(model)
            break
    best = min(range(len(val_losses)), key=val_losses.__getitem__)
    assert not model.training
    assert next(model.parameters()).device.type == "cpu"
    assert same_weights(model.state_dict(), at_epoch_end[best])
    assert not same_weights(model.state_dict(), when_stopped)
    val_ids = encode_tensor(vocab, split_text(tiny_corpus, 0.1)[1])
    assert stateful_loss(model, val_ids) == pytest.approx(val_losses[best], abs=1e-6)


def test_early_stopping_ends_patience_epochs_after_the_best(tiny_corpus, tiny_model):
    text = tiny_corpus[:900]
    vocab = Vocab.from_text(text)
    model = tiny_model(vocab, hidden_size=96, embedding_dim=16)
    config = TrainConfig(epochs=300, learning_rate=2e-2, patience=2, val_fraction=0.2, **QUICK)
    at_epoch_end, val_losses = [], []
    for progress in train_iter(model, vocab, text, config):
        if progress.val_loss is not None:
            at_epoch_end.append(snapshot(model))
            val_losses.append(progress.val_loss)
    assert len(val_losses) < config.epochs  # it overfits and stops
    best = min(range(len(val_losses)), key=val_losses.__getitem__)
    assert len(val_losses) == best + 1 + config.patience
    assert all(v >= val_losses[best] for v in val_losses[best + 1:])
    assert same_weights(model.state_dict(), at_epoch_end[best])
    assert not model.training


def test_patience_zero_never_stops_early_and_no_validation_keeps_the_last_weights(tiny_corpus, tiny_model):
    vocab = Vocab.from_text(tiny_corpus)
    history = list(train_iter(tiny_model(vocab), vocab, tiny_corpus,
                              TrainConfig(epochs=4, learning_rate=0.5, patience=0, **QUICK)))
    assert history[-1].epoch == 4.0

    model = tiny_model(vocab)
    last = None
    for progress in train_iter(model, vocab, tiny_corpus, TrainConfig(epochs=2, val_fraction=0.0, **QUICK)):
        assert progress.val_loss is None and progress.best_val_loss is None
        last = snapshot(model)
    assert same_weights(model.state_dict(), last)


def test_train_config_defaults_and_bad_values():
    config = TrainConfig()
    assert (config.epochs, config.batch_size, config.chunk_length, config.val_fraction) == (150, 32, 16, 0.1)
    for field, value in [("epochs", 0), ("epochs", 2.5), ("epochs", "10"), ("learning_rate", 0),
                         ("learning_rate", "fast"), ("batch_size", 0), ("chunk_length", 1),
                         ("grad_clip", 0), ("val_fraction", 0.5), ("patience", -1), ("seed", "a")]:
        with pytest.raises(ValueError, match=field):
            TrainConfig(**{field: value})
