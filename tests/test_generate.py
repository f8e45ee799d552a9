"""Generation and sampling on the shipped model, checked against independent recomputations
with the model's batched forward pass (torch's nn.LSTM) rather than the hand-stepped path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from babylm import BABY_DATASET, generate_steps, generate_text
from babylm.sampling import make_generator, sample


def forward_probs(model, ids: list[int]) -> np.ndarray:
    """Softmax after each character of `ids`, read in one pass from the zero state: (T, V)."""
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))  # (1, T, V)
    return torch.softmax(logits[0], dim=-1).numpy()


def steps(baby, prompt, length, **kwargs):
    return list(generate_steps(baby.model, baby.vocab, prompt, length, **kwargs))


# --- determinism ---------------------------------------------------------------------------------

def test_same_seed_same_text_different_seeds_differ(pretrained):
    texts = [pretrained.generate_text("me want ", 120, seed=seed) for seed in range(4)]
    assert texts[0] == pretrained.generate_text("me want ", 120, seed=0)
    assert len(set(texts)) == 4


@pytest.mark.parametrize("mode", ["stateful", "window"])
def test_same_seed_same_steps(pretrained, mode):
    a = steps(pretrained, "me see ", 30, seed=5, top_k=5, mode=mode)
    b = steps(pretrained, "me see ", 30, seed=5, top_k=5, mode=mode)
    assert [s.output_char for s in a] == [s.output_char for s in b]
    assert all(np.array_equal(x.probs, y.probs) and np.array_equal(x.c, y.c) for x, y in zip(a, b))


def test_temperature_zero_is_the_argmax_chain(pretrained):
    model, vocab = pretrained.model, pretrained.vocab
    ids = vocab.encode("me love ")
    for _ in range(60):
        ids.append(int(forward_probs(model, ids)[-1].argmax()))
    expected = vocab.decode(ids)
    assert generate_text(model, vocab, "me love ", 60, temperature=0) == expected
    # Greedy ignores the seed, and the shipped model does speak baby talk.
    assert pretrained.generate_text("me love ", 60, temperature=0, seed=123) == expected
    corpus_lines = set(BABY_DATASET.splitlines())
    assert all(line in corpus_lines for line in expected.splitlines()[:-1])


# --- the Step records ----------------------------------------------------------------------------

@pytest.mark.parametrize("length", [1, 7, 50])
def test_generate_text_is_prompt_plus_exactly_length_chars(pretrained, length):
    text = pretrained.generate_text("me want", length, seed=0)
    assert text.startswith("me want")
    assert len(text) == len("me want") + length
    assert not pretrained.vocab.unknown(text)


def test_step_records(pretrained):
    prompt, length = "me want ", 20
    records = steps(pretrained, prompt, length, seed=2)
    config, vocab = pretrained.config, pretrained.vocab
    assert len(records) == len(prompt) + length - 1
    assert [s.t for s in records] == list(range(len(records)))
    text = prompt + "".join(s.output_char for s in records if not s.from_prompt)
    assert text == generate_text(pretrained.model, vocab, prompt, length, seed=2)

    for t, s in enumerate(records):
        assert s.input_char == text[t]
        assert s.output_char == text[t + 1]
        assert s.from_prompt == (t < len(prompt) - 1)
        for name in "hcifgo":
            assert getattr(s, name).shape == (config.num_layers, config.hidden_size)
        assert s.probs.shape == (len(vocab),)
        assert abs(float(s.probs.sum()) - 1) < 1e-5
        assert s.prob == pytest.approx(float(s.probs[vocab.stoi[s.output_char]]))
        assert len(s.top_k) == 10
        shown = [p for _, p in s.top_k]
        assert shown == sorted(shown, reverse=True)
        assert shown[0] == pytest.approx(float(s.probs.max()))
        assert all(p == pytest.approx(float(s.probs[vocab.stoi[ch]])) for ch, p in s.top_k)
    # The prompt's characters are read as given: "me want " yields 7 prompt records.
    assert sum(s.from_prompt for s in records) == len(prompt) - 1


def test_show_k_sets_how_many_candidates_are_listed(pretrained):
    assert len(steps(pretrained, "me", 2, show_k=3)[0].top_k) == 3
    assert len(steps(pretrained, "me", 2, top_k=4)[0].top_k) == 4
    assert len(steps(pretrained, "me", 2, show_k=1000)[0].top_k) == len(pretrained.vocab)


def test_stateful_steps_equal_one_forward_pass(pretrained):
    model, vocab = pretrained.model, pretrained.vocab
    records = steps(pretrained, "me want cookie\nme ", 60, seed=1, temperature=1.2)
    ids = vocab.encode(records[0].input_char + "".join(s.output_char for s in records))
    expected = forward_probs(model, ids[:-1])  # (T, V)
    got = np.stack([s.probs for s in records])
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)

    with torch.no_grad():
        out, (h_n, c_n) = model.lstm(model.embedding(torch.tensor([ids[:-1]])))  # out (1, T, H)
    np.testing.assert_allclose(np.stack([s.h[-1] for s in records]), out[0].numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(records[-1].h, h_n[:, 0].numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(records[-1].c, c_n[:, 0].numpy(), atol=1e-5, rtol=0)


def test_window_mode_rereads_the_last_seq_length_chars(pretrained):
    model, vocab = pretrained.model, pretrained.vocab
    window = pretrained.config.seq_length
    prompt = "grandpa read book\nme want "
    records = steps(pretrained, prompt, 40, seed=4, mode="window")
    ids = vocab.encode(prompt[0] + "".join(s.output_char for s in records))
    for t, s in enumerate(records):
        expected = forward_probs(model, ids[max(0, t + 1 - window): t + 1])[-1]
        np.testing.assert_allclose(s.probs, expected, atol=1e-5, rtol=0)
        if t + 1 > window:  # the final state equals a fresh read of the window
            with torch.no_grad():
                _, (h_n, c_n) = model.lstm(model.embedding(torch.tensor([ids[t + 1 - window: t + 1]])))
            np.testing.assert_allclose(s.c, c_n[:, 0].numpy(), atol=1e-5, rtol=0)

    # Past the window the two modes really see different things.
    stateful = forward_probs(model, ids[:-1])
    past_window = [t for t in range(window + 1, len(records))]
    assert max(np.abs(records[t].probs - stateful[t]).max() for t in past_window) > 1e-2
    # Within the window they agree.
    np.testing.assert_allclose(records[window - 1].probs, stateful[window - 1], atol=1e-5, rtol=0)


# --- what the shipped model knows ----------------------------------------------------------------

def test_pretrained_says_cookie_after_me_want_c(pretrained):
    probs = pretrained.next_char_probs("me want c")
    assert max(probs, key=probs.get) == "o"
    assert probs["o"] > 0.5
    last = steps(pretrained, "me want c", 1, temperature=0)[-1]
    assert last.top_k[0][0] == "o" and last.output_char == "o"


@pytest.mark.parametrize("mode", ["stateful", "window"])
def test_next_char_probs_cover_the_vocab_and_match_a_forward_pass(pretrained, mode):
    context = "daddy read book\nme see "
    probs = pretrained.next_char_probs(context, mode=mode)
    assert list(probs) == pretrained.itos
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    ids = pretrained.vocab.encode(context)
    if mode == "window":
        ids = ids[-pretrained.config.seq_length:]
    expected = forward_probs(pretrained.model, ids)[-1]
    np.testing.assert_allclose(list(probs.values()), expected, atol=1e-5, rtol=0)


# --- sampling ------------------------------------------------------------------------------------

def test_top_k_sampling_never_picks_outside_the_top_k(pretrained):
    picked_rank = []
    for seed in range(10):
        for s in steps(pretrained, "me ", 40, seed=seed, top_k=3, temperature=3.0):
            if not s.from_prompt:
                order = np.argsort(-s.probs)
                picked_rank.append(int(np.where(order == pretrained.vocab.stoi[s.output_char])[0][0]))
    assert max(picked_rank) <= 2
    assert set(picked_rank) == {0, 1, 2}  # at temperature 3 all three get picked


def test_sample_follows_softmax_of_logits_over_temperature():
    logits = torch.tensor([0.0, 1.0, 2.0, -1.0])
    generator = make_generator(0)
    for temperature in (0.5, 2.0):
        counts = np.bincount([sample(logits, temperature, None, generator) for _ in range(4000)], minlength=4)
        expected = np.exp(logits.numpy() / temperature)
        expected /= expected.sum()
        np.testing.assert_allclose(counts / 4000, expected, atol=0.03)


def test_sample_top_k_renormalises_over_the_k_best():
    logits = torch.tensor([0.0, 1.0, 2.0, -1.0, 0.5])
    generator = make_generator(1)
    counts = np.bincount([sample(logits, 1.0, 2, generator) for _ in range(3000)], minlength=5)
    assert counts[[0, 3, 4]].sum() == 0
    assert counts[2] / 3000 == pytest.approx(np.exp(2) / (np.exp(1) + np.exp(2)), abs=0.03)


def test_sample_greedy_and_tiny_temperatures_are_argmax():
    logits = torch.tensor([0.3, 2.0, 1.9, -4.0])
    generator = make_generator(0)
    assert sample(logits, 0, None, generator) == 1
    assert sample(logits, 5.0, 1, generator) == 1
    # A tiny temperature is all but greedy and must not overflow into NaN probabilities.
    assert all(sample(logits, t, None, generator) == 1 for t in (1e-3, 1e-40, 1e-300))


def test_generation_does_not_touch_global_rng(pretrained):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    pretrained.generate_text("me ", 30, seed=9)
    assert torch.equal(torch.rand(3), expected)


def test_sampler_draws_what_torch_multinomial_draws():
    """Generation's Sampler must give every seed the same text as torch.multinomial on the
    softmax of logits / temperature (top-k masked), draw for draw."""
    from babylm.sampling import Sampler, sampling_probs, sampling_probs_np

    rng = np.random.default_rng(0)
    for trial in range(300):
        V = int(rng.integers(2, 60))
        logits = (rng.normal(size=V) * rng.uniform(0.1, 8)).astype(np.float32)
        temperature = float(rng.choice([1e-3, 0.3, 1.0, 1.7, 20.0]))
        top_k = None if trial % 2 else int(rng.integers(1, V + 1))
        want = torch.softmax(torch.from_numpy(logits).double() / temperature, -1)
        if top_k is not None:
            kth = torch.topk(torch.from_numpy(logits), top_k).values[-1]
            want = torch.softmax((torch.from_numpy(logits).double() / temperature)
                                 .masked_fill(torch.from_numpy(logits) < kth, float("-inf")), -1)
        np.testing.assert_array_equal(sampling_probs_np(logits, temperature, top_k),
                                      sampling_probs(torch.from_numpy(logits), temperature, top_k).numpy())
        np.testing.assert_allclose(sampling_probs_np(logits, temperature, top_k), want.float().numpy(), atol=1e-6)
        seed = int(rng.integers(0, 2**63))
        reference, sampler = make_generator(seed), Sampler(seed, V)
        probs = sampling_probs(torch.from_numpy(logits), temperature, top_k)
        assert [int(torch.multinomial(probs, 1, generator=reference)) for _ in range(20)] == \
            [sampler(logits, temperature, top_k) for _ in range(20)]
