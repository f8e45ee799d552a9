"""Training: truncated back-propagation through time on every position, as a generator.

The seed cuts the text into 15-character windows and scores only each window's last character,
so 14 of every 15 predictions are computed and thrown away. Here the training text is laid out
as `batch_size` contiguous streams; each step reads the next `chunk_length` characters of every
stream, scores every position, and carries h and c (detached) into the next step. An epoch still
means every training character has been a target once, the same count as the seed's epoch.

`train_iter` yields a `Progress` record per optimiser step, so the app and the CLI drive the same
loop and either can stop it; whatever way it ends, the model is left holding the weights with the
best validation loss, in eval mode, on the CPU.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass
from typing import Iterator

import torch
import torch.nn.functional as F

from .data import Vocab, check_corpus, encode_tensor, split_text
from .model import CharLSTM, State, check_types
from .sampling import MAX_TORCH_SEED


# One training step's activations may take this much memory (CPU RAM); settings within each
# field's own range can combine to tens of GB (batch_size 4096 x chunk_length 4096).
MAX_STEP_MEMORY_MB = 2048


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Defaults give a good baby-talk model in seconds on a laptop CPU."""

    epochs: int = 150  # upper bound; early stopping usually ends sooner
    learning_rate: float = 1e-2  # Adam; higher than the seed's 1e-3 since every step sees ~1000 targets
    # Short chunks over many streams: a step costs about chunk_length sequential LSTM steps, so
    # short chunks are cheap; 32 streams x 16 reached the seed's loss in the fewest seconds
    # (bench/train_speed.py; 64 x 16 needed as many epochs at twice the step time).
    batch_size: int = 32  # parallel streams through the text
    chunk_length: int = 16  # characters back-propagated through per step (h, c carry on)
    grad_clip: float = 1.0  # max gradient norm; LSTMs occasionally spike
    val_fraction: float = 0.1  # tail of the text held out for validation and early stopping
    patience: int = 10  # epochs without a better validation loss before stopping; 0 = never
    seed: int = 0  # same seed, same data order, same dropout masks

    def __post_init__(self):
        check_types(self, ("epochs", "batch_size", "chunk_length", "patience", "seed"),
                    ("learning_rate", "grad_clip", "val_fraction"))
        checks = [
            (1 <= self.epochs <= 100_000, f"epochs must be 1..100000, got {self.epochs}"),
            (0 < self.learning_rate <= 1, f"learning_rate must be in (0, 1], got {self.learning_rate}"),
            (1 <= self.batch_size <= 4096, f"batch_size must be 1..4096, got {self.batch_size}"),
            (2 <= self.chunk_length <= 4096, f"chunk_length must be 2..4096, got {self.chunk_length}"),
            (self.grad_clip > 0, f"grad_clip must be positive, got {self.grad_clip}"),
            (0 <= self.val_fraction < 0.5, f"val_fraction must be in [0, 0.5), got {self.val_fraction}"),
            (self.patience >= 0, f"patience must be 0 or more, got {self.patience}"),
            (0 <= self.seed <= MAX_TORCH_SEED, f"seed must be a whole number from 0 to 2**64 - 1, got {self.seed}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


@dataclass(frozen=True)
class Progress:
    """One optimiser step's report."""

    epoch: float  # training characters seen so far / training characters
    step: int  # optimiser steps so far
    loss: float  # this step's training loss (nats per character)
    val_loss: float | None  # set at the end of each epoch, else None
    seconds: float  # wall time since training started
    best_val_loss: float | None  # best validation loss so far

    def to_dict(self) -> dict:
        return asdict(self)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def streams(ids: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Lay ids (N,) out as inputs and next-character targets, each (B, n): B contiguous streams.
    Fewer streams when the text is too short for `batch_size` of them."""
    usable = ids.numel() - 1
    batch_size = max(1, min(batch_size, usable // 2))
    n = usable // batch_size
    x = ids[: batch_size * n].view(batch_size, n)
    y = ids[1: 1 + batch_size * n].view(batch_size, n)
    return x, y


@torch.no_grad()
def stateful_loss(model: CharLSTM, ids: torch.Tensor, batch_size: int = 16,
                  chunk_length: int = 256) -> float:
    """Mean cross-entropy (nats per character) of predicting ids[1:] from everything before,
    h and c carried across chunks (each of `batch_size` streams starts from a zero state)."""
    was_training = model.training
    model.eval()
    device = model.head.weight.device
    x, y = streams(ids.to(device), batch_size)
    state, total, count = None, 0.0, 0
    for t in range(0, x.size(1), chunk_length):
        logits, state = model(x[:, t: t + chunk_length], state)  # (B, T, V)
        target = y[:, t: t + chunk_length]
        total += F.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="sum").item()
        count += target.numel()
    model.train(was_training)
    return total / max(count, 1)


def step_memory_mb(config: TrainConfig, model_config) -> float:
    """About how much memory one training step's activations take, in MB. Measured on CPU (peak RSS
    growth of forward + backward; bench-style, 4 shapes): about 12 to 17 floats per layer and
    unit, and 3 per vocabulary entry, for every (stream, character) position; 17 is the high end."""
    m = model_config
    floats = 3 * m.vocab_size + 17 * m.num_layers * m.hidden_size + 2 * m.embedding_dim
    return config.batch_size * config.chunk_length * floats * 4 / 2**20


def check_train_request(config: TrainConfig, model_config, max_seconds) -> None:
    """Refuse a run whose single step would not fit in memory, or a bad time limit, up front."""
    need = step_memory_mb(config, model_config)
    if need > MAX_STEP_MEMORY_MB:
        raise ValueError(f"batch_size {config.batch_size} x chunk_length {config.chunk_length} with this model "
                         f"needs about {need:,.0f} MB per training step, over the limit of {MAX_STEP_MEMORY_MB:,} MB: "
                         "use a smaller batch_size or chunk_length")
    if max_seconds is not None and (isinstance(max_seconds, bool) or not isinstance(max_seconds, (int, float))
                                    or not 0 < max_seconds < math.inf):
        raise ValueError(f"max_seconds must be None or a positive number of seconds, got {max_seconds!r}")


def train_iter(model: CharLSTM, vocab: Vocab, text: str, config: TrainConfig = TrainConfig(),
               device: torch.device | str | None = None, max_seconds: float | None = None,
               resume: bool = False) -> Iterator[Progress]:
    """Train `model` on `text`, yielding a Progress per step. Stop by breaking out of the loop,
    or give `max_seconds`: the run then ends after the first step past that much time.

    The run ends with its best weights (lowest validation loss). With `resume`, the weights it
    starts from are the first candidate, measured on this text's validation part before the
    first step: more training of a trained model keeps only what improves it."""
    check_corpus(text)
    check_train_request(config, model.config, max_seconds)
    train_text, val_text = split_text(text, config.val_fraction)
    train_ids = encode_tensor(vocab, train_text)
    val_ids = encode_tensor(vocab, val_text) if len(val_text) >= 2 else None
    device = torch.device(device) if device is not None else default_device()
    torch.manual_seed(config.seed)  # dropout masks
    order = torch.Generator().manual_seed(config.seed)  # where each epoch's streams start
    model.to(device)
    train_ids = train_ids.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    n_train = max(train_ids.numel() - 1, 1)
    best_val, best_weights, bad_epochs = math.inf, None, 0
    if resume and val_ids is not None:
        best_val, best_weights = stateful_loss(model, val_ids), copy.deepcopy(model.state_dict())
    step, start = 0, time.perf_counter()
    try:
        for epoch in range(config.epochs):
            model.train()
            # Start the streams somewhere new each epoch; the text is a loop (it ends in a line
            # break), so rolling it keeps every character a target once per epoch.
            offset = int(torch.randint(0, n_train, (1,), generator=order))
            x, y = streams(torch.roll(train_ids, -offset), config.batch_size)  # (B, n)
            state = None
            chunks = range(0, x.size(1), config.chunk_length)
            for k, t in enumerate(chunks):
                xb, yb = x[:, t: t + config.chunk_length], y[:, t: t + config.chunk_length]
                logits, state = model(xb, state)  # (B, T, V)
                state = tuple(s.detach() for s in state)  # cut the graph between chunks
                loss = F.cross_entropy(logits.flatten(0, 1), yb.flatten())
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                step += 1
                val_loss = None
                last_of_epoch = k == len(chunks) - 1
                if last_of_epoch and val_ids is not None:
                    val_loss = stateful_loss(model, val_ids)
                    if val_loss < best_val:
                        best_val, bad_epochs = val_loss, 0
                        best_weights = copy.deepcopy(model.state_dict())
                    else:
                        bad_epochs += 1
                # One clock reading for the record and the time limit, so the record that ends
                # a run is the one that says it went past the limit.
                seconds = time.perf_counter() - start
                yield Progress(
                    epoch=epoch + (k + 1) / len(chunks),
                    step=step,
                    loss=loss.item(),
                    val_loss=val_loss,
                    seconds=seconds,
                    best_val_loss=None if best_val == math.inf else best_val,
                )
                if max_seconds is not None and seconds >= max_seconds:
                    return  # the finally clause below still restores the best weights
            if config.patience and bad_epochs >= config.patience:
                break
    except (RuntimeError, MemoryError) as err:
        if isinstance(err, RuntimeError) and "memory" not in str(err):
            raise
        raise ValueError(f"training ran out of memory at batch_size {config.batch_size} x chunk_length "
                         f"{config.chunk_length}: use smaller values or a smaller model") from None
    finally:
        if best_weights is not None:
            model.load_state_dict(best_weights)
        model.to("cpu")
        model.eval()
