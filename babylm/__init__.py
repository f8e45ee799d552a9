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
from .model import CharLSTM, ModelConfig
from .train import Progress, TrainConfig, train_iter

__all__ = [
    "BABY_DATASET", "BabyLanguageModel", "CharLSTM", "ModelConfig", "Progress", "Step",
    "TrainConfig", "Vocab", "generate_steps", "generate_text", "train_iter",
]
