"""Shared fixtures: the shipped model (loaded once) and small corpora for quick training runs;
the browser tests' server, browser and page come from browser_support.py.

Session fixtures are shared by many tests, so tests must not train or otherwise change them.
"""

from __future__ import annotations

import pytest
import torch

from babylm import BABY_DATASET, BabyLanguageModel, CharLSTM, ModelConfig, Vocab
from browser_support import browser, chromium, page, server  # noqa: F401  (browser test fixtures)

# These models are tiny: one thread is faster than two, and far faster when the machine is busy
# (threads that wait for each other on a loaded 2-core box made single steps 50x slower).
torch.set_num_threads(1)


def cut_at_line(text: str, n_chars: int) -> str:
    """The first whole lines of `text` within about `n_chars` characters."""
    return text[: text.rfind("\n", 0, n_chars) + 1]


@pytest.fixture(scope="session")
def pretrained() -> BabyLanguageModel:
    """assets/pretrained.safetensors: the seed's 2 x 128 LSTM trained on BABY_DATASET."""
    return BabyLanguageModel.pretrained()


@pytest.fixture(scope="session")
def tiny_corpus() -> str:
    """About 2,000 characters of baby talk: enough to learn from in a few tiny epochs."""
    return cut_at_line(BABY_DATASET, 2000)


@pytest.fixture
def tiny_model():
    """Factory for a small, seeded CharLSTM, for training runs of well under a second."""

    def make(vocab: Vocab, seed: int = 0, **config) -> CharLSTM:
        settings = dict(embedding_dim=16, hidden_size=32, num_layers=1, dropout=0.0)
        settings.update(config)
        torch.manual_seed(seed)
        return CharLSTM(ModelConfig(vocab_size=len(vocab), **settings))

    return make


def pytest_collection_modifyitems(items):
    """A browser test that fails is run once more before it counts. The suite shares two cores
    with a Streamlit server and Chromium; under load a page can miss a timeout that it meets
    when the machine is quiet. A real bug fails twice; the report still lists every rerun."""
    for item in items:
        if "chromium" in item.fixturenames:
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))
