"""Plain-words warnings about a training run before it starts: a corpus too small to learn much
from, and settings that reproduce the shipped model exactly. The Train page shows them; the
rules live here so they can be tested without a browser. No streamlit here.
"""

from __future__ import annotations

from .data import split_text
from .model import ModelConfig
from .train import TrainConfig

SMALL_CORPUS = 3_000  # characters: below this a class will mostly watch memorising
MIN_VAL_CHARS = 200  # held-out characters below which "validation loss" means little
MIN_STEPS_PER_EPOCH = 4  # optimiser steps; fewer and an epoch teaches almost nothing


def corpus_warnings(text: str, model: ModelConfig, train: TrainConfig) -> list[str]:
    """Why this text may be too small to learn much from, in plain words; [] when it is fine."""
    n = len(text)
    train_text, val_text = split_text(text, train.val_fraction)
    weights = (4 if model.cell == "lstm" else 3 if model.cell == "gru" else 1) * model.hidden_size * (
        model.embedding_dim + model.hidden_size) * model.num_layers
    warnings = []
    if n < SMALL_CORPUS:
        warnings.append(
            f"This text is short ({n:,} characters) for a network of about {weights:,} weights. "
            "With so little to read the model will mostly learn it by heart instead of learning "
            f"patterns, and new text it writes will be copies or noise. Aim for {SMALL_CORPUS:,} "
            "characters or more (the baby-talk corpus has about 10,000).")
    steps = (len(train_text) - 1) // max(1, train.batch_size * train.chunk_length)
    if steps < MIN_STEPS_PER_EPOCH:
        warnings.append(
            f"Each epoch is only {max(steps, 1)} training step(s): {train.batch_size} streams of "
            f"{train.chunk_length} characters cover the {len(train_text):,} training characters at once, "
            "so every epoch changes the weights very little. A smaller batch size or chunk length, "
            "or more text, gives more steps.")
    if train.val_fraction > 0 and len(val_text) < MIN_VAL_CHARS:
        warnings.append(
            f"Only {len(val_text):,} characters are held out to check progress, so the validation loss "
            "is a noisy judge and training may stop early or late by chance.")
    return warnings


def same_as_shipped(text: str, model: ModelConfig, train: TrainConfig, shipped_model: ModelConfig,
                    shipped_training: dict, shipped_text: str) -> bool:
    """True when these settings retrain the shipped model bit for bit (same text, shape and
    training settings, seed included; torch on a CPU is deterministic here)."""
    recorded = shipped_training.get("config") or {}
    ours = {k: getattr(train, k) for k in recorded}
    return (text == shipped_text and model == shipped_model and bool(recorded)
            and ours == recorded and set(recorded) == set(TrainConfig.__dataclass_fields__))
