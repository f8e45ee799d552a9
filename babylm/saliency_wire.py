"""A saliency matrix (babylm.analysis.saliency) packed for the browser player, and unpacked.

Only the lower triangle is sent: row t (predicting character t+1) has t + 1 entries, one per
character read. Each share is sent as uint16 in units of 1/65535 (an error of at most 7.7e-6,
well under the 3 decimals the player shows on hover). Layout, little-endian:

    b"BLMS" | uint32 steps T | uint32 id length | id (UTF-8) | padding to 2 bytes |
    uint16 x T(T+1)/2, rows in order

The id names the trace it belongs to (wire.trace_id), so the player never shades one generation
with another's numbers.
"""

from __future__ import annotations

import struct

import numpy as np

MAGIC = b"BLMS"
SCALE = 65535


def encode(S: np.ndarray, trace_key: str) -> bytes:
    T = S.shape[0]
    if S.shape != (T, T):
        raise ValueError(f"saliency must be square (T, T), got {S.shape}")
    rows, cols = np.tril_indices(T)  # row-major: row t's t + 1 entries, in order
    q = np.round(np.clip(S[rows, cols], 0.0, 1.0) * SCALE).astype("<u2")
    key = trace_key.encode()
    head = MAGIC + struct.pack("<II", T, len(key)) + key
    head += b"\0" * (len(head) % 2)
    return head + q.tobytes()


def decode(buffer: bytes) -> tuple[np.ndarray, str]:
    """(S (T, T) float32 with zeros above the diagonal, the trace id)."""
    if buffer[:4] != MAGIC:
        raise ValueError("not a babylm saliency buffer: it does not start with BLMS")
    T, n = struct.unpack("<II", buffer[4:12])
    key = buffer[12:12 + n].decode()
    start = 12 + n + (12 + n) % 2
    q = np.frombuffer(buffer, dtype="<u2", count=T * (T + 1) // 2, offset=start)
    S = np.zeros((T, T), dtype=np.float32)
    S[np.tril_indices(T)] = q / SCALE
    return S, key
