"""Saliency speed: babylm.analysis.saliency (Captum on a batch holding one copy of the text per
row, one backward per chunk of rows) against the plain way (one forward and one backward per
row), on the shipped model, torch on 1 thread, texts cut from the start of BABY_DATASET.

The two are timed in alternation, `--repeats` times each, and the medians reported; both give
the same matrix (checked here to 1e-5), so only the time differs.

    .venv/bin/python bench/saliency_speed.py            # writes bench/results/saliency_speed.json
    .venv/bin/python bench/saliency_speed.py --quick    # short texts only, writes nothing
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import numpy as np  # noqa: E402
import torch  # noqa: E402

from babylm import BABY_DATASET, BabyLanguageModel  # noqa: E402
from babylm.analysis import saliency  # noqa: E402


def per_row(model, vocab, text: str) -> np.ndarray:
    """The plain way: for each row, read text[0..t] and backpropagate its log-probability."""
    ids = torch.tensor(vocab.encode(text))
    T = len(text) - 1
    S = np.zeros((T, T))
    emb = model.embedding(ids).detach()  # (N, E)
    for t in range(T):
        x = emb[None, : t + 1].clone().requires_grad_()  # (1, t+1, E)
        logits, _ = model.forward_embedded(x)
        torch.log_softmax(logits[0, -1], dim=-1)[ids[t + 1]].backward()
        S[t, : t + 1] = x.grad[0].norm(dim=-1).numpy()
    return S / S.sum(axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    baby = BabyLanguageModel.pretrained()
    model, vocab = baby.model.eval(), baby.vocab
    lengths = (50, 100) if args.quick else (50, 100, 200, 300, 500)
    rows = []
    for n in lengths:
        text = BABY_DATASET[:n]
        ours, plain = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            S = saliency(model, vocab, text)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            R = per_row(model, vocab, text)
            plain.append(time.perf_counter() - start)
        np.testing.assert_allclose(S, R, atol=1e-5)
        row = dict(chars=n, ours_s=round(statistics.median(ours), 3),
                   per_row_s=round(statistics.median(plain), 3))
        row["ratio"] = round(row["per_row_s"] / row["ours_s"], 1)
        rows.append(row)
        print(row, flush=True)
    if not args.quick:
        out = Path(__file__).parent / "results" / "saliency_speed.json"
        out.write_text(json.dumps(dict(
            date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            load_average=os.getloadavg(), threads=1, repeats=args.repeats, rows=rows), indent=2) + "\n")
        print("wrote", out)


if __name__ == "__main__":
    main()
