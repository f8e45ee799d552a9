"""The seed's Python API, `BabyLanguageModel`, as a thin shell over the pure pieces.

    baby = BabyLanguageModel(BABY_DATASET)
    baby.build_model()
    baby.train(epochs=150)
    print(baby.generate_text("me want", length=50))

It owns a text, its vocabulary, a `CharLSTM` and the training history; every real computation
lives in model / train / generate / checkpoint, which the app and the CLI also call directly.
"""

from __future__ import annotations

import warnings
from dataclasses import fields, replace
from pathlib import Path
from typing import Iterator

import torch

from .analysis import UnitProperties, UnitReading, contrast, read_unit, saliency, unit_properties
from .checkpoint import CheckpointNotice
from .checkpoint import load as load_checkpoint
from .checkpoint import save as save_checkpoint
from .data import ASSETS, Vocab, check_corpus, encode_tensor
from .generate import Step, check_work, generate_steps, generate_text, read_window
from .model import CharLSTM, ModelConfig
from .trace import Trace, trace_text
from .summary import MAX_CURVE
from .train import Progress, TrainConfig, check_train_request, stateful_loss, train_iter

PRETRAINED = ASSETS / "pretrained.safetensors"
# Every shipped model by name; the memory models are rebuilt by `make memory-models`.
PRETRAINED_FILES = {"baby": PRETRAINED, **{f"memory-{cell}": ASSETS / f"memory-{cell}.safetensors"
                                           for cell in ("lstm", "gru", "rnn")}}
# evaluate reads with torch's fused nn.LSTM (much faster per step than generation's step-by-step
# path): 50M unit-steps is about 200,000 characters for the seed's 2 x 128 model, seconds of CPU.
MAX_EVAL_UNIT_STEPS = 50_000_000
_TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}
CORPUS_STRETCH = 2_000  # characters of the training text a unit is read over by default


class BabyLanguageModel:
    """A character-level language model (LSTM, GRU or simple RNN): build, train, generate, look
    inside, save."""

    def __init__(self, text: str | None = None, *, chars=None, **config):
        """`text` is the training corpus; the vocabulary is `sorted(set(text))` unless `chars`
        gives it. `config` takes ModelConfig fields (embedding_dim, hidden_size, num_layers,
        dropout, seq_length, cell="lstm" | "gru" | "rnn")."""
        if text is None and chars is None:
            raise ValueError("give a training text or the list of characters (chars=...)")
        self.text = check_corpus(text) if text is not None else None
        self.vocab = Vocab(tuple(chars)) if chars is not None else Vocab.from_text(text)
        if text is not None and chars is not None and self.vocab.unknown(text):
            self.vocab.encode(text)  # raises, naming the characters chars lacks
        if "vocab_size" in config:
            raise ValueError("vocab_size is not a setting: it is the number of distinct characters")
        unknown = set(config) - {f.name for f in fields(ModelConfig)}
        if unknown:
            raise ValueError(f"unknown model setting(s): {', '.join(sorted(unknown))}")
        self.config = ModelConfig(vocab_size=len(self.vocab), **config)
        self.model: CharLSTM | None = None
        self.history: list[Progress] = []
        self.training_summary: dict = {}

    # --- names the seed and its readers use -------------------------------------------------
    @property
    def stoi(self) -> dict[str, int]:
        return self.vocab.stoi

    @property
    def itos(self) -> list[str]:
        return list(self.vocab.itos)

    @property
    def chars(self) -> list[str]:
        return list(self.vocab.itos)

    def build_model(self, seed: int = 0) -> CharLSTM:
        """Fresh weights (torch's default initialisation, seeded)."""
        torch.manual_seed(seed)
        self.model = CharLSTM(self.config).eval()
        self.history, self.training_summary = [], {}
        return self.model

    def _ready(self) -> CharLSTM:
        if self.model is None:
            raise ValueError("no model yet: call build_model() (and train) or load one first")
        return self.model

    # --- training ---------------------------------------------------------------------------
    def train_iter(self, text: str | None = None, max_seconds: float | None = None,
                   resume: bool = False, **settings) -> Iterator[Progress]:
        """Yield Progress records while training; `settings` are TrainConfig fields. With
        `max_seconds` the run ends after the first step past that time (the best weights kept).

        With `resume`, a trained (or loaded) model trains on from where it stopped: its records
        continue the earlier ones (epochs, steps and seconds count on, the history is kept),
        and it ends no worse on this text's held-out part than it began. Without it, the
        history restarts at epoch 0, like Keras' History. Bad settings, a step too big for
        memory, a bad time limit or a text it cannot read raise here, at the call, before the
        first step is asked for."""
        unknown = set(settings) - _TRAIN_FIELDS
        if unknown:
            raise ValueError(f"unknown training setting(s): {', '.join(sorted(unknown))}")
        text = text if text is not None else self.text
        if text is None:
            raise ValueError("no training text: pass one to train()")
        model = self._ready()
        config = TrainConfig(**settings)
        check_train_request(config, model.config, max_seconds)
        if resume and self.vocab.unknown(text):
            self.vocab.encode(text)  # raises, naming the characters this model has never seen
        return self._train_steps(model, check_corpus(text), config, max_seconds, resume)

    def _train_steps(self, model: CharLSTM, text: str, config: TrainConfig, max_seconds: float | None,
                     resume: bool) -> Iterator[Progress]:
        earlier = dict(self.training_summary) if resume else {}
        epochs, steps, seconds = (earlier.get(k, 0) for k in ("epochs", "steps", "seconds"))
        if not resume:
            self.history = []
        run: list[Progress] = []  # this run's records (a resumed history holds the earlier ones too)
        for progress in train_iter(model, self.vocab, text, config, max_seconds=max_seconds, resume=resume):
            progress = replace(progress, epoch=epochs + progress.epoch, step=steps + progress.step,
                               seconds=seconds + progress.seconds)
            self.history.append(progress)
            run.append(progress)
            self._summarise(config, earlier, run)
            yield progress

    def _summarise(self, config: TrainConfig, earlier: dict, run: list[Progress]) -> None:
        """What a checkpoint keeps of the training: totals, the last run's settings, the whole
        validation curve (a resumed run's after the one it continues, the last MAX_CURVE points
        of a long chain), and whatever else the earlier summary said (where a Keras model was
        imported from)."""
        last = self.history[-1]
        curve = earlier.get("val_curve", []) + [[round(p.epoch, 3), p.val_loss] for p in run
                                                 if p.val_loss is not None]
        self.training_summary = {
            **earlier,
            "epochs": round(last.epoch, 3),
            "steps": last.step,
            "seconds": round(last.seconds, 2),
            "best_val_loss": last.best_val_loss,
            "final_loss": last.loss,
            "config": {f.name: getattr(config, f.name) for f in fields(TrainConfig)},
            "val_curve": curve[-MAX_CURVE:],
        }

    def train(self, epochs: int = 150, verbose: bool = False, text: str | None = None,
              resume: bool = False, **settings) -> list[Progress]:
        """Train to the end (or until early stopping); returns the history of Progress records.
        `text` defaults to the one the model was made with (a loaded model has none); `resume`
        trains on from where it stopped (see train_iter)."""
        for progress in self.train_iter(text, resume=resume, epochs=epochs, **settings):
            if verbose and progress.val_loss is not None:
                print(f"epoch {progress.epoch:6.2f}  loss {progress.loss:.4f}  val {progress.val_loss:.4f}")
        return self.history

    # --- generating and looking inside --------------------------------------------------------
    def generate_steps(self, prompt: str, length: int, temperature: float = 1.0,
                       top_k: int | None = None, seed: int | None = None,
                       mode: str = "stateful", show_k: int | None = None) -> Iterator[Step]:
        return generate_steps(self._ready(), self.vocab, prompt, length, temperature=temperature,
                              top_k=top_k, seed=seed, mode=mode, show_k=show_k)

    def generate_text(self, prompt: str, length: int = 50, temperature: float = 1.0,
                      top_k: int | None = None, seed: int | None = None,
                      mode: str = "stateful") -> str:
        return generate_text(self._ready(), self.vocab, prompt, length, temperature=temperature,
                             top_k=top_k, seed=seed, mode=mode)

    @torch.no_grad()
    def next_char_probs(self, context: str, mode: str = "stateful") -> dict[str, float]:
        """The model's distribution over the whole vocabulary for the character after `context`."""
        if not isinstance(context, str):
            raise ValueError(f"context must be text, got {type(context).__name__}")
        if context == "":
            raise ValueError("context is empty: give at least one character")
        model = self._ready()
        ids = self.vocab.encode(context)
        if mode == "window":
            ids = ids[-self.config.seq_length:]
        elif mode != "stateful":
            raise ValueError(f"mode must be 'stateful' or 'window', got {mode!r}")
        check_work(self.config, len(ids), what="this context")  # read one character at a time
        logits, _ = read_window(model, ids)
        probs = torch.softmax(logits[0], dim=-1).tolist()
        return dict(zip(self.vocab.itos, probs))

    def evaluate(self, text: str) -> float:
        """Mean cross-entropy in nats per character of predicting text[1:] (stateful)."""
        if not isinstance(text, str) or len(text) < 2:
            raise ValueError("evaluate needs a text of at least 2 characters")
        check_work(self.config, len(text), max_unit_steps=MAX_EVAL_UNIT_STEPS, what="this evaluation")
        return stateful_loss(self._ready(), encode_tensor(self.vocab, text), batch_size=1)

    def trace(self, text: str, mode: str = "stateful") -> Trace:
        """The model reads `text` (from a zero state): every step's probabilities and internals."""
        return trace_text(self._ready(), self.vocab, text, mode=mode)

    def contrast(self, prompt_a: str, prompt_b: str, continuation: str, state: str = "c",
                 top: int | None = None) -> list[tuple[int, int, float]]:
        """Units ranked by how differently they carry `continuation` after each prompt:
        (layer, unit, score) best first, numbered from 1 (see babylm.analysis.contrast)."""
        return contrast(self._ready(), self.vocab, prompt_a, prompt_b, continuation, state=state, top=top)

    def saliency(self, text: str, mode: str = "stateful"):
        """(N-1, N-1): row t says how much predicting text[t+1] leans on each character read so far
        (see babylm.analysis.saliency)."""
        return saliency(self._ready(), self.vocab, text, mode=mode)

    def _stretch(self, text: str | None) -> str:
        if text is not None:
            return text
        if self.text is None:
            raise ValueError("this model has no training text attached: pass text=...")
        return self.text[: self.text.rfind("\n", 0, CORPUS_STRETCH) + 1] or self.text[:CORPUS_STRETCH]

    def unit_properties(self, text: str | None = None, state: str = "c") -> UnitProperties:
        """Every unit's correlation with simple named properties of `text` (by default the start of
        the training text); `.describe(layer, unit)` -> "best match: inside a word (r = 0.83)"."""
        return unit_properties(self._ready(), self.vocab, self._stretch(text), state=state)

    def read_unit(self, layer: int, unit: int, text: str | None = None, state: str = "c",
                  k: int = 5) -> UnitReading:
        """One unit's value over `text` (by default the start of the training text), with the k
        contexts where it is most and least active."""
        return read_unit(self._ready(), self.vocab, self._stretch(text), layer, unit, state=state, k=k)

    # --- files ---------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        return save_checkpoint(path, self._ready(), self.vocab, self.training_summary)

    @classmethod
    def from_parts(cls, model: CharLSTM, vocab: Vocab, training: dict | None = None,
                   text: str | None = None) -> "BabyLanguageModel":
        baby = cls.__new__(cls)
        baby.text, baby.vocab, baby.config = text, vocab, model.config
        baby.model, baby.history, baby.training_summary = model, [], dict(training or {})
        return baby

    @classmethod
    def load(cls, path: str | Path) -> "BabyLanguageModel":
        """A checkpoint saved by babylm; a training-summary field that is not what it claims to
        be is dropped with a UserWarning naming it (the weights are checked, never dropped)."""
        model, vocab, meta = load_checkpoint(path)
        for notice in meta["notices"]:
            warnings.warn(notice, CheckpointNotice, stacklevel=2)
        return cls.from_parts(model, vocab, meta.get("training"))

    @classmethod
    def from_keras(cls, path: str | Path, text: str | None = None, chars=None) -> "BabyLanguageModel":
        """A model saved by the seed's Keras script (.keras or .h5); the vocabulary comes from
        the text it was trained on or from `chars`, since Keras files do not store it."""
        from .keras_import import from_keras  # h5py is only needed here

        return from_keras(path, text=text, chars=chars)

    @staticmethod
    def pretrained_names() -> list[str]:
        """Names `pretrained` takes: "baby" (the baby-talk model, the default) and the memory-game
        models "memory-lstm", "memory-gru", "memory-rnn" (see `make memory-models`); only those
        whose file is in assets/."""
        return [name for name, path in PRETRAINED_FILES.items() if path.is_file()]

    @classmethod
    def pretrained(cls, name: str = "baby") -> "BabyLanguageModel":
        """A model shipped in assets/: "baby" was trained on BABY_DATASET, the memory models on
        the memory game (assets/memory_game.txt)."""
        if name not in PRETRAINED_FILES:
            raise ValueError(f"no pretrained model named {name!r}: choose one of "
                             f"{', '.join(PRETRAINED_FILES)}")
        baby = cls.load(PRETRAINED_FILES[name])
        if name == "baby":
            from .data import BABY_DATASET

            baby.text = BABY_DATASET
        else:
            baby.text = (ASSETS / "memory_game.txt").read_text(encoding="utf-8")
        return baby

    def __repr__(self) -> str:
        c = self.config
        state = "untrained" if not self.training_summary else f"trained {self.training_summary.get('epochs')} epochs"
        return (f"BabyLanguageModel(vocab={len(self.vocab)}, embedding={c.embedding_dim}, "
                f"hidden={c.hidden_size}, layers={c.num_layers}, {state})")

