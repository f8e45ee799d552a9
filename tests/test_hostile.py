"""Hostile Keras files: each is built here with h5py and must be refused in one clear line, before
it can read anything outside itself or allocate what it declares.

The files come from tests/hostile_files.py (edits of the real Keras fixtures). Memory is measured
in a fresh process (peak RSS growth around the import calls), since a refused bomb that first
allocated gigabytes would still take a server down.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import hostile_files as hf
from babylm.keras_import import from_keras_bytes

FIXTURES = hf.keras_fixtures()
SOURCES = {"keras": FIXTURES / "seed_rhymes.keras", "h5": FIXTURES / "seed_rhymes.h5"}
TEXT = (FIXTURES / "seed_rhymes.corpus.txt").read_text(encoding="utf-8")
REPO = Path(__file__).resolve().parents[1]


def build(kind: str, edit) -> bytes:
    return hf.edit_file(SOURCES[kind].read_bytes(), kind, edit)


def refused(data: bytes, match: str, kind: str = "keras") -> str:
    with pytest.raises(ValueError, match=match) as err:
        from_keras_bytes(data, f"hostile.{kind}", text=TEXT)
    message = str(err.value)
    assert "\n" not in message and len(message) < 300, message
    return message


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file of the server's that no upload may read: 100 recognisable bytes."""
    path = tmp_path / "secret.txt"
    path.write_bytes(b"root:x:0:0:SECRET" * 6 + b"ROOT")
    return path


KINDS = pytest.mark.parametrize("kind", ["keras", "h5"])


# --- files that point outside themselves --------------------------------------------------------
@KINDS
def test_external_storage_is_refused(kind, secret):
    message = refused(build(kind, hf.external_storage(secret)), "external file", kind)
    assert "SECRET" not in message


@KINDS
def test_external_storage_even_in_the_unread_optimizer_state_is_refused(kind, secret):
    refused(build(kind, hf.external_storage_in_optimizer(secret)), "external file", kind)


@KINDS
def test_virtual_dataset_is_refused(kind, tmp_path):
    refused(build(kind, hf.virtual_dataset(tmp_path / "source.h5")), "virtual dataset", kind)


@KINDS
def test_soft_link_is_refused(kind):
    refused(build(kind, hf.soft_link), "soft link", kind)


@KINDS
def test_external_link_is_refused(kind, tmp_path):
    refused(build(kind, hf.external_link(tmp_path / "other.h5")), "link into another file", kind)


# --- memory bombs and arrays the config does not name ---------------------------------------------
@KINDS
def test_extra_layers_of_compressed_zeros_are_refused(kind):
    data = build(kind, hf.zero_bomb_in_extra_layers(2))
    assert len(data) < 4_000_000  # 302 MB declared
    refused(data, "array.s. its config does not name", kind)


@KINDS
@pytest.mark.parametrize("edit", [hf.zero_bomb_as_named_weight, hf.unallocated_giant], ids=["gzip", "unallocated"])
def test_a_named_weight_declaring_gigabytes_is_refused_by_its_shape(kind, edit):
    refused(build(kind, edit), r"holds weights of shapes .*\(25,\)", kind)


@KINDS
def test_an_extra_array_in_a_named_layer_is_refused(kind):
    refused(build(kind, hf.extra_array_in_a_named_layer), "does not name|holds weights of shapes", kind)


@KINDS
def test_a_file_of_thousands_of_groups_is_refused(kind):
    refused(build(kind, hf.many_groups), "more than 2,000 objects", kind)


@KINDS
@pytest.mark.parametrize("edit, word", [(hf.string_weights, "text"), (hf.integer_weights, "integer")],
                         ids=["text", "integer"])
def test_weights_that_are_not_floats_are_refused(kind, edit, word):
    refused(build(kind, edit), f"holds {word} values; weights must be floating-point", kind)


def test_the_good_files_still_import():
    for kind, path in SOURCES.items():
        baby = from_keras_bytes(path.read_bytes(), path.name, text=TEXT)
        assert baby.config.hidden_size == 128, kind


# --- memory: measured in a fresh process ----------------------------------------------------------
MEASURE = """
import json, resource, sys
from pathlib import Path
from babylm.keras_import import from_keras_bytes
text = Path(sys.argv[1]).read_text(encoding="utf-8")
from_keras_bytes(Path(sys.argv[2]).read_bytes(), "good", text=text)  # warm up torch and h5py
files = [Path(p).read_bytes() for p in sys.argv[3:]]
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux: KB)
before, messages = peak(), []
for data in files:
    try:
        from_keras_bytes(data, "bomb", text=text)
        messages.append("accepted")
    except ValueError as err:
        messages.append(str(err))
print(json.dumps({"growth_mb": peak() - before, "messages": messages}))
"""


def test_bombs_are_refused_without_allocating_what_they_declare(tmp_path):
    """Eight files declaring 1 to 4 GB each: peak memory may grow by the files' own size, not more."""
    paths = []
    for kind in ("keras", "h5"):
        for name, edit in [("extra", hf.zero_bomb_in_extra_layers(20)), ("named", hf.zero_bomb_as_named_weight),
                           ("giant", hf.unallocated_giant), ("many", hf.many_groups)]:
            path = tmp_path / f"{name}.{kind}"
            path.write_bytes(build(kind, edit))
            paths.append(str(path))
    corpus = FIXTURES / "seed_rhymes.corpus.txt"
    run = subprocess.run([sys.executable, "-c", MEASURE, str(corpus), str(SOURCES["keras"]), *paths], cwd=REPO,
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert "accepted" not in result["messages"], result
    assert result["growth_mb"] < 150, result


# --- configs that would have escaped as tracebacks or named nothing --------------------------------
def rename(old: str, new):
    return lambda c: hf.layer_config(c, old).update(name=new)


@pytest.mark.parametrize("edit, match", [
    (lambda c: hf.layer_config(c, "dropout").update(rate="abc"), r"Dropout 'dropout' has rate='abc'"),
    (lambda c: hf.layer_config(c, "dropout").update(rate=True), r"has rate=True"),
    (rename("dense", "../etc"), "not a plain Keras layer name"),
    (rename("dense", "dense/vars"), "not a plain Keras layer name"),
    (rename("dense", ["dense"]), "not a plain Keras layer name"),
    (rename("lstm_1", "lstm"), "two layers share a name"),
    (lambda c: c.update(class_name="Seq\nuential"), r"is a Seq\\nuential"),
    (lambda c: hf.layer_config(c, "embedding").update(output_dim="32"), "embedding_dim must be a whole number"),
    (lambda c: [hf.layer_config(c, n).update(units=10**9) for n in ("lstm", "lstm_1")], "hidden_size must be 1..1024"),
], ids=["rate-text", "rate-bool", "dotdot", "slash", "name-list", "duplicate", "newline", "text-size", "huge"])
def test_bad_configs_are_one_line_refusals(edit, match):
    refused(hf.edit_config(SOURCES["keras"].read_bytes(), edit), match)


@pytest.mark.parametrize("chars, match", [([1, 2], "distinct single characters"),
                                          ([None, "a"], "distinct single characters")])
def test_chars_that_are_not_text_are_refused(chars, match):
    with pytest.raises(ValueError, match=match):
        from_keras_bytes(SOURCES["keras"].read_bytes(), "m.keras", chars=chars)


# --- cache keys: two models share a cache entry only when they would give the same answers --------
def test_cache_keys_cover_vocabulary_config_and_summary():
    import torch

    from babylm import CharLSTM, ModelConfig, Vocab
    from babylm.checkpoint import model_digest

    torch.manual_seed(0)
    model = CharLSTM(ModelConfig(vocab_size=3, embedding_dim=4, hidden_size=5, num_layers=1))
    same = CharLSTM(ModelConfig(vocab_size=3, embedding_dim=4, hidden_size=5, num_layers=1, seq_length=40))
    same.load_state_dict(model.state_dict())  # identical weights, another window length
    abc, cba = Vocab(tuple("abc")), Vocab(tuple("cba"))
    key = model_digest(model, abc)
    assert key == model_digest(model, Vocab(tuple("abc")))
    others = {model_digest(model, cba), model_digest(same, abc), model_digest(model, abc, {"epochs": 3}),
              model_digest(model, abc, text="abcabc")}
    assert key not in others and len(others) == 4
    assert model_digest(model, abc, text="abcabc") == model_digest(model, abc, text="abcabc")


def test_a_zip_of_a_hundred_thousand_members_is_refused_before_python_lists_them():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("config.json", "{}")
        for k in range(2000):
            z.writestr(f"junk/{k}", b"")
    refused(buffer.getvalue(), "has 2,001 members or more; a model archive has a few")


def test_missing_keras_fixtures_fail_under_ci_and_skip_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setattr(hf, "FIXTURES", tmp_path / "nowhere")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have them"):
        hf.keras_fixtures()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        hf.keras_fixtures()
