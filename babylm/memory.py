"""Memory reach: how well a model still knows, `distance` characters later, which animal it saw.

For each distance, `memory_reach` reads held-out memory-game lines cut right after "it say "
(`memory_game.probe_lines`: animals in equal turns, fillers from their own seeded stream, never
from the training game) and averages the probability the model gives to the correct sound's
first letter (m for kitty's meow, w, q, o). 1 means it remembers; 0.25 is what a model that knows
a sound is coming but forgot the animal gets by spreading its bet over the four.

Two modes, as in generation:
- "stateful": read the whole line from a zero state, carrying the state (batched: one `forward`
  over all lines of a distance, since they have equal lengths);
- "window": the seed's way, re-read only the last `seq_length` characters from a zero state.

Each probe starts with a line break, as a line in the game does (it follows the previous line's).
This module takes anything with `.model` (a CharRNN) and `.vocab`; it does not import the facade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .memory_game import ALPHABET, ANIMALS, line, probe_lines

DISTANCES = (0, 10, 20, 40, 60, 80, 100)
MAX_N = 10_000  # lines per distance at most: one batch of them is read at once
DEFAULT_N = 200  # lines per distance: 50 per animal; the mean's standard error is then <= 0.035


@dataclass(frozen=True)
class Probes:
    """Held-out lines at one distance as ids, and each line's correct next-character id."""

    ids: torch.Tensor  # (n, T) character ids, all lines the same length
    target: torch.Tensor  # (n,) id of the sound's first letter


def make_probes(vocab, distance: int, n: int = DEFAULT_N, seed: int = 1_000_003) -> Probes:
    pairs = probe_lines(distance, n, seed)
    ids = torch.tensor([vocab.encode("\n" + prompt) for _, prompt in pairs])  # (n, T)
    target = torch.tensor([vocab.stoi[ANIMALS[animal][0]] for animal, _ in pairs])  # (n,)
    return Probes(ids, target)


@torch.no_grad()
def probe_probs(model, probes: Probes, mode: str = "stateful") -> np.ndarray:
    """(n,) probability of the correct first letter at the end of each probe line."""
    if mode == "window":
        ids = probes.ids[:, -model.config.seq_length:]  # (n, W): what the seed's window re-reads
    elif mode == "stateful":
        ids = probes.ids
    else:
        raise ValueError(f"mode must be 'stateful' or 'window', got {mode!r}")
    was_training = model.training
    model.eval()
    device = model.head.weight.device
    logits, _ = model(ids.to(device))  # (n, T, V)
    model.train(was_training)
    probs = torch.softmax(logits[:, -1].float(), dim=-1)  # (n, V)
    return probs.gather(1, probes.target.to(device)[:, None])[:, 0].cpu().numpy()  # (n,)


def check_distances(distances) -> list[int]:
    out = []
    for d in distances:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0 or d in (1, 2) or d > 1000:
            raise ValueError(f"a distance is a whole number of characters, 0 or 3 to 1000, got {d!r}")
        out.append(int(d))
    if not out:
        raise ValueError("give at least one distance")
    return out


def memory_reach(baby, distances=DISTANCES, mode: str = "stateful", n: int = DEFAULT_N,
                 seed: int = 1_000_003) -> np.ndarray:
    """(len(distances),) mean probability of the correct sound's first letter right after
    "it say ", over `n` held-out lines per distance. `baby` has `.model` and `.vocab` and was
    trained on the memory game (its vocabulary must hold the game's characters)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_N:
        raise ValueError(f"n must be a whole number from 1 to {MAX_N:,}, got {n!r}")
    if mode not in ("stateful", "window"):
        raise ValueError(f"mode must be 'stateful' or 'window', got {mode!r}")
    model, vocab = baby.model, baby.vocab
    if model is None:
        raise ValueError("no model yet: build, train or load one first")
    missing = vocab.unknown(ALPHABET)
    if missing:
        raise ValueError("this model was not trained on the memory game: its vocabulary lacks "
                         f"{''.join(missing)!r}; use a memory model (e.g. pretrained('memory-lstm'))")
    return np.array([probe_probs(model, make_probes(vocab, d, n, seed), mode).mean()
                     for d in check_distances(distances)], dtype=np.float64)


# --- the Memory page's curves ---------------------------------------------------------------
# Shipped model names by the label people see; the window curve is the LSTM's, re-reading 15.
CURVE_MODELS = {"LSTM": "memory-lstm", "GRU": "memory-gru", "Simple RNN": "memory-rnn"}
WINDOW_LABEL = "LSTM, 15-char window"
# Close together near the seed's window (the animal leaves it at 8 characters), then every 10.
CURVE_DISTANCES = (0, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120)


def reach_curves(models: dict, distances=CURVE_DISTANCES, n: int = DEFAULT_N) -> dict[str, list[float]]:
    """{label: reach per distance} for {label: model} (labels of CURVE_MODELS), plus the LSTM
    in the seed's window mode under WINDOW_LABEL."""
    curves = {label: memory_reach(baby, distances, n=n).tolist() for label, baby in models.items()}
    if "LSTM" in models:
        curves[WINDOW_LABEL] = memory_reach(models["LSTM"], distances, mode="window", n=n).tolist()
    return curves


# --- how much of the animal is still in the state, character by character ---------------------
@torch.no_grad()
def animal_spread(model, vocab, filler_text: str) -> tuple[str, np.ndarray]:
    """Read the same line, up to "it say ", with each of the four animals (same filler) and
    measure, after every character, how different the recurrent state is depending on the
    animal: the standard deviation across the four animals, averaged over every unit of every
    layer of the state (h, and c for an LSTM). Returns (the kitty line as read, spread (T,)): at
    the last step the model has read "it say " and must name the sound.

    Before the animal the four lines are the same, so the spread is 0; right after it, the state
    holds the animal; how much is left at "it say " is what the cell can still use. Its scale is
    each cell's own (c is unbounded, h is in [-1, 1]): compare shapes, not heights."""
    lines = ["\n" + line(animal, filler_text)[: -len(ANIMALS[animal])] for animal in ANIMALS]  # same lengths
    ids = torch.tensor([vocab.encode(text) for text in lines])  # (A, T)
    was_training = model.training
    model.eval()
    state = model.initial_state(len(lines))
    spread = []
    for t in range(ids.size(1)):
        _, state, _ = model.step(ids[:, t], state)
        every = torch.cat([s.permute(1, 0, 2).reshape(len(lines), -1) for s in state], dim=1)  # (A, N)
        spread.append(every.std(dim=0, unbiased=False).mean().item())
    model.train(was_training)
    return lines[0], np.array(spread)
