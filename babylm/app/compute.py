"""One model computation at a time on this server.

Every session's script runs in its own thread. NumPy and torch release the GIL inside each
operation on a few hundred numbers or more, which is every step of the model: with 30 students
pressing Generate at once, 30 threads handed the GIL to one another after almost every
operation, and the server spent as much CPU switching as computing (bench/app_speed.py, 30
sessions at once: 1.7 s of server CPU and 1.4 s to every first frame without this lock, 0.75 s
and 0.72 s with it). Generations are short (a default one is ~7 ms), so queueing them costs
nobody more than the switching did. Training holds no turn: it runs for minutes.
"""

from __future__ import annotations

import threading

_TURN = threading.RLock()  # re-entrant: a computation may ask for another (colour ranges)


def turn() -> threading.RLock:
    """`with compute.turn():` around a model computation a page waits for."""
    return _TURN
