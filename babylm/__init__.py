"""babylm: a character-level LSTM language model you can watch think.

    from babylm import BabyLanguageModel, BABY_DATASET
    baby = BabyLanguageModel(BABY_DATASET)
    baby.build_model()
    baby.train(epochs=150)
    print(baby.generate_text("me want", length=50))

This package never imports streamlit: the app in `streamlit_app.py` and `babylm/app/` sits on top.
The names below are imported when first used (PEP 562), so a module that needs no torch
(`babylm.view`, reading a link) does not pay torch's two-second import: the app's first page
is drawn from a precomputed generation before torch has loaded.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "BabyLanguageModel": ".api", "BABY_DATASET": ".data", "Vocab": ".data", "Step": ".generate",
    "generate_steps": ".generate", "generate_text": ".generate", "CharLSTM": ".model",
    "CharRNN": ".model", "ModelConfig": ".model", "GenerationSettings": ".settings",
    "Trace": ".trace", "trace_generation": ".trace", "trace_text": ".trace", "Progress": ".train",
    "TrainConfig": ".train", "train_iter": ".train",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'babylm' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
