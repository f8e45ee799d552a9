"""Probes (a fact's probability, epoch by epoch) and the Train page's plain-words advice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from babylm import BABY_DATASET, TrainConfig, Vocab
from babylm.advice import corpus_warnings, same_as_shipped
from babylm.model import ModelConfig
from babylm.probes import DEFAULT_PROBES, Probe, ProbeLog, check_probes, measure, parse_probes
from babylm.train import train_iter


def test_parse_reads_quoted_and_bare_characters_and_escapes():
    probes = parse_probes('"o" after "me want c"\n\n  y after "me see dogg"  \n"\\n" after "me want cookie"\n'
                          '" " after "me"\n"\\"" after "say \\"hi"')
    assert probes == [Probe("o", "me want c"), Probe("y", "me see dogg"), Probe("\n", "me want cookie"),
                      Probe(" ", "me"), Probe('"', 'say "hi')]
    assert parse_probes("\n".join(str(p) for p in probes)) == probes  # str() writes what parse reads
    assert probes[2].label == "⏎ after “me want cookie”"


@pytest.mark.parametrize("text, says", [
    ("o after me want c", 'probe line 1 (\'o after me want c\') is not like "o" after "me want c"'),
    ('"o"\n"oo" after "me"', "probe line 1"),
    ('"o" after "me"\n"oo" after "me"', "probe line 2: 'oo' is not one character"),
    ('"o" after ""', "probe line 1: the context in quotes is empty"),
    ("\n".join(['"o" after "me"'] * 9), "9 probes: at most 8"),
])
def test_a_bad_probe_line_is_named(text, says):
    with pytest.raises(ValueError) as err:
        parse_probes(text)
    assert says in str(err.value)


def test_a_probe_with_a_character_the_model_lacks_is_named(pretrained):
    with pytest.raises(ValueError, match='probe "X" after "me": the model has never seen these characters: X'):
        check_probes(pretrained.vocab, [Probe("X", "me")])


def test_default_probes_parse_and_fit_the_baby_vocabulary(pretrained):
    probes = parse_probes("\n".join(DEFAULT_PROBES))
    assert len(probes) == len(DEFAULT_PROBES)
    check_probes(pretrained.vocab, probes)


def test_measure_is_the_models_softmax_read_step_by_step(pretrained):
    """measure runs torch's nn.LSTM on the whole context; next_char_probs steps the hand-written
    cell one character at a time: two computations, one answer."""
    probes = parse_probes("\n".join(DEFAULT_PROBES))
    got = measure(pretrained.model, pretrained.vocab, probes)
    want = [pretrained.next_char_probs(p.context)[p.char] for p in probes]
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert got[0] > 0.5  # the shipped model has learned "o" after "me want c"


def test_measuring_while_training_changes_nothing_that_is_learned(tiny_corpus, tiny_model):
    """Measuring between steps leaves dropout masks, data order and mode alone: same weights."""
    vocab = Vocab.from_text(tiny_corpus)
    probes = [Probe(" ", "me"), Probe("a", "me w")]
    config = TrainConfig(epochs=2, batch_size=4, chunk_length=16, seed=3)
    runs = []
    for with_probes in (False, True):
        model = tiny_model(vocab, seed=1, dropout=0.3, num_layers=2)
        for _ in train_iter(model, vocab, tiny_corpus, config):
            if with_probes:
                assert model.training
                measure(model, vocab, probes)
                assert model.training  # left in the mode it was in
        runs.append(model.state_dict())
    for name in runs[0]:
        assert torch.equal(runs[0][name], runs[1][name]), name


def test_a_probe_rises_as_a_fact_is_learned(tiny_corpus, tiny_model):
    vocab = Vocab.from_text(tiny_corpus)
    probe = [Probe(" ", "me")]  # "me" is nearly always followed by a space
    model = tiny_model(vocab, seed=0)
    log = ProbeLog(tuple(probe)).add(0, measure(model, vocab, probe))
    for progress in train_iter(model, vocab, tiny_corpus, TrainConfig(epochs=8, batch_size=8, seed=0, patience=0)):
        if progress.val_loss is not None:
            log = log.add(progress.epoch, measure(model, vocab, probe))
    series = log.series()
    assert series.shape == (1, 9) and log.epochs[0] == 0 and log.epochs[-1] == pytest.approx(8)
    assert series[0, 0] < 0.2 and series[0, -1] > 0.6


# --- advice ----------------------------------------------------------------------------------
def test_the_baby_corpus_with_defaults_gets_no_warning():
    model = ModelConfig(vocab_size=len(set(BABY_DATASET)))
    assert corpus_warnings(BABY_DATASET, model, TrainConfig()) == []


def test_a_small_corpus_says_when_and_why():
    text = BABY_DATASET[:900]
    warnings = corpus_warnings(text, ModelConfig(vocab_size=len(set(text))), TrainConfig())
    assert len(warnings) == 3
    assert "900 characters" in warnings[0] and "by heart" in warnings[0]
    assert "only 1 training step(s)" in warnings[1]
    assert "held out" in warnings[2]
    # a smaller batch and chunk fixes the steps, not the size
    fewer = corpus_warnings(text, ModelConfig(vocab_size=len(set(text))), TrainConfig(batch_size=4, chunk_length=8))
    assert len(fewer) == 2 and "step" not in fewer[0].split(".")[0]


def test_same_as_shipped_is_true_only_for_the_shipped_recipe(pretrained):
    model = pretrained.model.config
    summary = pretrained.training_summary
    assert same_as_shipped(BABY_DATASET, model, TrainConfig(), model, summary, BABY_DATASET)
    assert not same_as_shipped(BABY_DATASET, model, TrainConfig(seed=1), model, summary, BABY_DATASET)
    assert not same_as_shipped(BABY_DATASET[:-1], model, TrainConfig(), model, summary, BABY_DATASET)
    assert not same_as_shipped(BABY_DATASET, model, TrainConfig(), model, {}, BABY_DATASET)


def test_probe_figure_draws_each_probe_in_percent():
    from babylm.figures import probe_figure

    fig = probe_figure([0, 1, 2], np.array([[0.1, 0.5, 0.9], [0.0, 0.2, 0.25]]), ["o after “me want c”", "m"])
    assert [t.name for t in fig.data] == ["o after “me want c”", "m"]
    assert list(fig.data[0].y) == pytest.approx([10, 50, 90]) and list(fig.data[1].x) == [0, 1, 2]
