"""Every bad input ends in a ValueError whose message says what is wrong (and, where there is
one, what the limit is), never a TypeError or a torch error from deep inside."""

from __future__ import annotations

import pytest

from babylm import BABY_DATASET, BabyLanguageModel, Vocab
from babylm.data import MAX_CORPUS_CHARS, read_text, split_text
from babylm.generate import MAX_LENGTH, MAX_PROMPT

# --- corpora -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n\n  ", "empty"),
    ("m", "too short"),
    ("me want", "too short.*at least 20"),
    ("a" * 50, "one distinct character"),
    ("x" * (MAX_CORPUS_CHARS + 1), "too large.*the limit is 2,000,000"),
    ("".join(chr(0x100 + i) for i in range(300)), "300 distinct characters.*limit is 256"),
    (b"me want cookie me want cookie", "must be text"),
])
def test_bad_corpus(text, message):
    with pytest.raises(ValueError, match=message):
        BabyLanguageModel(text)


def test_bad_corpus_for_training(pretrained):
    baby = BabyLanguageModel(BABY_DATASET, hidden_size=8, num_layers=1)
    baby.build_model()
    with pytest.raises(ValueError, match="too short"):
        baby.train(epochs=1, text="me want")
    with pytest.raises(ValueError, match="never seen these characters: Z"):
        baby.train(epochs=1, text="me want cookie\nZEBRA\nme want cookie\n")


# --- prompts -------------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt, message", [
    ("me want é€", "never seen these characters: é, €"),
    ("Me want", "never seen these characters: M"),
    ("me\twant\t", r"never seen these characters: \\t"),
    ("", "prompt is empty"),
    ("m" * (MAX_PROMPT + 1), f"too long.*limit is {MAX_PROMPT}"),
    (5, "prompt must be text"),
    (None, "prompt must be text"),
])
def test_bad_prompt(pretrained, prompt, message):
    with pytest.raises(ValueError, match=message):
        pretrained.generate_text(prompt, 10)
    with pytest.raises(ValueError, match=message):
        list(pretrained.generate_steps(prompt, 10))


@pytest.mark.parametrize("length", [0, -1, MAX_LENGTH + 1, 10**9, 1.5, "5", None, True])
def test_bad_length(pretrained, length):
    with pytest.raises(ValueError, match=f"length must be a whole number from 1 to {MAX_LENGTH:,}"):
        pretrained.generate_text("me ", length)


@pytest.mark.parametrize("temperature", [-0.1, -1, float("nan"), 101, float("inf"), "hot", None])
def test_bad_temperature(pretrained, temperature):
    with pytest.raises(ValueError, match="temperature"):
        pretrained.generate_text("me ", 5, temperature=temperature)


@pytest.mark.parametrize("top_k", [0, -1, 28, 1000, 2.5, "3", True])
def test_bad_top_k(pretrained, top_k):
    with pytest.raises(ValueError, match=r"top_k must be None or 1\.\.27"):
        pretrained.generate_text("me ", 5, top_k=top_k)


@pytest.mark.parametrize("mode", ["beam", "", None, "Stateful"])
def test_bad_mode(pretrained, mode):
    with pytest.raises(ValueError, match="mode must be 'stateful' or 'window'"):
        pretrained.generate_text("me ", 5, mode=mode)
    with pytest.raises(ValueError, match="mode must be 'stateful' or 'window'"):
        pretrained.next_char_probs("me ", mode=mode)


@pytest.mark.parametrize("show_k", [0, -3, 2.5, "5"])
def test_bad_show_k(pretrained, show_k):
    with pytest.raises(ValueError, match="show_k"):
        list(pretrained.generate_steps("me ", 5, show_k=show_k))


@pytest.mark.parametrize("context, message", [
    ("", "context is empty"),
    (7, "context must be text"),
    ("me want ü", "never seen these characters: ü"),
])
def test_bad_context(pretrained, context, message):
    with pytest.raises(ValueError, match=message):
        pretrained.next_char_probs(context)


@pytest.mark.parametrize("text, message", [("m", "at least 2 characters"), ("", "at least 2"),
                                           (None, "at least 2"), ("me want Ω", "never seen")])
def test_bad_evaluation_text(pretrained, text, message):
    with pytest.raises(ValueError, match=message):
        pretrained.evaluate(text)


# --- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, message", [
    ({"hidden": 64}, "unknown model setting.*hidden"),
    ({"layers": 2, "units": 3}, "unknown model setting.*layers, units"),
    ({"vocab_size": 27}, "vocab_size is not a setting"),
    ({"hidden_size": 0}, "hidden_size must be 1..1024"),
    ({"hidden_size": "128"}, "hidden_size must be a whole number"),
    ({"num_layers": 4}, "num_layers must be 1..3"),
    ({"dropout": 1.5}, "dropout"),
])
def test_bad_model_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        BabyLanguageModel(BABY_DATASET, **settings)


@pytest.mark.parametrize("settings, message", [
    ({"lr": 0.01}, "unknown training setting.*lr"),
    ({"epoch": 3}, "unknown training setting.*epoch"),
    ({"epochs": 0}, "epochs must be 1..100000"),
    ({"epochs": 2.5}, "epochs must be a whole number"),
    ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": -1}, "learning_rate"),
    ({"val_fraction": 0.6}, "val_fraction"),
])
def test_bad_training_settings(settings, message):
    baby = BabyLanguageModel(BABY_DATASET, hidden_size=8, num_layers=1)
    baby.build_model()
    settings = {"epochs": 1, **settings}
    with pytest.raises(ValueError, match=message):
        baby.train(**settings)


def test_no_model_yet():
    baby = BabyLanguageModel(BABY_DATASET)
    for call in (lambda: baby.generate_text("me "), lambda: baby.train(epochs=1),
                 lambda: baby.evaluate("me want"), lambda: baby.next_char_probs("me"),
                 lambda: baby.save("never.safetensors")):
        with pytest.raises(ValueError, match="no model yet: call build_model"):
            call()


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="give a training text or the list of characters"):
        BabyLanguageModel()
    with pytest.raises(ValueError, match="distinct single characters"):
        BabyLanguageModel(chars=["ab", "c"])
    with pytest.raises(ValueError, match="distinct single characters"):
        BabyLanguageModel(chars="aab")
    with pytest.raises(ValueError, match="at least 2 characters"):
        BabyLanguageModel(chars="a")
    with pytest.raises(ValueError, match="never seen these characters: k"):
        BabyLanguageModel(BABY_DATASET, chars=sorted(set(BABY_DATASET) - {"k"}))
    with pytest.raises(ValueError):
        Vocab(())


# --- files and splits ----------------------------------------------------------------------------

def test_bad_text_files(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="is a folder"):
        read_text(tmp_path)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café au lait\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        read_text(latin1)


@pytest.mark.parametrize("fraction", [-0.1, 0.5, 1.0])
def test_bad_val_fraction(fraction):
    with pytest.raises(ValueError, match="val_fraction must be in"):
        split_text(BABY_DATASET, fraction)


def test_split_text_cuts_at_a_line_break():
    train, val = split_text(BABY_DATASET, 0.1)
    assert train + val == BABY_DATASET
    assert train.endswith("\n")
    assert 0.05 * len(BABY_DATASET) < len(val) <= 0.2 * len(BABY_DATASET)
