"""Train the shipped memory-game models (an LSTM, a GRU and a simple RNN) and measure their reach.

    make memory-models        # = .venv/bin/python bench/memory_models.py

Same network for all three cells (2 layers x 128 units, embedding 32, no dropout), same game
(assets/memory_game.txt), same seed, same recipe: `train_iter` with 32 streams of 192-character
chunks (longer than the longest line, 145 characters, since truncated back-propagation only
teaches dependencies as long as its chunks), Adam 1e-2, and the same curriculum (STAGES: the
filler capped at 20, then 60 characters, then the shipped game), a fixed number of epochs each.

Which weights are kept: at each epoch's end the model's memory reach is measured on a *selection*
set of held-out lines (seed 7, distances 0 to 100), and the weights with the best mean reach are
kept (ties: the lower validation loss). An LSTM "clicks" suddenly and can wobble later, and the
validation loss hardly notices (the random filler words dominate it). The reach reported in the
README and bench/results/memory.json is measured afterwards on a different held-out set (the
default seed of `memory_reach`), so the selection does not flatter it.

Writes assets/memory-{lstm,gru,rnn}.safetensors (each with its training time in the checkpoint's
training summary), bench/results/memory.json, and assets/memory_reach.json: the Memory page's
curves, precomputed so a class's first visit does not wait for them (the page checks they belong
to the weights it serves, by their SHA-256, and measures them itself otherwise). The machine is
shared, so each model records both its wall-clock time (under whatever else was running) and its
own CPU time (about what a quiet machine would take, one thread).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babylm import BabyLanguageModel  # noqa: E402
from babylm.data import read_text  # noqa: E402
from babylm.memory_game import ALPHABET, MAX_DISTANCE, game_text  # noqa: E402
from babylm.checkpoint import weights_digest  # noqa: E402
from babylm.memory import (CURVE_DISTANCES, CURVE_MODELS, DEFAULT_N, DISTANCES,  # noqa: E402
                           memory_reach, reach_curves)

GAME = ROOT / "assets" / "memory_game.txt"
SELECT_DISTANCES = tuple(range(0, 101, 10))
SELECT_SEED = 7
MODEL = dict(hidden_size=128, num_layers=2, embedding_dim=32, dropout=0.0)
TRAIN = dict(batch_size=32, chunk_length=192, patience=0, seed=0)
# Adam's learning rate, the same for every cell. The simple RNN learned nothing at it (0.25 at
# every distance, even 0, after 1050 steps); at 3e-3 it was still at 0.25 after 400 steps (the
# end of stage 2), so the lower rate is not what it lacks.
LEARNING_RATE = {"lstm": 1e-2, "gru": 1e-2, "rnn": 1e-2}
# A curriculum, the same for every cell: (longest filler, lines, epochs). The first two stages are
# the same game with its filler capped (generated here, seeds 1 and 2); the last is the shipped
# game, assets/memory_game.txt. Straight on the full game, no cell had found the animal-sound
# link after 900 steps; with short lines first, a 1-layer LSTM found it in about 250.
STAGES = ((20, 3000, 12), (60, 3000, 10), (MAX_DISTANCE, None, 12))


def stage_text(stage: int, max_distance: int, lines: int | None) -> str:
    return read_text(GAME) if lines is None else game_text(lines, max_distance, seed=stage + 1)


def train_one(cell: str, scale: float, lr: float, log) -> tuple[BabyLanguageModel, dict]:
    baby = BabyLanguageModel(chars=ALPHABET, cell=cell, **MODEL)
    baby.build_model(seed=0)
    best = (-1.0, float("inf"))
    best_state, best_at, curve = None, "", []
    start, cpu_start = time.perf_counter(), time.process_time()
    eval_seconds, steps = 0.0, 0
    for stage, (max_distance, lines, epochs) in enumerate(STAGES):
        text = stage_text(stage, max_distance, lines)
        for progress in baby.train_iter(text, epochs=max(1, round(epochs * scale)), learning_rate=lr,
                                        **TRAIN):
            steps += 1
            if progress.val_loss is None:
                continue
            t0 = time.perf_counter()
            reach = memory_reach(baby, SELECT_DISTANCES, n=64, seed=SELECT_SEED)
            eval_seconds += time.perf_counter() - t0
            seconds = time.perf_counter() - start
            score = (float(reach.mean()), -progress.val_loss)
            curve.append([stage + 1, round(progress.epoch, 2), steps, round(seconds, 1), round(score[0], 4)])
            if score > (best[0], -best[1]):
                best, best_at = (score[0], progress.val_loss), f"stage {stage + 1} epoch {progress.epoch:.0f}"
                best_state = copy.deepcopy(baby.model.state_dict())
            log(f"{cell} stage {stage + 1} epoch {progress.epoch:5.1f} step {steps:5d} {seconds:6.1f}s "
                f"loss {progress.loss:.4f} val {progress.val_loss:.4f} reach {' '.join(f'{r:.2f}' for r in reach)}")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    baby.model.load_state_dict(best_state)
    baby.text = read_text(GAME)
    record = {
        "cell": cell,
        "learning_rate": lr,
        "seconds": round(seconds, 1),  # wall clock of the whole run, selection included
        "cpu_seconds": round(cpu_seconds, 1),  # this process's CPU time: what a quiet machine would take
        "selection_seconds": round(eval_seconds, 1),
        "steps": steps,
        "kept": best_at,
        "selection_reach": round(best[0], 4),
        "curve": curve,  # [stage, epoch, steps, seconds, mean selection reach]
    }
    click = next((c for c in curve if c[4] >= 0.9), None)  # the first epoch end at >= 0.9
    # A checkpoint's summary holds numbers and short texts (babylm/summary.py), so the curriculum
    # goes in as text and the selection curve only as when it first passed 0.9.
    baby.training_summary = {
        "seconds": record["seconds"], "cpu_seconds": record["cpu_seconds"], "steps": steps, "kept": best_at,
        "kept_by": "best mean memory reach on held-out lines (seed 7), distances 0-100",
        "curriculum": "; ".join(f"filler <= {d}: {n or 'the shipped game'} lines x {e} epochs"
                                for d, n, e in STAGES),
        "config": dict(TRAIN, learning_rate=lr),
        "seconds_to_reach_0.9": click[3] if click else None,
        "steps_to_reach_0.9": click[2] if click else None,
        "game": "assets/memory_game.txt",
    }
    return baby, record


def load_models(folder: Path) -> dict[str, BabyLanguageModel]:
    return {label: BabyLanguageModel.load(folder / f"{name}.safetensors") for label, name in CURVE_MODELS.items()}


def write_curves(folder: Path, out: Path) -> None:
    """The Memory page's curves for the models in `folder`, with each model's weight digest so
    the page can tell they belong to the models it serves (else it measures them itself)."""
    models = load_models(folder)
    data = {
        "distances": list(CURVE_DISTANCES),
        "n": DEFAULT_N,
        "curves": {k: [round(v, 5) for v in vals] for k, vals in reach_curves(models).items()},
        "weights": {label: weights_digest(baby.model.state_dict()) for label, baby in models.items()},
    }
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out}", flush=True)


def report(folder: Path, results_path: Path) -> str:
    """The README's table (reach at DISTANCES for each model, and the LSTM in the seed's window;
    each model's training time from its checkpoint), also stored under "reach" in the results."""
    models = load_models(folder)
    rows = [(label, baby, "stateful") for label, baby in models.items()]
    rows.append(("LSTM, 15-char window", models["LSTM"], "window"))
    head = ("| model | " + " | ".join(f"{d}" for d in DISTANCES)
            + " | training time (wall) | CPU time | steps | first mean reach >= 0.9 |")
    lines, measured = [head, "|" + "---|" * (len(DISTANCES) + 5)], {}
    for label, baby, mode in rows:
        reach = memory_reach(baby, mode=mode)
        measured[label] = {"distances": list(DISTANCES), "reach": np.round(reach, 4).tolist()}
        summary = baby.training_summary
        if mode == "window":
            time_cells = "(the LSTM above) | | | "
        else:
            measured[label]["training"] = summary
            seconds = summary.get("seconds_to_reach_0.9")
            click = "never" if seconds is None else f"{seconds / 60:.1f} min (step {summary['steps_to_reach_0.9']:.0f})"
            time_cells = (f"{summary['seconds'] / 60:.1f} min | {summary['cpu_seconds'] / 60:.1f} min | "
                          f"{summary['steps']} | {click}")
        lines.append(f"| {label} | " + " | ".join(f"{r:.2f}" for r in reach) + f" | {time_cells} |")
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results["reach"] = measured
    results_path.write_text(json.dumps(results, indent=1) + "\n")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", default="lstm,gru,rnn")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every stage's epochs (a quick trial: 0.1)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate for every cell (default: LEARNING_RATE)")
    p.add_argument("--report-only", action="store_true",
                   help="train nothing: measure the models in --out (the page's curves, the table)")
    p.add_argument("--out", default=str(ROOT / "assets"))
    p.add_argument("--results", default=str(ROOT / "bench" / "results" / "memory.json"))
    args = p.parse_args(argv)
    # One thread: these small matrices gain nothing from a second one, and on a busy 2-core machine
    # two threads waiting on each other spent 8x the CPU per step (measured: 1.1 s against 0.13 s).
    torch.set_num_threads(args.threads)

    def log(msg):
        print(msg, flush=True)

    Path(args.out).mkdir(parents=True, exist_ok=True)
    results_path = Path(args.results)
    cells = [] if args.report_only else args.cells.split(",")
    for cell in cells:
        baby, record = train_one(cell, args.scale, args.lr or LEARNING_RATE[cell], log)
        baby.save(Path(args.out) / f"memory-{cell}.safetensors")
        record["reach"] = dict(zip(map(str, DISTANCES), np.round(memory_reach(baby), 4).tolist()))
        if cell == "lstm":
            record["reach_window"] = dict(zip(map(str, DISTANCES),
                                              np.round(memory_reach(baby, mode="window"), 4).tolist()))
        log(f"{cell}: {record['seconds']}s, kept {record['kept']}, reach {record['reach']}"
            + (f", window {record['reach_window']}" if "reach_window" in record else ""))
        # Re-read just before writing: the cells may be trained by separate processes at once.
        results = json.loads(results_path.read_text()) if results_path.exists() else {}
        results.setdefault("training", {})[cell] = record
        results_path.write_text(json.dumps(results, indent=1) + "\n")
    if all((Path(args.out) / f"{name}.safetensors").is_file() for name in CURVE_MODELS.values()):
        write_curves(Path(args.out), Path(args.out) / "memory_reach.json")
        print(report(Path(args.out), results_path))


if __name__ == "__main__":
    main()

