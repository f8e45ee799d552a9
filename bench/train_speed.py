"""Training speed: our recipe (babylm.train.train_iter, default TrainConfig) against the seed's.

Both recipes train the same network (CharLSTM with the seed's shape, same initial weights) on
the shipped corpus, babylm.BABY_DATASET, with the same train/validation split (the tail 10%),
one after the other in this process, torch on 2 threads:

- seed recipe: every 15-character window, loss on its last character, batch 32, Adam 1e-3
  (bench/seed_recipe.py); up to 60 epochs or --seed-max-seconds, early stop after 8 epochs
  without a better validation loss;
- ours: train_iter with TrainConfig() as shipped, to its own early stop.

One metric for both, taken at the end of every epoch: the seed's window loss, the mean
cross-entropy of each validation character from the 15 before it, read from a zero state.
The target is the seed recipe's best window loss + 5%; we report the training time each recipe
needs to reach it and the ratio. The clock runs only while a recipe trains: the common window
evaluation is left out for both. Ours' clock does include train_iter's own per-epoch stateful
validation (its early stopping), which cannot be separated from it. For the final models
(each recipe keeps its best weights) we also report babylm.train.stateful_loss.

Losses are deterministic for a given --seed; wall times are not. On a shared machine other
jobs can slow a stretch of training down several-fold, and the seed recipe, running minutes
where ours runs seconds, meets different weather. So the script also times both recipes'
optimiser steps in alternating half-second blocks (same machine, same moment) and gives a
second ratio: epochs to the target x steps per epoch x median step time.

    .venv/bin/python bench/train_speed.py                 # full run, writes bench/results/train_speed.json
    .venv/bin/python bench/train_speed.py --quick         # smoke run, under a minute, writes nothing
    .venv/bin/python bench/train_speed.py --repeats 3     # run the race 3 times; medians in the summary
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import torch  # noqa: E402

from babylm.data import BABY_DATASET, Vocab, encode_tensor, split_text  # noqa: E402
from babylm.model import CharLSTM, ModelConfig  # noqa: E402
from babylm.train import TrainConfig, stateful_loss, train_iter  # noqa: E402
from bench.seed_recipe import seed_recipe_iter, window_loss  # noqa: E402

THREADS = 2
TOLERANCE = 0.05  # "within 5% of the seed recipe's best"
SEED_PATIENCE = 8
RESULTS = ROOT / "bench" / "results" / "train_speed.json"
RECIPES = {"seed": "seed (15-char windows, last char, batch 32, Adam 1e-3)",
           "ours": "ours (train_iter, default TrainConfig)"}


class Clock:
    """Training time only: runs while a recipe computes, paused while we evaluate."""

    def __init__(self):
        self.total, self._since = 0.0, None

    def start(self):
        self._since = time.perf_counter()

    def stop(self):
        self.total += time.perf_counter() - self._since
        self._since = None

    @contextmanager
    def paused(self):
        self.stop()
        try:
            yield
        finally:
            self.start()


class Race:
    """The shared setup: corpus, vocabulary, validation ids, the recipes' generators."""

    def __init__(self, text: str, args):
        self.text, self.args = text, args
        self.vocab = Vocab.from_text(text)
        self.val_ids = encode_tensor(self.vocab, split_text(text, TrainConfig().val_fraction)[1])
        self.ours_config = TrainConfig(seed=args.seed, epochs=3 if args.quick else TrainConfig.epochs)

    def model(self) -> CharLSTM:
        torch.manual_seed(self.args.seed)  # same initial weights for both recipes
        return CharLSTM(ModelConfig(vocab_size=len(self.vocab)))

    def records(self, name: str, model: CharLSTM, clock: Clock | None = None, endless=False):
        if name == "ours":
            config = replace(self.ours_config, epochs=10_000, patience=0) if endless else self.ours_config
            return train_iter(model, self.vocab, self.text, config, device="cpu")

        def evaluate(m, ids):  # the seed recipe validates with the window loss itself
            if clock is None:
                return window_loss(m, ids)
            with clock.paused():
                return window_loss(m, ids)
        return seed_recipe_iter(model, self.vocab, self.text, seed=self.args.seed, evaluate=evaluate,
                                epochs=10_000 if endless else self.args.seed_max_epochs,
                                patience=0 if endless else SEED_PATIENCE)


def run(race: Race, name: str) -> dict:
    """Train one recipe to its end, timing it and scoring each epoch's model."""
    model, clock = race.model(), Clock()
    records = race.records(name, model, clock)
    max_seconds = race.args.seed_max_seconds if name == "seed" else None
    curve, stopped_by, steps_per_epoch = [], "its own early stop or epoch cap", None
    while True:
        clock.start()
        progress = next(records, None)
        clock.stop()
        if progress is None:
            break
        if progress.val_loss is None:
            continue
        steps_per_epoch = steps_per_epoch or progress.step
        val = progress.val_loss if name == "seed" else window_loss(model, race.val_ids)
        curve.append({"epoch": round(progress.epoch, 3), "seconds": round(clock.total, 3),
                      "window_val_loss": val, "train_loss": progress.loss})
        if max_seconds is not None and clock.total > max_seconds:
            records.close()  # the generator's finally restores its best weights
            stopped_by = f"time cap ({max_seconds:g} s)"
            break
    best = min(curve, key=lambda point: point["window_val_loss"])
    # Each recipe has restored its best weights (by its own validation loss).
    return {"epochs_run": curve[-1]["epoch"], "stopped_by": stopped_by, "train_seconds": clock.total,
            "steps_per_epoch": steps_per_epoch, "best_window_val_loss": best["window_val_loss"],
            "epoch_of_best": best["epoch"], "time_to_best": best["seconds"],
            "final_window_val_loss": window_loss(model, race.val_ids),
            "final_stateful_val_loss": stateful_loss(model, race.val_ids), "curve": curve}


def matched_step_seconds(race: Race, rounds: int, block_seconds: float = 0.5) -> dict:
    """Median seconds per optimiser step of each recipe, timed in alternating blocks so both
    see the same machine load. Epoch-end steps (which validate) are left out."""
    records = {name: race.records(name, race.model(), endless=True) for name in RECIPES}
    times = {name: [] for name in RECIPES}
    for _ in range(rounds):
        for name, gen in records.items():
            block_start = time.perf_counter()
            while time.perf_counter() - block_start < block_seconds:
                tick = time.perf_counter()
                progress = next(gen)
                if progress.val_loss is None:
                    times[name].append(time.perf_counter() - tick)
    for gen in records.values():
        gen.close()
    return {name: statistics.median(t) for name, t in times.items()}


def one_repeat(race: Race) -> dict:
    results = {name: run(race, name) for name in RECIPES}
    step_seconds = matched_step_seconds(race, rounds=2 if race.args.quick else 10)
    target = results["seed"]["best_window_val_loss"] * (1 + TOLERANCE)
    for name, r in results.items():
        hit = next((p for p in r["curve"] if p["window_val_loss"] <= target), None)
        r["epoch_at_target"] = hit["epoch"] if hit else None
        r["time_to_target"] = hit["seconds"] if hit else None
        r["matched_step_seconds"] = step_seconds[name]
        r["matched_time_to_target"] = (hit["epoch"] * r["steps_per_epoch"] * step_seconds[name]
                                       if hit else None)

    def ratio(key):
        seed, ours = results["seed"][key], results["ours"][key]
        return seed / ours if seed and ours else None
    return {"target_window_val_loss": target, "speedup": ratio("time_to_target"),
            "matched_speedup": ratio("matched_time_to_target"), "recipes": results}


def fmt_time(seconds: float | None) -> str:
    return "not reached" if seconds is None else f"{seconds:.1f} s"


def fmt_ratio(name: str, ratio: float | None) -> str:
    return "1x" if name == "seed" else ("-" if ratio is None else f"{ratio:.1f}x")


def table(repeats: list[dict]) -> str:
    lines = ["| recipe | epochs run | time to best | best val loss (window metric) | stateful val loss "
             "| time to reach within 5% of seed's best | ratio |", "|---|---|---|---|---|---|---|"]
    for k, rep in enumerate(repeats):
        suffix = f" #{k + 1}" if len(repeats) > 1 else ""
        for name, r in rep["recipes"].items():
            lines.append(f"| {RECIPES[name]}{suffix} | {r['epochs_run']:g} | {fmt_time(r['time_to_best'])} "
                         f"| {r['best_window_val_loss']:.4f} | {r['final_stateful_val_loss']:.4f} "
                         f"| {fmt_time(r['time_to_target'])} | {fmt_ratio(name, rep['speedup'])} |")
    return "\n".join(lines)


def matched_table(repeats: list[dict]) -> str:
    lines = ["| recipe | stopped by | epochs to reach within 5% of seed's best | steps per epoch "
             "| step time (matched) | time to reach at matched speed | ratio |",
             "|---|---|---|---|---|---|---|"]
    for k, rep in enumerate(repeats):
        suffix = f" #{k + 1}" if len(repeats) > 1 else ""
        for name, r in rep["recipes"].items():
            epochs = "not reached" if r["epoch_at_target"] is None else f"{r['epoch_at_target']:g}"
            lines.append(f"| {name}{suffix} | {r['stopped_by']} | {epochs} | {r['steps_per_epoch']} "
                         f"| {1000 * r['matched_step_seconds']:.1f} ms "
                         f"| {fmt_time(r['matched_time_to_target'])} | {fmt_ratio(name, rep['matched_speedup'])} |")
    return "\n".join(lines)


def machine() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "nproc": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit,
        "loadavg_at_end": os.getloadavg(),
    }


def summarise(repeats: list[dict]) -> dict:
    def median(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None
    speedup = median(r["speedup"] for r in repeats)
    matched = median(r["matched_speedup"] for r in repeats)
    seed_best = median(r["recipes"]["seed"]["best_window_val_loss"] for r in repeats)
    ours_best = median(r["recipes"]["ours"]["best_window_val_loss"] for r in repeats)
    return {"speedup": speedup, "speedup_target_met": speedup is not None and speedup >= 20,
            "matched_speedup": matched, "matched_speedup_target_met": matched is not None and matched >= 20,
            "seed_best_window_val_loss": seed_best, "ours_best_window_val_loss": ours_best,
            "best_val_loss_no_worse": ours_best <= seed_best}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed-max-seconds", type=float, default=600.0,
                   help="training-time cap for the seed recipe (default 600)")
    p.add_argument("--seed-max-epochs", type=int, default=60, help="epoch cap for the seed recipe (default 60)")
    p.add_argument("--repeats", type=int, default=1, help="run the race this many times (default 1)")
    p.add_argument("--seed", type=int, default=0, help="initial weights, data order, dropout (default 0)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 seed epochs, 3 of ours; writes nothing")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON results file (default {RESULTS.relative_to(ROOT)}; none with --quick)")
    args = p.parse_args(argv)
    if args.quick:
        args.seed_max_epochs = min(args.seed_max_epochs, 2)
    out = args.out if args.out is not None else (None if args.quick else RESULTS)

    torch.set_num_threads(THREADS)
    loadavg_before = os.getloadavg()
    race = Race(BABY_DATASET, args)
    repeats = []
    for k in range(args.repeats):
        print(f"race {k + 1}/{args.repeats} ...", file=sys.stderr, flush=True)
        repeats.append(one_repeat(race))
    summary = summarise(repeats)
    show = lambda x: "-" if x is None else f"{x:.1f}x"  # noqa: E731
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(table(repeats))
    print()
    print(matched_table(repeats))
    print()
    print(f"speed-up to within 5% of the seed's best (target >= 20x): wall clock {show(summary['speedup'])} "
          f"({met(summary['speedup_target_met'])}), at matched speed {show(summary['matched_speedup'])} "
          f"({met(summary['matched_speedup_target_met'])}). Best window val loss: ours "
          f"{summary['ours_best_window_val_loss']:.4f}, seed {summary['seed_best_window_val_loss']:.4f} "
          f"({'no worse' if summary['best_val_loss_no_worse'] else 'WORSE'}).")
    if out is None:
        return
    report = {
        "benchmark": "bench/train_speed.py",
        "command": " ".join([".venv/bin/python", "bench/train_speed.py", *(argv or sys.argv[1:])]),
        "corpus": {"name": "babylm.BABY_DATASET (assets/baby_corpus.txt)", "chars": len(BABY_DATASET)},
        "metric": "window val loss: mean cross-entropy of each validation character from the 15 "
                  "before it, zero state, evaluated at every epoch end",
        "clock": "training only; the common window evaluation is paused for both (ours' clock "
                 "includes train_iter's own per-epoch stateful validation)",
        "settings": {"threads": THREADS, "tolerance": TOLERANCE, "seed_max_seconds": args.seed_max_seconds,
                     "seed_max_epochs": args.seed_max_epochs, "seed_patience": SEED_PATIENCE,
                     "seed_recipe": {"seq_length": 15, "batch_size": 32, "learning_rate": 1e-3},
                     "ours_config": asdict(race.ours_config), "repeats": args.repeats, "seed": args.seed},
        "machine": {**machine(), "loadavg_at_start": loadavg_before},
        "summary": summary,
        "races": repeats,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
