"""The seed's Keras training recipe, rewritten in torch, as the peer for bench/train_speed.py.

The seed cuts the training text into every 15-character window, asks for the character after
each one, runs the network over the window from a zero state and scores only its last position;
batches of 32 windows, Adam at 1e-3, one epoch = every window once, shuffled. This file does the
same to a `babylm.model.CharLSTM`, so both recipes train the very same network.

It also holds the seed's way of scoring a model, `window_loss`, which the benchmark uses as the
one metric for both recipes. It lives in bench/, not in the package: it is the baseline, not a
way we recommend training.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Callable, Iterator

import torch
import torch.nn.functional as F

from babylm.data import Vocab, check_corpus, encode_tensor, split_text
from babylm.model import CharLSTM
from babylm.train import Progress


def windows(ids: torch.Tensor, seq_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of ids (N,) and the character after it: x (N-T, T), y (N-T,)."""
    x = ids.unfold(0, seq_length, 1)[:-1]  # (N-T, T); the last window has no next character
    y = ids[seq_length:]  # (N-T,)
    return x, y


@torch.no_grad()
def window_loss(model: CharLSTM, ids: torch.Tensor, seq_length: int = 15,
                batch_size: int = 1024) -> float:
    """The seed's metric: mean cross-entropy (nats per character) of each character of ids from
    the `seq_length` characters before it, read from a zero state. The first `seq_length`
    characters are not scored (they have no full window)."""
    was_training = model.training
    model.eval()
    x, y = windows(ids, seq_length)
    total = 0.0
    for b in range(0, x.size(0), batch_size):
        logits, _ = model(x[b: b + batch_size])  # (B, T, V)
        total += F.cross_entropy(logits[:, -1], y[b: b + batch_size], reduction="sum").item()
    model.train(was_training)
    return total / max(y.numel(), 1)


def seed_recipe_iter(model: CharLSTM, vocab: Vocab, text: str, *, epochs: int = 60,
                     batch_size: int = 32, learning_rate: float = 1e-3, seq_length: int = 15,
                     val_fraction: float = 0.1, patience: int = 8, seed: int = 0,
                     evaluate: Callable[[CharLSTM, torch.Tensor], float] | None = None,
                     ) -> Iterator[Progress]:
    """Train `model` the seed's way, yielding a `babylm.train.Progress` per optimiser step.

    At the end of each epoch `evaluate(model, val_ids)` (default: `window_loss`) gives the
    validation loss used for early stopping; its time is left out of `Progress.seconds`, which
    counts training only. However it ends, the model keeps its best weights, in eval mode.
    """
    check_corpus(text)
    evaluate = evaluate or (lambda m, ids: window_loss(m, ids, seq_length))
    train_text, val_text = split_text(text, val_fraction)
    x, y = windows(encode_tensor(vocab, train_text), seq_length)  # (N-T, T), (N-T,)
    val_ids = encode_tensor(vocab, val_text) if len(val_text) > seq_length else None
    torch.manual_seed(seed)  # dropout masks
    order = torch.Generator().manual_seed(seed)  # each epoch's shuffle
    model.to("cpu")
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    n_batches = math.ceil(x.size(0) / batch_size)
    best_val, best_weights, bad_epochs = math.inf, None, 0
    step, start, paused = 0, time.perf_counter(), 0.0
    try:
        for epoch in range(epochs):
            model.train()
            perm = torch.randperm(x.size(0), generator=order)
            for k in range(n_batches):
                batch = perm[k * batch_size: (k + 1) * batch_size]
                logits, _ = model(x[batch])  # (B, T, V), from a zero state
                loss = F.cross_entropy(logits[:, -1], y[batch])  # the last position only
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                val_loss = None
                if k == n_batches - 1 and val_ids is not None:
                    tick = time.perf_counter()
                    val_loss = evaluate(model, val_ids)
                    model.train()
                    if val_loss < best_val:
                        best_val, bad_epochs = val_loss, 0
                        best_weights = copy.deepcopy(model.state_dict())
                    else:
                        bad_epochs += 1
                    paused += time.perf_counter() - tick
                yield Progress(
                    epoch=epoch + (k + 1) / n_batches,
                    step=step,
                    loss=loss.item(),
                    val_loss=val_loss,
                    seconds=time.perf_counter() - start - paused,
                    best_val_loss=None if best_val == math.inf else best_val,
                )
            if patience and bad_epochs >= patience:
                break
    finally:
        if best_weights is not None:
            model.load_state_dict(best_weights)
        model.eval()
