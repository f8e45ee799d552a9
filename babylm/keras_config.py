"""The seed's Keras model config, read into babylm's ModelConfig fields, refusing what differs.

The config (config.json in a .keras archive, the model_config attribute of a legacy .h5) is the
first thing read from an uploaded Keras file, before any weight: it says which layers there are,
their sizes and settings, and so which arrays of which shapes the file may hold (`expected_shapes`).
A layer or setting our `CharLSTM` cannot reproduce, a value of the wrong type, or a layer name that
is not a plain name is refused with a one-line ValueError. Nothing here touches the file itself.
"""

from __future__ import annotations

import re

DEFAULT_DROPOUT = 0.2  # the seed's Dropout rate, for a model saved without Dropout layers
DEFAULT_SEQ_LENGTH = 15  # the seed's SEQ_LENGTH, for a model saved without a fixed input length
LAYER_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,128}")  # Keras names: letters, digits, _ . -
SHAPE = "Embedding -> 1 to 3 LSTM -> Dense (with Dropout anywhere)"

# Settings that change what a layer computes, and the only values our model reproduces.
# (unit_forget_bias, initialisers, dropout and recurrent_dropout only matter while training.)
LSTM_SETTINGS = {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
                 "go_backwards": False, "time_major": False, "return_state": False}
DENSE_ACTIVATIONS = ("softmax", "linear")  # linear: the model outputs logits, softmax comes later


def read_architecture(config: dict) -> tuple[dict, dict]:
    """Model config -> (ModelConfig fields incl. vocab_size, {"embedding", "lstm", "dense": names})."""
    try:
        return _read_architecture(config)
    except (KeyError, TypeError, AttributeError, IndexError) as err:
        raise ValueError(f"the Keras model config is malformed ({type(err).__name__}: {err})") from None


def _read_architecture(config: dict) -> tuple[dict, dict]:
    kind = config.get("class_name")
    if kind != "Sequential":
        raise ValueError(f"the Keras model is a {shown(kind, quote=False)}, not the seed's Sequential "
                         f"model ({SHAPE})")
    inner = config["config"]
    layers = inner if isinstance(inner, list) else inner["layers"]  # very old Keras: a bare list
    seq_length, rates, stack = None, [], []
    for layer in layers:
        kind, cfg = layer["class_name"], layer["config"]
        seq_length = seq_length or fixed_length(cfg)
        if kind == "InputLayer":
            continue
        if kind == "Dropout":
            rate = cfg.get("rate", DEFAULT_DROPOUT)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
                raise ValueError(f"Dropout {shown(cfg.get('name'))} has rate={shown(rate)}: "
                                 "a Dropout rate is a number from 0 up to 1")
            rates.append(float(rate))
        elif kind in ("Embedding", "LSTM", "Dense"):
            stack.append((kind, cfg))
        else:
            raise ValueError(f"layer {shown(cfg.get('name'))} is a {shown(kind, quote=False)}: "
                             f"babylm maps only {SHAPE}")
    kinds = [kind for kind, _ in stack]
    if kinds[:1] != ["Embedding"] or kinds[-1:] != ["Dense"] or any(k != "LSTM" for k in kinds[1:-1]):
        layout = " -> ".join(f"{kind}({shown(cfg.get('name'), quote=False)})" for kind, cfg in stack)
        raise ValueError(f"the layers are {layout or 'none'}: babylm maps only {SHAPE}")
    embedding, lstms, dense = stack[0][1], [cfg for _, cfg in stack[1:-1]], stack[-1][1]
    if not 1 <= len(lstms) <= 3:
        raise ValueError(f"the model has {len(lstms)} LSTM layers: babylm maps 1 to 3")
    if embedding.get("mask_zero"):
        raise ValueError("the Embedding has mask_zero=True (Keras skips id 0): babylm does not")
    for cfg in lstms:
        for key, want in LSTM_SETTINGS.items():
            if cfg.get(key, want) != want:
                raise ValueError(f"LSTM {shown(cfg.get('name'))} has {key}={shown(cfg[key])}: "
                                 f"babylm's LSTM has {want!r}")
    sizes = [cfg["units"] for cfg in lstms]
    if len(set(sizes)) != 1:
        raise ValueError(f"the LSTM layers have different sizes {shown(sizes)}: babylm uses one hidden size")
    if dense.get("activation") not in DENSE_ACTIVATIONS or not dense.get("use_bias", True):
        raise ValueError(f"the Dense layer {shown(dense.get('name'))} has activation="
                         f"{shown(dense.get('activation'))}, use_bias={shown(dense.get('use_bias'))}: "
                         "babylm needs softmax (or linear) with a bias")
    if dense["units"] != embedding["input_dim"]:
        raise ValueError(f"the Dense layer predicts {shown(dense['units'])} characters but the Embedding "
                         f"reads {shown(embedding['input_dim'])}: they must be the same vocabulary")
    fields = dict(vocab_size=embedding["input_dim"], embedding_dim=embedding["output_dim"],
                  hidden_size=sizes[0], num_layers=len(lstms),
                  dropout=rates[0] if rates else DEFAULT_DROPOUT,
                  seq_length=seq_length or DEFAULT_SEQ_LENGTH)
    names = {"embedding": embedding["name"], "lstm": [cfg["name"] for cfg in lstms], "dense": dense["name"]}
    every = [cfg["name"] for _, cfg in stack]
    for name in every:
        if not isinstance(name, str) or not LAYER_NAME.fullmatch(name):
            raise ValueError(f"layer name {shown(name)} is not a plain Keras layer name")
    if len(set(every)) != len(every):
        raise ValueError(f"two layers share a name ({', '.join(every)}): the weights would be ambiguous")
    return fields, names


def shown(value, quote: bool = True, limit: int = 60) -> str:
    """A config value for a one-line message: repr (or str), cut short."""
    text = repr(value) if quote or not isinstance(value, str) else value
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fixed_length(cfg: dict) -> int | None:
    """The window length a layer was built for, if the config says (Keras 3 or Keras 2 keys)."""
    shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
    length = shape[1] if isinstance(shape, list) and len(shape) == 2 else cfg.get("input_length")
    return length if isinstance(length, int) else None


def expected_shapes(names: dict, config) -> dict[str, list[tuple]]:
    """{layer name: the shapes of its arrays, in Keras' order}, as the config implies."""
    V, E, H = config.vocab_size, config.embedding_dim, config.hidden_size
    shapes = {names["embedding"]: [(V, E)]}
    for k, name in enumerate(names["lstm"]):
        shapes[name] = [(E if k == 0 else H, 4 * H), (H, 4 * H), (4 * H,)]
    shapes[names["dense"]] = [(H, V), (V,)]
    return shapes
