"""A Trace, packed as one compact binary buffer for the browser player, and unpacked again.

The player (babylm/app/player/wire.js) receives this buffer once per generation and draws every
step from it; nothing is re-sent while it plays. Layout (little-endian):

    b"BLMW" | uint32 header length | header (UTF-8 JSON) | zero padding to 4 bytes | blocks

The header says what the trace is (cell, mode, characters as vocabulary ids, settings) and lists
its `panels`, one per internal the cell exposes, in the cell's order, each with a label, a fixed
colour range [lo, hi], whether it is part of the recurrent state, and where its block is. Nothing
here knows which cell made the trace: names, labels and ranges come from the model
(`INTERNAL_INFO`) and the trace.

Three encodings, chosen per block:
- "u8": round((v - lo) / (hi - lo) * 255) on the panel's fixed range. On screen it is
  indistinguishable from the float; used for internals an activation keeps inside their range
  (gates, candidates), so the error is at most half a step, (hi - lo) / 510.
- "d16": 16-bit decimal with 3 significant digits: sign (1 bit), decimal exponent e + 28
  (5 bits, e from -28 to 3), mantissa m from 100 to 999 (10 bits); value = m * 10**(e - 2).
  Exactly the number `f"{v:.3g}"` prints, so what the player shows as text is the model's own
  number to 3 significant digits. Used for the recurrent state (h, c: the values a viewer hovers
  and selects, and c has no bound) and the next-character probabilities. Stored as two byte
  planes: the n low bytes as they are (close to random), then the n high bytes (sign, exponent
  and the mantissa's top bits: a handful of values) raw-deflated at level 1, `packed` bytes
  long. That took a default generation's buffer from 142 KB to 120 KB for ~0.7 ms of CPU; the player
  inflates it with a vendored tiny-inflate (player/vendor/).
- "f4": float32 as the model computed it, for the next-character probabilities. The bars show
  them to 3 significant digits, but the player also reshapes them by temperature and top-k
  (what the next character is drawn from): reshaped from 3-digit values, the shares moved by up
  to 0.1 point (37.8% beside a lesson's 37.7%); from the float32 they are the model's own.
  It costs a default generation 4.7 KB (its buffer is 125 KB).

`decode(buffer)` is the same reader in Python; the tests use it to check the buffer against the
trace. `model_scales` fixes each panel's colour range once per model.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib

import numpy as np

from .model import INTERNAL_INFO, STATE_NAMES
from .trace import Trace

MAGIC = b"BLMW"
VERSION = 3  # 2: d16 blocks as a raw low-byte plane and a deflated high-byte plane; 3: probs as f4
MIN_EXP, MAX_EXP = -28, 3  # d16 exponents: values below 1e-28 are sent as 0, above 9.99e3 clipped
SCALE_TEXT = 1_500  # characters of the model's own text read to fix the range of unbounded internals
SCALE_UNIT_STEPS = 400_000  # ... fewer for a big model: at most this many steps x layers x units


# --- the two encodings ------------------------------------------------------------------------
def to_d16(x: np.ndarray) -> np.ndarray:
    """float array -> uint16, each value rounded to 3 significant digits (half to even, as
    Python's format does). NaN and anything below 1e-28 in size are sent as 0."""
    shape = np.shape(x)
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    ax = np.abs(x)
    nonzero = ax >= np.float32(10.0 ** MIN_EXP)
    a32 = np.fmin(np.fmax(ax, np.float32(10.0 ** MIN_EXP)), np.float32(999 * 10.0 ** (MAX_EXP - 2)))
    e = np.floor(np.log10(a32)).astype(np.int64)  # may be one off next to a power of ten: fixed below
    a = a32.astype(np.float64)
    k = 2 - e
    m = a * _POW10[np.maximum(k, 0)]  # a * 10**k, exact (see _shift); k < 0 only from 1,000 up
    big = np.flatnonzero(k < 0)
    if big.size:
        m[big] = a[big] / _POW10[-k[big]]
    m = np.round(m, out=m)
    # log10 can land one off next to a power of ten: fix those few and round them again.
    off = np.flatnonzero(((m >= 1000) | (m < 100)) & nonzero)
    if off.size:
        fix_e = e[off] + np.where(m[off] >= 1000, 1, -1)
        fix_m = np.round(_shift(a[off], 2 - fix_e))
        up = fix_m >= 1000  # 999.5 rounding up after the fix
        e[off], m[off] = np.where(up, fix_e + 1, fix_e), np.where(up, 100, fix_m)
    e = np.clip(e, MIN_EXP, MAX_EXP)
    code = (np.signbit(x).astype(np.uint16) << 15) | ((e - MIN_EXP).astype(np.uint16) << 10) \
        | m.astype(np.uint16)
    return np.where(nonzero, code, 0).astype(np.uint16).reshape(shape)


_POW10 = 10.0 ** np.arange(0, 64)  # exact in float64 up to 1e22, the largest shift used here


def _shift(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """a * 10**k, exact in float64 for float32 a and the k used here (10**k is exact, and a
    24-bit mantissa times 5**k fits 53 bits while k <= 12)."""
    k = np.asarray(k)
    scale = _POW10[np.abs(k)]
    return np.where(k >= 0, a * scale, a / scale)


def from_d16(code: np.ndarray) -> np.ndarray:
    """uint16 -> float32: the values to_d16 rounded."""
    code = np.asarray(code, dtype=np.uint16).astype(np.int64)
    sign = np.where(code >> 15, -1.0, 1.0)
    e = ((code >> 10) & 31) + MIN_EXP
    m = code & 1023
    return (sign * m * 10.0 ** (e - 2)).astype(np.float32)


def pack_d16(codes: np.ndarray) -> tuple[bytes, bytes]:
    """d16 codes -> (the low bytes, the high bytes raw-deflated at level 1)."""
    flat = np.ascontiguousarray(codes, dtype=np.uint16).reshape(-1)
    squeeze = zlib.compressobj(1, zlib.DEFLATED, -15)
    high = squeeze.compress((flat >> 8).astype(np.uint8).tobytes()) + squeeze.flush()
    return (flat & 0xFF).astype(np.uint8).tobytes(), high


def unpack_d16(low: bytes, high: bytes, n: int) -> np.ndarray:
    """pack_d16's two planes -> n uint16 codes."""
    high = zlib.decompressobj(-15).decompress(high, n)
    if len(low) != n or len(high) != n:
        raise ValueError("player buffer is damaged: a d16 block is shorter than its shape")
    return (np.frombuffer(high, np.uint8).astype(np.uint16) << 8) | np.frombuffer(low, np.uint8)


def to_u8(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.round((np.clip(x, lo, hi) - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def from_u8(q: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (lo + q.astype(np.float32) * ((hi - lo) / 255.0)).astype(np.float32)


# --- colour ranges ----------------------------------------------------------------------------
def symmetric_range(values: np.ndarray) -> float:
    """One symmetric range for an unbounded internal: the 99th percentile of |v|, rounded up to
    a half, at least 1. A few values beyond it are drawn at full colour (their text is exact);
    scaling to the very largest would wash every other cell out."""
    return float(max(1.0, np.ceil(np.percentile(np.abs(values), 99) * 2) / 2))


def model_scales(model, vocab, text: str | None) -> dict[str, tuple[float, float]]:
    """Each internal's fixed colour range for this model: the activation's own range where it
    has one, else a symmetric range from reading (part of) the model's own text once. The same
    for every generation of the model, so a colour means the same across prompts."""
    from .trace import trace_text  # the reading is only needed for unbounded internals

    scales, unbounded = {}, []
    for name in model.internal_names:
        bounds = INTERNAL_INFO[name][1]
        if bounds is None:
            unbounded.append(name)
        else:
            scales[name] = bounds
    if unbounded:
        config = model.config
        most = max(2, min(SCALE_TEXT, SCALE_UNIT_STEPS // (config.num_layers * config.hidden_size)))
        known = [ch for ch in (text or "") if ch in vocab.stoi]
        sample = "".join(known[:most]) or ("".join(vocab.itos) * 4)[:most]
        if len(sample) < 2:
            sample = sample * 2
        read = trace_text(model, vocab, sample)
        for name in unbounded:
            r = symmetric_range(read.internals[name])
            scales[name] = (-r, r)
    return scales


# --- the buffer -------------------------------------------------------------------------------
def trace_id(model_key: str, trace: Trace) -> str:
    """A short name for one generation of one model (what the player compares to know it has a
    new trace)."""
    what = json.dumps([model_key, trace.settings.to_query() if trace.settings else trace.text,
                       trace.mode], sort_keys=True)
    return hashlib.sha256(what.encode()).hexdigest()[:16]


def encode(trace: Trace, scales: dict[str, tuple[float, float]], trace_key: str = "",
           exact: tuple[str, ...] | None = None) -> bytes:
    """The buffer the player reads. `scales` gives each internal's colour range (model_scales);
    `exact` names the internals sent as 3-significant-digit decimals (default: the cell's
    recurrent state, h and c for an LSTM); the others are sent as uint8 on their range."""
    steps, layers, units = trace.shape
    exact = STATE_NAMES[trace.cell] if exact is None else exact
    stoi = {ch: n for n, ch in enumerate(trace.itos)}
    blocks: list[bytes] = []
    offset = 0

    def add(data: np.ndarray, dtype: str, shape) -> dict:
        nonlocal offset
        entry = {"dtype": dtype, "shape": list(shape), "offset": offset}
        if dtype == "d16":
            low, high = pack_d16(data)
            entry["packed"] = len(high)
            raw = low + high
        else:
            raw = np.ascontiguousarray(data).tobytes()
        blocks.append(raw + b"\0" * (-len(raw) % 4))
        offset += len(blocks[-1])
        return entry

    panels = []
    for name, values in trace.internals.items():  # each (T, L, H)
        lo, hi = scales[name]
        if name in exact:
            block = add(to_d16(values), "d16", values.shape)  # packed in add()
        else:
            block = add(to_u8(values, lo, hi), "u8", values.shape)
        panels.append({"name": name, "label": INTERNAL_INFO[name][0], "lo": lo, "hi": hi,
                       "state": name in STATE_NAMES[trace.cell], **block})
    header = {
        "version": VERSION, "id": trace_key, "cell": trace.cell, "mode": trace.mode,
        "seq_length": trace.seq_length, "steps": steps, "layers": layers, "units": units,
        "itos": list(trace.itos),
        "inputs": [stoi[ch] for ch in trace.inputs], "outputs": [stoi[ch] for ch in trace.outputs],
        "from_prompt": [int(b) for b in trace.from_prompt],
        "settings": trace.settings.to_query() if trace.settings else None,
        "panels": panels,
        "probs": add(np.asarray(trace.probs, dtype="<f4"), "f4", trace.probs.shape),
    }
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    head += b" " * (-(8 + len(head)) % 4)  # blocks start 4-byte aligned
    return MAGIC + struct.pack("<I", len(head)) + head + b"".join(blocks)


def decode(buffer: bytes) -> dict:
    """The header as a dict, with every block decoded to float32 arrays: `probs` (T, V) and
    `internals` {name: (T, L, H)} (what the player draws and shows)."""
    if buffer[:4] != MAGIC:
        raise ValueError("not a babylm player buffer: it does not start with BLMW")
    (size,) = struct.unpack("<I", buffer[4:8])
    header = json.loads(buffer[8:8 + size])
    if header.get("version") != VERSION:
        raise ValueError(f"player buffer version {header.get('version')!r}; this reader knows {VERSION}")
    base = 8 + size

    def read(entry: dict, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
        n = int(np.prod(entry["shape"]))
        start = base + entry["offset"]
        if entry["dtype"] == "d16":
            codes = unpack_d16(buffer[start: start + n], buffer[start + n: start + n + entry["packed"]], n)
            return from_d16(codes.reshape(entry["shape"]))
        if entry["dtype"] == "f4":
            return np.frombuffer(buffer, dtype="<f4", count=n, offset=start).reshape(entry["shape"]).copy()
        raw = np.frombuffer(buffer, dtype=np.uint8, count=n, offset=start)
        return from_u8(raw.reshape(entry["shape"]), lo, hi)

    header["probs"] = read(header["probs"])
    header["internals"] = {p["name"]: read(p, p["lo"], p["hi"]) for p in header["panels"]}
    return header
