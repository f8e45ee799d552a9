"""Lessons as data: every shipped lesson loads and every placeholder resolves on the shipped model;
a broken file names its bad field; placeholders quote the model's own numbers; and the story the
lessons tell still holds on the shipped model (if a retrained model breaks it, the texts need
another look)."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest
import torch

from babylm.generate import generate_text
from babylm.lesson_text import UNIT, Call, Resolver, number, parse, percent
from babylm.lessons import LESSONS_DIR, find, load_lesson, load_lessons, show_stop
from babylm.trace import trace_text


def write(tmp_path, body: str, name: str = "broken.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GOOD = """
title = "A lesson"
[settings]
prompt = "me want "
length = 10
temperature = 0
[[stop]]
step = 8
panel = "bars"
text = "After me want: {top(\\"me want \\", 2)}."
"""


# --- the shipped lessons -------------------------------------------------------------------
def test_every_shipped_lesson_loads_and_every_stop_shows_on_the_shipped_model(pretrained):
    lessons = load_lessons()
    assert {"me-want-cookie", "sampling"} <= {lesson.name for lesson in lessons}
    assert lessons[0].name == "me-want-cookie"  # lesson one comes first
    resolver = Resolver(pretrained.model, pretrained.vocab)
    for lesson in lessons:
        for n in range(1, len(lesson.stops) + 1):
            shown = show_stop(lesson, n, pretrained.model, pretrained.vocab, resolver)
            assert "{" not in shown.text and "}" not in shown.text, (lesson.name, n, shown.text)
            assert shown.counter == f"stop {n} of {len(lesson.stops)}"
            steps = len(shown.settings.prompt) + shown.settings.length - 1
            assert 1 <= shown.step <= steps


def test_lesson_files_type_no_numbers_of_the_model():
    """Numbers about the model come from placeholders: no percentage or measured value typed in."""
    for lesson in load_lessons():
        for n, stop in enumerate(lesson.stops, 1):
            for part in stop.text + (stop.question or ()):
                if isinstance(part, str):
                    assert not re.search(r"%|\d\.\d\d", part), (lesson.name, n, part)


def test_the_story_of_lesson_one_holds_on_the_shipped_model(pretrained):
    """What lesson one's prose says in words (not numbers) is true of the shipped model."""
    model, vocab = pretrained.model, pretrained.vocab
    assert generate_text(model, vocab, "me want ", 6, temperature=0.0) == "me want cookie"
    probs = pretrained.next_char_probs("me want ")
    assert sorted(probs, key=probs.get, reverse=True)[:2] == ["c", "b"]
    spelled = [pretrained.next_char_probs("me want " + "cookie"[:k])["cookie"[k]] for k in range(1, 6)]
    assert spelled[0] > 0.5 and all(p > 0.99 for p in spelled[1:])  # confidence rises through c-o-o-k-i-e
    text = "bath\nme sad me want mommy"
    assert pretrained.next_char_probs(text)["\n"] > pretrained.next_char_probs(text, mode="window")["\n"] + 0.2
    lesson = find("me-want-cookie")
    shown = show_stop(lesson, 8, model, vocab)
    low = float(shown.text.split(" stays at ")[1].split(" to ")[0])
    assert low > 0.9, shown.text  # the forget gate of the finder's unit "holds on"


def test_stop_one_of_lesson_one_is_the_greedy_cookie_generation():
    stop = find("me-want-cookie").stops[0]
    assert (stop.settings.prompt, stop.settings.temperature) == ("me want ", 0)


# --- placeholders quote the model's own numbers ---------------------------------------------
def test_p_and_top_are_the_models_softmax(pretrained):
    resolver = Resolver(pretrained.model, pretrained.vocab)
    probs = pretrained.next_char_probs("me want c")
    assert resolver.render(parse('{p("o" after "me want c")}')) == percent(probs["o"])
    best = sorted(probs, key=probs.get, reverse=True)[:2]
    assert resolver.render(parse('{top("me want c", 2)}')) == ", ".join(f"{c} {percent(probs[c])}" for c in best)
    window = pretrained.next_char_probs("bath\nme sad me want mommy", mode="window")["\n"]
    assert resolver.render(parse('{p("\\n" after "bath\\nme sad me want mommy", "window")}')) == percent(window)


def test_p_sampled_matches_a_direct_tempered_softmax(pretrained):
    resolver = Resolver(pretrained.model, pretrained.vocab)
    logp = np.log(np.array(list(pretrained.next_char_probs("me want ").values()), dtype=np.float64))
    itos = pretrained.vocab.itos
    tempered = np.exp(logp / 2 - (logp / 2).max())
    tempered /= tempered.sum()
    assert resolver.p_sampled("z", "me want ", 2) == percent(float(tempered[itos.index("z")]))
    keep = np.argsort(-logp)[:3]
    top = np.zeros_like(logp)
    top[keep] = np.exp(logp[keep] / 1.5 - (logp[keep] / 1.5).max())
    top /= top.sum()
    assert resolver.p_sampled("c", "me want ", 1.5, 3) == percent(float(top[itos.index("c")]))
    assert resolver.p_sampled("z", "me want ", 1.5, 3) == "0%"


def test_texts_are_what_generation_writes(pretrained):
    resolver = Resolver(pretrained.model, pretrained.vocab)
    greedy = pretrained.generate_text("me want ", 20, temperature=0)[len("me want "):]
    assert resolver.render(parse('{argmax_text("me want ", 20)}')) == greedy.replace("\n", "⏎")
    sampled = pretrained.generate_text("me want ", 15, temperature=1.5, top_k=3, seed=4)[len("me want "):]
    assert resolver.render(parse('{sample_text("me want ", 15, 1.5, 4, 3)}')) == sampled.replace("\n", "⏎")


def test_value_and_span_equal_the_trace_of_the_text(pretrained):
    model, vocab = pretrained.model, pretrained.vocab
    trace = trace_text(model, vocab, "me want cookie\n")  # step t has read text[t]
    resolver = Resolver(model, vocab)
    c = trace.internals["c"][:, 1, 68]  # layer 2, unit 69
    assert resolver.render(parse('{value("c", "2:69", "me want coo")}')) == number(float(c[10]))
    f = trace.internals["f"][8:14, 0, 4]  # layer 1, unit 5, while reading "cookie"
    assert resolver.render(parse('{span("f", unit, "me want ", "cookie")}'), unit=(1, 5)) == \
        f"{f.min():.2f} to {f.max():.2f}"
    assert resolver.render(parse("{unit}"), unit=(2, 69)) == "layer 2, unit 69"


def test_the_contrast_unit_is_the_finders_best(pretrained):
    from babylm.analysis.contrast import contrast

    layer, unit, _ = contrast(pretrained.model, pretrained.vocab, "me want ", "me love ", "cookie")[0]
    shown = show_stop(find("me-want-cookie"), 7, pretrained.model, pretrained.vocab)
    assert shown.unit == (layer, unit)
    assert f"layer {layer}, unit {unit}" in shown.text


# --- the template language -------------------------------------------------------------------
def test_parse_reads_calls_plain_text_and_literal_braces():
    parts = parse('a {{b}} {p("o" after "me \\"want\\" c")} and {unit} {top("x", 2, "window")}')
    assert parts[0] == "a {b} "
    assert parts[1] == Call("p", ("o", 'me "want" c'))
    assert parts[3] == Call("unit", ())
    assert parts[5] == Call("top", ("x", 2, "window"))
    assert parse('{value("c", unit, "me")}')[0].args[1] is UNIT


@pytest.mark.parametrize("text, says", [
    ("{nope(\"x\")}", "unknown function 'nope'"),
    ('{p("oo" after "me")}', "argument 1 of p() must be one character"),
    ('{p("o")}', "takes 2 to 3 arguments, got 1"),
    ('{top("me", 0)}', "must be a whole number from 1"),
    ('{top("me", 2, "sideways")}', "must be one of stateful, window"),
    ('{p("o" after "me"', "cannot read"),
    ('{p("o", "me",)}', "ends with a comma"),
    ('{p("o" "me")}', "misplaced"),
    ("{open('x')}", "cannot read"),
    ("{__import__(\"os\")}", "unknown function"),
    ("a } b", "lone '}'"),
    ('{value("c", "2-69", "me")}', "must be unit or \"layer:unit\""),
])
def test_a_bad_placeholder_says_what_is_wrong(text, says):
    with pytest.raises(ValueError, match=None) as err:
        parse(text)
    assert says in str(err.value)


# --- broken files name the file and the field ----------------------------------------------
def test_a_good_small_file_loads(tmp_path):
    lesson = load_lesson(write(tmp_path, GOOD, "small.toml"))
    assert lesson.name == "small" and lesson.title == "A lesson" and len(lesson.stops) == 1
    assert lesson.stops[0].settings.temperature == 0 and lesson.stops[0].t == 7


@pytest.mark.parametrize("change, says", [
    (("title = \"A lesson\"", ""), "broken.toml: title: missing"),
    (("step = 8", "step = 99"), "broken.toml: stop 1: step: must be a whole number from 1 to 17"),
    (("step = 8", "step = \"8\""), "stop 1: step:"),
    (("panel = \"bars\"", "panel = \"barz\""), "stop 1: panel: must be one of"),
    (("panel = \"bars\"", "unit = \"2-69\""), "stop 1: unit:"),
    (("panel = \"bars\"", "char = 0"), "stop 1: char:"),
    (("panel = \"bars\"", "colour = \"red\""), "stop 1: colour: not a field here"),
    (("panel = \"bars\"", "sampling = \"yes\""), "stop 1: sampling: must be true or false"),
    (("temperature = 0", "temperature = 7"), "settings: temperature: must be a number from 0 to 2"),
    (("temperature = 0", "temperature = \"hot\""), "settings: temperature: wrong type"),
    (("temperature = 0", "temprature = 0"), "settings: temprature: not a generation setting"),
    (("length = 10", "length = 0"), "settings: length:"),
    (("text = ", "txt = "), "stop 1: txt: not a field here"),
    (("text = ", "# "), "stop 1: text: missing; every stop needs one"),
    (("{top(", "{tops("), "stop 1: text: placeholder at character 16: unknown function 'tops'"),
    (("[[stop]]", "[[stops]]"), "broken.toml: stops: not a field here"),
    (("[settings]", "[settings"), "broken.toml: not valid TOML"),
])
def test_a_broken_file_names_the_file_and_the_field(tmp_path, change, says):
    body = textwrap.dedent(GOOD).replace(*change)
    with pytest.raises(ValueError) as err:
        load_lesson(write(tmp_path, body))
    assert says in str(err.value)


def test_a_stop_may_change_the_lessons_settings(tmp_path):
    body = GOOD + '\n[[stop]]\nsettings = { temperature = 1.5, top_k = 3 }\nstep = 2\ntext = "hot"\n'
    lesson = load_lesson(write(tmp_path, body))
    first, second = lesson.stops
    assert (first.settings.temperature, first.settings.top_k) == (0, 0)
    assert (second.settings.temperature, second.settings.top_k, second.settings.prompt) == (1.5, 3, "me want ")


def test_showing_a_stop_the_model_cannot_show_names_it(tmp_path, pretrained):
    body = GOOD.replace('{top(\\"me want \\", 2)}', '{p(\\"Q\\" after \\"me\\")}')
    lesson = load_lesson(write(tmp_path, body, "capital.toml"))
    with pytest.raises(ValueError, match="lesson 'capital', stop 1: text: the model has never seen"):
        show_stop(lesson, 1, pretrained.model, pretrained.vocab)
    lesson = load_lesson(write(tmp_path, GOOD.replace('panel = "bars"', 'unit = "9:1"'), "deep.toml"))
    with pytest.raises(ValueError, match="stop 1: unit: unit 9:1 does not exist"):
        show_stop(lesson, 1, pretrained.model, pretrained.vocab)
    with pytest.raises(ValueError, match="stop must be a whole number from 1 to 1"):
        show_stop(lesson, 2, pretrained.model, pretrained.vocab)


def test_find_lists_the_lessons_there_are():
    with pytest.raises(ValueError, match="no lesson called 'nope'; there are: me-want-cookie"):
        find("nope")


def test_one_broken_file_in_a_folder_is_named(tmp_path):
    write(tmp_path, GOOD, "a-good.toml")
    write(tmp_path, GOOD.replace("step = 8", "step = -1"), "b-bad.toml")
    with pytest.raises(ValueError, match="b-bad.toml: stop 1: step"):
        load_lessons(tmp_path)


def test_resolver_reads_each_text_once(pretrained, monkeypatch):
    resolver = Resolver(pretrained.model, pretrained.vocab)
    calls = []
    original = pretrained.model.step
    monkeypatch.setattr(pretrained.model, "step", lambda *a: calls.append(1) or original(*a))
    with torch.no_grad():
        resolver.render(parse('{value("c", "1:1", "me")} {value("h", "1:2", "me")}'))
    assert len(calls) == 2  # "me" read once, two characters


def test_the_readme_example_is_a_valid_lesson(tmp_path, pretrained):
    readme = (LESSONS_DIR.parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Lessons", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    lesson = load_lesson(write(tmp_path, example, "readme.toml"))
    assert [s.step for s in lesson.stops] == [9, 11]
    for n in (1, 2):
        assert "{" not in show_stop(lesson, n, pretrained.model, pretrained.vocab).text


def test_a_parsed_lesson_survives_pickling():
    import pickle

    lesson = find("me-want-cookie")
    again = pickle.loads(pickle.dumps(lesson))
    assert again == lesson and pickle.loads(pickle.dumps(UNIT)) is UNIT
