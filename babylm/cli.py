"""Command line: `python -m babylm train | generate | export | info | import-keras`.

Every subcommand drives the same package functions as the app. Bad input ends with one line on
stderr ("babylm: error: ...") and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import torch

from .api import PRETRAINED, PRETRAINED_FILES, BabyLanguageModel
from .checkpoint import CheckpointNotice, check_destination
from .data import BABY_DATASET, read_text
from .model import CELLS, ModelConfig
from .settings import GenerationSettings
from .train import TrainConfig, check_train_request

DEFAULTS = TrainConfig()
MODEL_DEFAULTS = ModelConfig(vocab_size=2)
SHAPE = {"embedding": "embedding_dim", "hidden": "hidden_size", "layers": "num_layers", "dropout": "dropout",
         "cell": "cell"}  # train's flags that make a new model's shape


def cmd_train(args) -> int:
    from tqdm import tqdm

    check_destination(args.out)  # before training: a bad --out must not cost a finished run
    text = read_text(args.corpus) if args.corpus else BABY_DATASET
    shape = {name: getattr(args, flag) for flag, name in SHAPE.items()}
    if args.resume:
        given = [flag for flag, name in SHAPE.items() if shape[name] is not None]
        if given:
            raise ValueError(f"--{given[0]} sets a new model's shape; a resumed model keeps its own, "
                             "so leave it out (or train a new model without --resume)")
        baby = BabyLanguageModel.load(args.resume)
    else:
        baby = BabyLanguageModel(text, **{name: getattr(MODEL_DEFAULTS, name) if value is None else value
                                          for name, value in shape.items()})
    settings = dict(epochs=args.epochs, learning_rate=args.lr, batch_size=args.batch_size,
                    chunk_length=args.chunk_length, patience=args.patience, seed=args.seed)
    check_train_request(TrainConfig(**settings), baby.config, args.max_seconds)  # before the bar
    if not args.resume:
        baby.build_model(seed=args.seed)
    val, interrupted = "-", False
    begun = baby.training_summary.get("epochs", 0) if args.resume else 0
    steps = baby.train_iter(text, max_seconds=args.max_seconds, resume=bool(args.resume), **settings)
    try:
        with tqdm(total=args.epochs, unit="epoch", bar_format="{l_bar}{bar}| {n:.1f}/{total} "
                  "[{elapsed}<{remaining}] {postfix}", disable=args.quiet) as bar:
            for progress in steps:
                bar.update(progress.epoch - begun - bar.n)
                if progress.val_loss is not None:
                    val = f"{progress.val_loss:.4f}"
                bar.set_postfix_str(f"loss {progress.loss:.4f} val_loss {val}", refresh=False)
    except KeyboardInterrupt:  # Ctrl-C: keep what was learnt (closing restores the best weights)
        steps.close()
        interrupted = True
        if not baby.history:
            raise
    path = baby.save(args.out)
    summary = baby.training_summary
    best = summary.get("best_val_loss")
    done = f"({summary['epochs']:g} epochs in {summary['seconds']:.1f}s" + (
        f", best val_loss {best:.4f})" if best is not None else ")")
    if interrupted:
        print(f"babylm: interrupted: saved the best model so far to {path} {done}", file=sys.stderr)
        return 130
    print(f"saved {path}  {done}")
    return 0


def cmd_generate(args) -> None:
    baby = (BabyLanguageModel.pretrained(args.model) if args.model in PRETRAINED_FILES
            else BabyLanguageModel.load(args.model))
    print(baby.generate_text(args.prompt, length=args.length, temperature=args.temperature,
                             top_k=args.top_k, seed=args.seed, mode=args.mode))


def cmd_export(args) -> None:
    from .export import export
    from .trace import trace_generation, trace_text

    check_destination(args.out)  # a folder, device, pipe or link is refused before any drawing

    baby = (BabyLanguageModel.pretrained(args.model) if args.model in PRETRAINED_FILES
            else BabyLanguageModel.load(args.model))
    from .wire import model_scales

    step, view, note = args.step, None, None
    if args.lesson is not None:  # a lesson stop: its generation, opened at its step
        from .lessons import find, show_stop

        lesson = find(args.lesson)
        stop = show_stop(lesson, args.stop, baby.model, baby.vocab)
        trace = trace_generation(baby.model, baby.vocab, stop.settings)
        step = stop.step if step is None else step
        view = stop_view(stop, step, trace)
        note = f"{lesson.title} · stop {stop.number} of {stop.total}\n\n{stop.text}" + (
            f"\n\nQuestion: {stop.question}" if stop.question else "")
    elif args.text is not None:
        trace = trace_text(baby.model, baby.vocab, args.text, mode=args.mode)
    else:
        settings = GenerationSettings(prompt=args.prompt, length=args.length, temperature=args.temperature,
                                      top_k=args.top_k, seed=args.seed, mode=args.mode)
        trace = trace_generation(baby.model, baby.vocab, settings)
    # The model's own colour ranges, as the app draws with (c's range comes from reading its text).
    scales = model_scales(baby.model, baby.vocab, baby.text) if args.format in ("png", "gif", "mp4", "html") else None
    path = export(trace, args.format, args.out, step=step, steps=args.steps, fps=args.fps, scales=scales,
                  view=view, note=note)
    print(f"wrote {path} ({args.format}, {len(trace)} steps in the run)")


def stop_view(stop, step: int, trace):
    """Where the offline file opens for a lesson stop: its step, its unit, its gates."""
    from .view import ViewState

    gates = stop.panel is not None and stop.panel not in ("text", "bars", "history", "h", "c")
    unit = (stop.unit[0] - 1, stop.unit[1] - 1) if stop.unit else None
    return ViewState(t=min(max(step, 1), len(trace)) - 1, gates=gates, unit=unit)


def cmd_info(args) -> None:
    baby = (BabyLanguageModel.pretrained(args.model) if args.model in PRETRAINED_FILES
            else BabyLanguageModel.load(args.model))
    summary = {
        "config": baby.config.to_dict(),
        "parameters": baby.model.num_parameters(),
        "vocab": "".join(baby.itos),
        "training": {k: v for k, v in baby.training_summary.items() if k != "val_curve"},
    }
    print(json.dumps(summary, indent=2))


def cmd_import_keras(args) -> None:
    from .keras_import import from_keras  # h5py is only needed here

    check_destination(args.out)

    text = read_text(args.text) if args.text else None
    chars = list(args.chars) if args.chars else None
    baby = from_keras(args.model, text=text, chars=chars)
    path = baby.save(args.out)
    print(f"imported {args.model} -> {path} ({baby.config.num_layers} LSTM layers of "
          f"{baby.config.hidden_size}, {len(baby.vocab)} characters)")


def positive(kind):
    """An argparse type: a number of `kind` above 0 (argparse prints the one-line error)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__} above 0, got {text!r}") from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__} above 0, got {text!r}")
        return value
    parse.__name__ = kind.__name__
    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="babylm", description="A character-level LSTM you can watch think.")
    p.add_argument("--threads", type=positive(int), default=1,
                   help="torch threads (default 1: fastest for these small models, above all on a busy "
                        "machine; OMP_NUM_THREADS, if set, wins)")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model and save it")
    t.add_argument("--corpus", help="UTF-8 text file (default: the built-in baby-talk corpus)")
    t.add_argument("--out", default="model.safetensors", help="checkpoint to write")
    t.add_argument("--epochs", type=int, default=DEFAULTS.epochs)
    t.add_argument("--lr", type=float, default=DEFAULTS.learning_rate)
    t.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size)
    t.add_argument("--chunk-length", type=int, default=DEFAULTS.chunk_length)
    t.add_argument("--patience", type=int, default=DEFAULTS.patience, help="0 = no early stopping")
    t.add_argument("--embedding", type=int, help=f"default {MODEL_DEFAULTS.embedding_dim}")
    t.add_argument("--hidden", type=int, help=f"default {MODEL_DEFAULTS.hidden_size}")
    t.add_argument("--layers", type=int, help=f"default {MODEL_DEFAULTS.num_layers}")
    t.add_argument("--dropout", type=float, help=f"default {MODEL_DEFAULTS.dropout}")
    t.add_argument("--cell", choices=list(CELLS),
                   help="recurrent cell: lstm (the seed's, default), gru, or rnn (a simple tanh RNN)")
    t.add_argument("--resume", metavar="CHECKPOINT",
                   help="train this saved model on from where it stopped (its shape and characters "
                        "stay; it ends no worse on the validation text than it began)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--max-seconds", type=positive(float), default=None,
                   help="stop after this long and save the best model so far (default: no limit)")
    t.set_defaults(run=cmd_train)

    g = sub.add_parser("generate", help="generate text from a prompt")
    g.add_argument("--prompt", default="me want ")
    g.add_argument("--length", type=int, default=50)
    g.add_argument("--temperature", type=float, default=1.0, help="0 = always the likeliest")
    g.add_argument("--top-k", type=int, default=None)
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--mode", choices=["stateful", "window"], default="stateful")
    g.add_argument("--model", default=str(PRETRAINED),
                   help="checkpoint file, or a shipped model's name: " + ", ".join(PRETRAINED_FILES)
                   + " (default: the pretrained baby-talk model)")
    g.set_defaults(run=cmd_generate)

    e = sub.add_parser("export", help="a generation as csv, json, png, gif, mp4 or an offline html lesson file",
                       description="Generate (or read --text) and export the run: csv/json = every "
                                   "number of every step; png = one step at 1920x1080; gif / mp4 = a "
                                   "range of steps; html = one self-contained file that plays like the app.")
    e.add_argument("--format", required=True, choices=["csv", "json", "png", "gif", "mp4", "html"])
    e.add_argument("--out", required=True, help="file to write")
    d = GenerationSettings()
    e.add_argument("--prompt", default=d.prompt)
    e.add_argument("--length", type=int, default=d.length)
    e.add_argument("--temperature", type=float, default=d.temperature, help="0 = always the likeliest")
    e.add_argument("--top-k", type=int, default=d.top_k, help="0 = all characters")
    e.add_argument("--seed", type=int, default=d.seed)
    e.add_argument("--mode", choices=["stateful", "window"], default=d.mode)
    e.add_argument("--text", help="instead of generating, have the model read this text")
    e.add_argument("--lesson", help="instead, a lesson's stop (its generation and step): a lesson's name")
    e.add_argument("--stop", type=int, default=1, help="with --lesson: the stop, from 1")
    e.add_argument("--model", default="baby",
                   help="checkpoint file, or a shipped model's name: " + ", ".join(PRETRAINED_FILES)
                   + " (default: the pretrained baby-talk model)")
    e.add_argument("--step", type=int, help="png: the step to draw, from 1 (default: the last); html: where it opens")
    e.add_argument("--steps", help="A:B, steps A to B from 1 (csv, json, gif, mp4; html opens at A)")
    e.add_argument("--fps", type=float, default=4.0, help="gif, mp4: frames per second")
    e.set_defaults(run=cmd_export)

    i = sub.add_parser("info", help="describe a checkpoint")
    i.add_argument("model", help="checkpoint file or a shipped model's name")
    i.set_defaults(run=cmd_info)

    k = sub.add_parser("import-keras", help="convert the seed's Keras model (.keras or .h5)")
    k.add_argument("model", help=".keras or .h5 file saved by the seed's script")
    k.add_argument("--text", help="the text it was trained on (its vocabulary is sorted(set(text)))")
    k.add_argument("--chars", help="or the vocabulary itself, as one string of characters in id order")
    k.add_argument("--out", default="imported.safetensors")
    k.set_defaults(run=cmd_import_keras)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if "OMP_NUM_THREADS" not in os.environ:
        # These models are small: one thread is as fast as two on an idle 2-core machine and far
        # faster on a busy one (bench: first step 78 ms vs 1-3.8 s, then 11-16 ms vs 95-560 ms).
        torch.set_num_threads(args.threads)
    try:
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always")
            status = args.run(args) or 0
        for note in notes:
            if issubclass(note.category, CheckpointNotice):  # a summary field dropped on loading
                print(f"babylm: note: {note.message}", file=sys.stderr)
            else:
                warnings.showwarning(note.message, note.category, note.filename, note.lineno)
    except (ValueError, OSError) as err:
        print(f"babylm: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("babylm: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
