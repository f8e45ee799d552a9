"""The memory game: every line has the documented shape, the filler never names an animal or a
sound, distances cover 0 to the maximum, held-out probes are cut right before the sound, and the
shipped assets/memory_game.txt is what the generator writes."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from babylm import memory_game as game
from babylm.data import ASSETS

LINE = re.compile(r"^me see (kitty|doggy|ducky|piggy) ((?:[a-z]+ )*)it say (meow|woof|quack|oink)$")
SOUNDS = set(game.ANIMALS.values())


def parse(line: str) -> tuple[str, str, str]:
    match = LINE.match(line)
    assert match, f"not a game line: {line!r}"
    return match.groups()


@pytest.fixture(scope="module")
def text() -> str:
    return game.game_text(lines=2000, seed=3)


def test_every_line_has_the_shape_and_the_right_sound(text):
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 2001  # each line ends in a line break
    for line in lines[:-1]:
        animal, filler, sound = parse(line)
        assert game.ANIMALS[animal] == sound
        assert line.count("it say ") == 1 and line.count("me see") == 1


def test_fillers_never_hold_an_animal_a_sound_or_a_frame_word(text):
    for line in text.split("\n")[:-1]:
        _, filler, _ = parse(line)
        for word in filler.split():
            assert word in game.FILLER_WORDS
            assert word not in set(game.ANIMALS) | SOUNDS | set(game.FRAME_WORDS)
            assert not any(a[:-1] in word for a in game.ANIMALS)  # no "kitt", "dogg", "duck", "pigg"
            assert not any(s in word for s in SOUNDS)


def test_distances_cover_zero_to_the_maximum_and_animals_are_balanced(text):
    distances = Counter(len(parse(line)[1]) for line in text.split("\n")[:-1])
    assert set(distances) == set(game.possible_distances(game.MAX_DISTANCE))  # 0, 3, 4, ..., 120
    assert game.MAX_DISTANCE >= 100
    animals = Counter(parse(line)[0] for line in text.split("\n")[:-1])
    assert min(animals.values()) > 400  # about 500 each


def test_filler_length_is_independent_of_the_animal(text):
    """Nothing but the animal itself tells the sound: mean filler length per animal agrees."""
    by_animal: dict[str, list[int]] = {a: [] for a in game.ANIMALS}
    for line in text.split("\n")[:-1]:
        animal, filler, _ = parse(line)
        by_animal[animal].append(len(filler))
    means = [sum(v) / len(v) for v in by_animal.values()]
    assert max(means) - min(means) < 8  # uniform on 0..120: sd of a mean of ~500 is ~1.6


@pytest.mark.parametrize("distance", [0, 3, 4, 5, 7, 8, 9, 10, 17, 64, 100, 120, 333])
def test_filler_is_exactly_distance_characters(distance):
    rng = random.Random(distance)
    for _ in range(20):
        filler = game.filler(rng, distance)
        assert len(filler) == distance
        assert filler == "" or (filler.endswith(" ") and "  " not in filler and not filler.startswith(" "))


@pytest.mark.parametrize("distance", [-1, 1, 2])
def test_impossible_distances_are_refused(distance):
    with pytest.raises(ValueError, match="0 or at least 3"):
        game.filler(random.Random(0), distance)


def test_a_giveaway_filler_word_is_refused():
    with pytest.raises(ValueError, match="animal, a sound or a frame word"):
        game.check_filler_words(game.FILLER_WORDS + ("ducks",))
    with pytest.raises(ValueError, match="animal, a sound or a frame word"):
        game.check_filler_words(game.FILLER_WORDS + ("say",))


def test_probes_end_right_before_the_sound_and_take_animals_in_turn():
    pairs = game.probe_lines(40, 8)
    assert [a for a, _ in pairs] == list(game.ANIMALS) * 2
    for animal, prompt in pairs:
        assert prompt.endswith(" it say ")
        animal2, filler, sound = parse(prompt + game.ANIMALS[animal])
        assert animal2 == animal and len(filler) == 40
    assert game.probe_lines(40, 8) == pairs  # seeded


def test_probes_are_not_training_lines():
    shipped = set((ASSETS / "memory_game.txt").read_text().split("\n"))
    for distance in (20, 60, 100):
        for animal, prompt in game.probe_lines(distance, 200):
            assert prompt + game.ANIMALS[animal] not in shipped


def test_shipped_game_is_what_the_generator_writes():
    assert (ASSETS / "memory_game.txt").read_text(encoding="utf-8") == game.game_text()


def test_alphabet_holds_every_character_of_the_game():
    assert set(game.game_text(lines=500)) <= set(game.ALPHABET)
