"""The seed's Python API, `BabyLanguageModel`, as its README uses it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import babylm
from babylm import BABY_DATASET, BabyLanguageModel, ModelConfig


def test_baby_dataset_is_the_baby_talk_corpus():
    lines = BABY_DATASET.splitlines()
    assert len(lines) >= 300
    for phrase in ("me want cookie", "me love mommy", "me see doggy"):
        assert phrase in BABY_DATASET
    assert BABY_DATASET.endswith("\n")  # training treats the text as a loop


def test_seed_way_2_runs_as_written():
    """The seed's example with its default model, cut to 2 epochs to stay quick."""
    from babylm import BabyLanguageModel, BABY_DATASET  # noqa: F811  (the seed's own import line)

    baby = BabyLanguageModel(BABY_DATASET)
    baby.build_model()
    history = baby.train(epochs=2)
    text = baby.generate_text("me want", length=50)
    assert isinstance(text, str) and text.startswith("me want") and len(text) == 57
    assert baby.config == ModelConfig(vocab_size=len(set(BABY_DATASET)))
    assert history[-1].epoch == 2.0 and history is baby.history
    assert baby.training_summary["epochs"] == 2.0
    assert len(baby.training_summary["val_curve"]) == 2
    assert "trained 2.0 epochs" in repr(baby)


def test_a_short_training_learns_baby_talk():
    baby = BabyLanguageModel(BABY_DATASET, hidden_size=64, num_layers=1)
    baby.build_model(seed=1)
    before = baby.evaluate(BABY_DATASET[:2000])
    baby.train(epochs=6, learning_rate=1e-2, batch_size=32)
    after = baby.evaluate(BABY_DATASET[:2000])
    assert before > 3.0 > 1.6 > after
    probs = baby.next_char_probs("me want ")
    assert max(probs, key=probs.get) != "\n"


def test_build_model_is_seeded():
    a, b = BabyLanguageModel(BABY_DATASET), BabyLanguageModel(BABY_DATASET)
    a.build_model(seed=4)
    b.build_model(seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a.model.parameters(), b.model.parameters()))
    b.build_model(seed=5)
    assert not torch.equal(a.model.head.weight, b.model.head.weight)


def test_evaluate_equals_an_independent_cross_entropy(pretrained):
    text = BABY_DATASET[:1200]  # longer than a 256-character chunk: the state must carry over
    ids = torch.tensor(pretrained.vocab.encode(text))
    with torch.no_grad():
        logits, _ = pretrained.model(ids[:-1][None])  # (1, T, V)
    log_probs = torch.log_softmax(logits[0].double(), dim=-1).numpy()
    expected = -np.mean(log_probs[np.arange(len(text) - 1), ids[1:].numpy()])
    assert pretrained.evaluate(text) == pytest.approx(expected, abs=1e-5)
    assert pretrained.evaluate(text) == pytest.approx(F.cross_entropy(logits[0], ids[1:]).item(), abs=1e-5)
    # The shipped model knows its corpus far better than chance (ln 27 = 3.3 nats).
    assert expected < 1.0


def test_pretrained_is_the_seeds_model_on_the_baby_corpus(pretrained):
    assert pretrained.text == BABY_DATASET
    assert pretrained.itos == sorted(set(BABY_DATASET)) == pretrained.chars
    assert pretrained.stoi == {ch: i for i, ch in enumerate(pretrained.itos)}
    assert pretrained.config == ModelConfig(vocab_size=len(pretrained.itos))
    assert pretrained.training_summary["best_val_loss"] < 1.0
    assert not pretrained.model.training


def test_save_and_load(pretrained, tmp_path):
    path = pretrained.save(tmp_path / "baby.safetensors")
    again = BabyLanguageModel.load(path)
    assert again.itos == pretrained.itos
    assert again.generate_text("me ", 40, seed=8) == pretrained.generate_text("me ", 40, seed=8)
    assert again.evaluate("me want cookie\n") == pretrained.evaluate("me want cookie\n")
    assert repr(again) == repr(pretrained)


def test_training_continues_from_a_loaded_model(pretrained, tmp_path):
    again = BabyLanguageModel.load(pretrained.save(tmp_path / "baby.safetensors"))
    with pytest.raises(ValueError, match="no training text"):
        again.train(epochs=1)
    history = again.train(epochs=1, text="me want cookie\nme love mommy\nme see doggy\n" * 3, batch_size=4)
    assert history[-1].epoch == 1.0
    assert not torch.equal(again.model.head.weight, pretrained.model.head.weight)


def test_train_iter_can_be_stopped(tiny_corpus):
    baby = BabyLanguageModel(tiny_corpus, hidden_size=16, num_layers=1)
    baby.build_model()
    for progress in baby.train_iter(epochs=100, batch_size=8, chunk_length=32):
        if progress.step == 3:
            break
    assert len(baby.history) == 3
    assert baby.training_summary["steps"] == 3
    assert not baby.model.training


def test_vocabulary_can_be_given_as_chars():
    baby = BabyLanguageModel(chars="\n abcdefghijklmnopqrstuvwxyz", hidden_size=8)
    baby.build_model()
    assert len(baby.vocab) == 28
    assert baby.text is None
    assert len(baby.generate_text("hello", 5, seed=0)) == 10


def test_package_exports_and_never_imports_streamlit():
    import subprocess
    import sys

    code = "import sys, babylm; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    for name in babylm.__all__:
        assert hasattr(babylm, name)


def test_pretrained_names_and_the_memory_models():
    names = BabyLanguageModel.pretrained_names()
    assert names[0] == "baby" and {"memory-lstm", "memory-gru", "memory-rnn"} <= set(names)
    assert BabyLanguageModel.pretrained().config == BabyLanguageModel.pretrained("baby").config
    sizes = set()
    for cell in ("lstm", "gru", "rnn"):
        baby = BabyLanguageModel.pretrained(f"memory-{cell}")
        assert baby.config.cell == cell
        assert baby.training_summary["seconds"] > 0  # each records its training time
        sizes.add((baby.config.hidden_size, baby.config.num_layers, baby.config.embedding_dim))
        assert baby.text.startswith("me see ")
    assert len(sizes) == 1  # the same network for every cell
    with pytest.raises(ValueError, match="no pretrained model named 'memory-lstn'.*memory-lstm"):
        BabyLanguageModel.pretrained("memory-lstn")


def test_build_and_train_a_gru_and_an_rnn(tiny_corpus):
    for cell in ("gru", "rnn"):
        baby = BabyLanguageModel(tiny_corpus, cell=cell, embedding_dim=8, hidden_size=16, num_layers=1)
        baby.build_model()
        baby.train(epochs=1, batch_size=8)
        assert baby.model.internal_names[0] == "h" and baby.config.cell == cell
        step = next(baby.generate_steps("me ", 2, seed=0))
        assert set(step.internals) == set(baby.model.internal_names)


def test_resume_counts_on_from_where_training_stopped(tiny_corpus, tmp_path):
    """Keep training: epochs, steps and seconds continue, the history and the validation curve
    are one run's, and a saved-then-loaded model resumes from its summary the same way."""
    baby = BabyLanguageModel(tiny_corpus, hidden_size=16, num_layers=1)
    baby.build_model(seed=1)
    first = list(baby.train(epochs=2, batch_size=8, chunk_length=32, patience=0))
    before = dict(baby.training_summary)
    more = baby.train(epochs=2, batch_size=8, chunk_length=32, patience=0, resume=True)[len(first):]
    assert baby.history[:len(first)] == first and baby.history[len(first):] == more
    assert [p.step for p in baby.history] == list(range(1, len(baby.history) + 1))
    assert more[0].epoch > 2 and more[-1].epoch == pytest.approx(4.0)
    assert min(p.seconds for p in more) >= before["seconds"]
    summary = baby.training_summary
    assert summary["epochs"] == pytest.approx(4.0) and summary["steps"] == len(baby.history)
    assert [e for e, _ in summary["val_curve"]] == pytest.approx([1.0, 2.0, 3.0, 4.0])
    assert summary["val_curve"][:2] == before["val_curve"]

    again = BabyLanguageModel.load(baby.save(tmp_path / "resumed.safetensors"))
    assert again.history == []  # a checkpoint keeps the summary, not every step
    later = list(again.train_iter(tiny_corpus, epochs=1, batch_size=8, chunk_length=32, patience=0, resume=True))
    assert later[0].step == summary["steps"] + 1 and later[-1].epoch == pytest.approx(5.0)
    assert [e for e, _ in again.training_summary["val_curve"]] == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0])

    baby.train(epochs=1, batch_size=8, chunk_length=32)  # without resume: a run of its own, as before
    assert baby.history[0].epoch < 1 and baby.training_summary["epochs"] == pytest.approx(1.0)


def test_resume_ends_no_worse_than_it_began(tiny_corpus):
    """A resumed run whose every epoch is worse (a wild learning rate) leaves the weights as they
    were, and says their validation loss is the best; a fresh run would keep its best epoch."""
    from babylm.data import encode_tensor, split_text
    from babylm.train import stateful_loss

    baby = BabyLanguageModel(tiny_corpus, hidden_size=16, num_layers=1)
    baby.build_model(seed=1)
    baby.train(epochs=3, batch_size=8, chunk_length=32, patience=0)
    start = {k: v.clone() for k, v in baby.model.state_dict().items()}
    val = stateful_loss(baby.model, encode_tensor(baby.vocab, split_text(tiny_corpus, 0.1)[1]))
    more = list(baby.train_iter(epochs=2, batch_size=8, chunk_length=32, patience=0, learning_rate=1.0,
                                resume=True))
    assert all(p.val_loss > val for p in more if p.val_loss is not None)  # every epoch worse
    assert all(torch.equal(start[k], v) for k, v in baby.model.state_dict().items())
    assert more[-1].best_val_loss == pytest.approx(val)


def test_resume_names_characters_the_model_has_never_seen(tiny_corpus):
    baby = BabyLanguageModel(tiny_corpus, hidden_size=16, num_layers=1)
    baby.build_model()
    with pytest.raises(ValueError, match="never seen these characters: é;"):
        baby.train_iter(tiny_corpus + "café\n", epochs=1, resume=True)  # at the call, not at the first step


def test_train_iter_refuses_at_the_call_and_resume_keeps_where_a_model_came_from(tiny_corpus):
    """A step too big for memory or a bad time limit raises when train_iter is called (the Train
    page's Keep training on an uploaded big model showed a traceback from the first step); a
    resumed Keras import keeps its summary's own fields."""
    baby = BabyLanguageModel(tiny_corpus, hidden_size=16, num_layers=1)
    baby.build_model()
    with pytest.raises(ValueError, match="max_seconds"):
        baby.train_iter(epochs=1, max_seconds=-1)
    with pytest.raises(ValueError, match="per training step"):
        baby.train_iter(epochs=1, batch_size=4096, chunk_length=4096)
    baby.training_summary = {"imported_from": "keras", "keras_version": "3.8.0", "epochs": 0}
    baby.train(epochs=1, batch_size=8, chunk_length=32, resume=True)
    assert baby.training_summary["imported_from"] == "keras" and baby.training_summary["keras_version"] == "3.8.0"
    assert baby.training_summary["epochs"] == pytest.approx(1.0)
