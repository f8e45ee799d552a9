"""The Train page shows learning (headless, AppTest): every sample kept with its epoch, the
watched facts charted epoch by epoch from the model's own probabilities, help for every setting,
a warning for a corpus too small to learn from, and a fresh seed so the defaults do not silently
rebuild the shipped model."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from babylm import BABY_DATASET
from test_app import PAGES, visit
from test_train_model_pages import set_slider, tiny_settings


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_string(PAGES, default_timeout=120).run()


def test_every_setting_has_plain_words_help_and_the_seed_is_not_the_shipped_one(app):
    visit(app, "train")
    sliders = [*app.slider, *app.select_slider]
    assert len(sliders) == 8 and all(s.help and len(s.help) > 40 for s in sliders), \
        [s.label for s in sliders if not s.help]
    (seed,) = [n for n in app.number_input if n.label == "Seed"]
    assert seed.help and seed.value != 0
    assert "same seed" in seed.help.lower() and "seed 0" in seed.help
    assert not app.warning  # the baby-talk corpus with the defaults: nothing to warn about
    seed.set_value(0).run()  # the shipped recipe, exactly: say so
    assert any("bit for bit" in i.value for i in app.info)


def test_a_small_corpus_is_warned_about_before_training(app):
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    text = "me want cookie\nme love mommy\n" * 20
    app.text_area(key="pasted_corpus").input(text).run()
    warnings = [w.value for w in app.warning]
    assert any(f"{len(text):,} characters" in w and "by heart" in w for w in warnings)
    assert any("training step" in w for w in warnings)


def test_training_keeps_every_sample_with_its_epoch_and_charts_the_facts(app):
    visit(app, "train")
    app.radio(key="corpus_source").set_value("paste").run()
    app.text_area(key="pasted_corpus").input(BABY_DATASET[:3000]).run()
    app.text_area(key="train_probes").input('"o" after "me want c"\n" " after "me"\n"x" after "me"').run()
    tiny_settings(app)
    set_slider(app, "Epochs", 4)
    app.button(key="start_training").click().run()
    assert not app.exception
    watch = app.session_state["train_watch"]
    assert [p.context for p in watch.probes] == ["me want c", "me"]  # no "x" in this text: left out
    assert any("Not watching x after “me”" in c.value for c in app.caption)
    assert watch.log.epochs[0] == 0 and len(watch.log.epochs) == 5  # before training, then 4 epochs
    assert all(0 <= v <= 1 for row in watch.log.values for v in row)
    assert watch.samples[0][0] == 0 and len(watch.samples) >= 2
    logged = [m.value for m in app.markdown if m.value.startswith("`epoch")]
    assert len(logged) == len(watch.samples)  # all of them shown after the run, newest first
    assert logged[0].startswith(f"`epoch {watch.samples[-1][0]:>6.2f}`")
    charts = [c for c in app.get("plotly_chart") if "probe-chart-final" in (c.proto.id or "")]
    assert charts or any("Facts being learned" in m.value for m in app.markdown)
