"""babylm: a character-level LSTM language model you can watch think.

    from babylm import BabyLanguageModel, BABY_DATASET
    baby = BabyLanguageModel(BABY_DATASET)
    baby.build_model()
    baby.train(epochs=150)
    print(baby.generate_text("me want", length=50))

This package never imports streamlit: the app in `streamlit_app.py` and `babylm/app/` sits on top.
"""

from .api import BabyLanguageModel
from .data import BABY_DATASET, Vocab
from .generate import Step, generate_steps, generate_text
from .model import CharLSTM, CharRNN, ModelConfig
from .settings import GenerationSettings
from .trace import Trace, trace_generation, trace_text
from .train import Progress, TrainConfig, train_iter

__all__ = [
    "BABY_DATASET", "BabyLanguageModel", "CharLSTM", "CharRNN", "GenerationSettings", "ModelConfig",
    "Progress", "Step", "Trace", "TrainConfig", "Vocab", "generate_steps", "generate_text",
    "trace_generation", "trace_text", "train_iter",
]
