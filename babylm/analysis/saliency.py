"""Which past characters matter: for each prediction, how strongly it depends on each character
read so far (Distill's "Visualizing memorization in RNNs", Ecco's input saliency).

`saliency(model, vocab, text)` returns S (N-1, N-1) for a text of N characters. Row t is the
prediction of text[t+1] after reading text[0..t]; S[t, s] for s <= t is the L2 norm of the
gradient of log p(text[t+1]) with respect to the embedding vector of text[s], each row divided by
its sum (so rows sum to 1), zero above the diagonal. Dropout is off. In "stateful" mode every
prediction reads from a zero state at text[0]; in "window" mode (the seed's way) it reads only the
last `seq_length` characters from a zero state, so everything older gets exactly zero.

The gradients are Captum's `Saliency` (plain input gradients, abs=False) on the embedded input of
`model.forward_embedded`. To get one row per prediction with a single backward pass, the text is
copied once per row into a batch: copy b reads the characters row b reads, and its output is that
row's log-probability. Copies do not interact, so the gradient of the batch's outputs with respect
to copy b is exactly row b's gradient. Rows go in chunks to bound memory.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data import Vocab
from ..generate import MODES
from ..model import CharRNN

MAX_SALIENCY_TEXT = 500  # characters: the work grows with the square of the length (~7 s here)
CHUNK_STEPS = 16_384  # rows x characters read per batch: bounds what autograd keeps in memory


def check_saliency_text(vocab: Vocab, text: str, mode: str) -> None:
    if not isinstance(text, str):
        raise ValueError(f"text must be text, got {type(text).__name__}")
    if len(text) < 2:
        raise ValueError(f"saliency needs a text of at least 2 characters (one to read, one to "
                         f"predict), got {text!r}")
    if len(text) > MAX_SALIENCY_TEXT:
        raise ValueError(f"text is too long for saliency ({len(text)} characters): the limit is "
                         f"{MAX_SALIENCY_TEXT}; pass a shorter stretch")
    if mode not in MODES:
        raise ValueError(f"mode must be 'stateful' or 'window', got {mode!r}")
    vocab.encode(text)  # names any character the model has never seen


def saliency(model: CharRNN, vocab: Vocab, text: str, mode: str = "stateful") -> np.ndarray:
    """(N-1, N-1) float32 row-normalised gradient norms; see the module docstring."""
    from captum.attr import Saliency  # imported here: it takes a second or two to load

    check_saliency_text(vocab, text, mode)
    device = model.head.weight.device
    ids = torch.tensor(vocab.encode(text), device=device)  # (N,)
    T = len(text) - 1
    window = model.config.seq_length if mode == "window" else None
    first = np.array([0 if window is None else max(0, t + 1 - window) for t in range(T)])  # (T,)
    length = np.arange(T) + 1 - first  # (T,) characters row t reads
    norms = np.zeros((T, T), dtype=np.float64)
    was_training = model.training
    model.eval()  # dropout off
    try:
        with torch.enable_grad():
            emb = model.embedding(ids).detach()  # (N, E)
            start = 0
            while start < T:
                # Lengths never decrease with t, so a chunk's copies are as long as its last row;
                # take as many rows as fit in CHUNK_STEPS characters (at least one).
                stop = start + 1
                while stop < T and (stop + 1 - start) * length[stop] <= CHUNK_STEPS:
                    stop += 1
                width = int(length[stop - 1])
                norms[start:stop] = _rows(model, emb, ids, first, length, start, stop, width, Saliency)
                start = stop
    finally:
        model.train(was_training)
    total = norms.sum(axis=1, keepdims=True)  # (T, 1)
    rows = np.divide(norms, total, out=np.zeros_like(norms), where=total > 0)
    return np.tril(rows).astype(np.float32)


def _rows(model, emb, ids, first, length, start, stop, width, Saliency) -> np.ndarray:
    """Rows start..stop-1 of the unnormalised matrix, (stop-start, T)."""
    T = len(ids) - 1
    B = stop - start
    # Copy b reads text[first[t]..t] (t = start + b), right-padded to `width`: padding sits after
    # the output position, so it cannot change that output.
    pos = torch.as_tensor(first[start:stop, None] + np.arange(width)[None, :])  # (B, width)
    pos = pos.clamp(max=len(ids) - 1).to(ids.device)
    x = emb[pos].clone().requires_grad_()  # (B, width, E)
    last = torch.as_tensor(length[start:stop] - 1, device=ids.device)  # (B,) output position per copy
    target = ids[start + 1: stop + 1]  # (B,) the character each row predicts
    rows = torch.arange(B, device=ids.device)

    def log_prob(x):  # (B, width, E) -> (B,)
        logits, _ = model.forward_embedded(x)  # (B, width, V)
        logp = torch.log_softmax(logits[rows, last], dim=-1)  # (B, V)
        return logp[rows, target]

    grads = Saliency(log_prob).attribute(x, abs=False)  # (B, width, E)
    norms = grads.norm(dim=-1).detach().cpu().double().numpy()  # (B, width)
    out = np.zeros((B, T))
    for b in range(B):
        t = start + b
        out[b, first[t]: t + 1] = norms[b, : length[t]]
    return out
