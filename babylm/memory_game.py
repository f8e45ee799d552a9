"""The memory game: baby-talk lines where the only way to know the last word is to remember the first.

    me see kitty more nap all gone it say meow
    me see ducky it say quack

Each line is `me see {animal} {filler}it say {sound}` with kitty -> meow, doggy -> woof,
ducky -> quack, piggy -> oink. The filler is zero or more baby words, each followed by a space;
its length in characters is the line's *distance*: how far back the animal is when the model
must say its sound.

Why the sound cannot be guessed from anything but the animal:
- the filler and its length are drawn independently of the animal, so nothing in the filler
  says which animal came before (its statistics are the same for all four);
- filler words are baby words that are not an animal, an animal's sound, or one of the frame's
  words ("me", "see", "it", "say"), and contain none of those as a part ("duck", "kitty" ...),
  so "it say " appears once per line, right before the sound, and "me see" only starts a line;
- all four animals have five letters, so a line's length says nothing about its animal either.

Held out: `probe_lines` draws its fillers from a different seeded stream (and `held_out_probes`
drops any that occur in the training text), so measurements are on (animal, filler) lines the
model never trained on. At distance 0 (and at the few shortest distances) there are only a handful
of possible lines, which training has seen; that is unavoidable and harmless, since there is
nothing to remember across there.

`python -m babylm.memory_game --out assets/memory_game.txt` (or `make memory-game`) writes the
shipped game. Nothing here trains or imports torch.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

ANIMALS = {"kitty": "meow", "doggy": "woof", "ducky": "quack", "piggy": "oink"}
PREFIX = "me see "  # before the animal
ASK = "it say "  # right before the sound: where memory is measured
# Baby words from the corpus (assets/baby_corpus.txt) that give nothing away: no animals, no animal
# sounds, none of the frame's words. Lengths 2 to 7 cover every filler length from 3 up exactly.
FILLER_WORDS = (
    "up", "no", "hi", "go", "oh", "my", "uh", "do", "so", "we", "on",
    "hat", "bed", "big", "cup", "nap", "red", "run", "sad", "hug", "toy", "car", "two", "all", "hot",
    "ball", "book", "milk", "more", "nana", "soft", "sing", "snow", "rain", "moon", "wash", "jump",
    "cheese", "shoes", "happy", "juice", "teddy", "sleepy", "apple", "truck", "night", "mommy", "daddy",
    "banana", "cookie", "bubbles", "blanket", "outside", "yogurt", "noodles", "crayon", "grandma",
)
FRAME_WORDS = ("me", "see", "it", "say")
MAX_DISTANCE = 120  # the longest filler in the shipped game; measurements go to 100
SHORT_DISTANCE = 20  # half the lines are this short at most: they teach the animal-sound link first
LINES = 6000


def _forbidden() -> tuple[str, ...]:
    stems = tuple(ANIMALS) + tuple(ANIMALS.values()) + tuple(a[:-1] for a in ANIMALS) + ("dog", "pig", "kit")
    return stems


def check_filler_words(words=FILLER_WORDS) -> None:
    """Raise a ValueError if a filler word could give an animal or its sound away."""
    for word in words:
        if word in FRAME_WORDS or any(bad in word for bad in _forbidden()):
            raise ValueError(f"filler word {word!r} is or contains an animal, a sound or a frame word")
        if not word.isalpha() or not word.islower():
            raise ValueError(f"filler word {word!r} must be lowercase letters only")
    lengths = {len(w) for w in words}
    if not set(range(2, 8)) <= lengths:
        raise ValueError("filler words must include every length from 2 to 7 letters")


check_filler_words()
# Every character a game line can hold, line break included.
ALPHABET = "".join(sorted(set("\n " + PREFIX + ASK + "".join(ANIMALS) + "".join(ANIMALS.values())
                              + "".join(FILLER_WORDS))))


def filler(rng: random.Random, distance: int, words=FILLER_WORDS) -> str:
    """Random words, each followed by a space, exactly `distance` characters long (0 or >= 3)."""
    if distance < 0 or distance in (1, 2):
        raise ValueError(f"a filler is 0 or at least 3 characters long, got {distance}")
    by_length: dict[int, list[str]] = {}
    for w in words:
        by_length.setdefault(len(w) + 1, []).append(w)  # with its space
    sizes = sorted(by_length)
    out, left = [], distance
    while left:
        # Any piece that leaves 0 or a remainder still makeable (>= the shortest piece).
        fits = [s for s in sizes if s == left or left - s >= sizes[0]]
        size = rng.choice(fits)
        out.append(rng.choice(by_length[size]) + " ")
        left -= size
    return "".join(out)


def line(animal: str, filler_text: str) -> str:
    """One game line, without its line break."""
    if animal not in ANIMALS:
        raise ValueError(f"animal must be one of {', '.join(ANIMALS)}, got {animal!r}")
    return f"{PREFIX}{animal} {filler_text}{ASK}{ANIMALS[animal]}"


def possible_distances(max_distance: int) -> list[int]:
    return [d for d in range(max_distance + 1) if d not in (1, 2)]


def game_text(lines: int = LINES, max_distance: int = MAX_DISTANCE, seed: int = 0) -> str:
    """`lines` game lines, each ending in a line break. The animal is uniform; the distance,
    drawn independently of it, is uniform on 0..SHORT_DISTANCE for half the lines and on
    0..max_distance for the other half. Short lines let a model find the animal-sound link at
    all (with distances uniform on 0..120 none of the three cells had found it after 900 steps);
    long ones reward remembering it."""
    rng = random.Random(seed)
    short, every = possible_distances(min(SHORT_DISTANCE, max_distance)), possible_distances(max_distance)
    animals = list(ANIMALS)
    return "".join(line(rng.choice(animals), filler(rng, rng.choice(short if rng.random() < 0.5 else every)))
                   + "\n" for _ in range(lines))


def probe_lines(distance: int, n: int, seed: int = 1_000_003) -> list[tuple[str, str]]:
    """n (animal, prompt) pairs at one distance, the animals in equal turns; each prompt is a game
    line cut right after "it say ", so the next character is the sound's first letter. Drawn from
    their own seeded stream, apart from the training game's."""
    rng = random.Random(seed * 1009 + distance)
    animals = list(ANIMALS)
    out = []
    for k in range(n):
        animal = animals[k % len(animals)]
        out.append((animal, line(animal, filler(rng, distance))[: -len(ANIMALS[animal])]))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Write the memory game text.")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "assets" / "memory_game.txt"))
    p.add_argument("--lines", type=int, default=LINES)
    p.add_argument("--max-distance", type=int, default=MAX_DISTANCE)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    text = game_text(args.lines, args.max_distance, args.seed)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {args.lines} lines, distances 0..{args.max_distance}, {len(text):,} characters")


if __name__ == "__main__":
    main()
