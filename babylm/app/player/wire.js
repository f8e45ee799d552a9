// Reads the buffer babylm/wire.py writes (see its docstring for the layout): the header, and
// every block as arrays. Panels are whatever the cell exposes, in its order; nothing here knows
// which cell it is.

import { inflateRaw } from "./vendor/tiny-inflate.js";

const VERSION = 3;
const MIN_EXP = -28;
let D16 = null;  // code -> value, for all 65536 codes

function d16Table() {
  if (D16) return D16;
  D16 = new Float32Array(65536);
  for (let code = 0; code < 65536; code++) {
    const m = code & 1023, e = ((code >> 10) & 31) + MIN_EXP;
    D16[code] = (code >> 15 ? -1 : 1) * m * Math.pow(10, e - 2);
  }
  return D16;
}

/** A panel: one internal (T, L, H). `q` holds colour indices 0..255 on [lo, hi] for drawing;
 * `exact` (d16 panels) the values to 3 significant digits, for text. */
class Panel {
  constructor(meta, data, steps, layers, units) {
    Object.assign(this, meta);
    this.size = layers * units;
    this.units = units;
    const span = this.hi - this.lo;
    if (meta.dtype === "d16") {
      const table = d16Table();
      this.exact = new Float32Array(data.length);
      this.q = new Uint8Array(data.length);
      for (let k = 0; k < data.length; k++) {
        const v = table[data[k]];
        this.exact[k] = v;
        const n = Math.round(((v - this.lo) / span) * 255);
        this.q[k] = n < 0 ? 0 : n > 255 ? 255 : n;
      }
    } else {
      this.exact = null;
      this.q = data;
    }
    this.step = span / 255;  // what one colour index is worth
  }

  index(t, layer, unit) {
    return t * this.size + layer * this.units + unit;
  }

  /** The value at (t, layer, unit): exact to 3 significant digits, or to half a colour step. */
  value(t, layer, unit) {
    const k = this.index(t, layer, unit);
    return this.exact ? this.exact[k] : this.lo + this.q[k] * this.step;
  }

  /** The value as text: 3 significant digits where the wire carries them, else "≈" and the
   * decimals one colour step can vouch for. */
  text(t, layer, unit) {
    const v = this.value(t, layer, unit);
    if (this.exact) return formatExact(v);
    const decimals = Math.max(0, Math.ceil(-Math.log10(this.step)) - 1);
    return "≈" + v.toFixed(decimals).replace("-", "−");
  }
}

/** The model's probability as a percentage to 3 significant digits. A softmax never gives any
 * character all of it (every other share is above 0), so what rounds to 100 (the wire carries
 * 0.9995 and up as 1.00) reads ">99.9%", not a "100%" beside other characters' shares. Pass
 * `model = false` for a distribution that can be certain (what temperature 0 draws from). */
export function formatPercent(p, model = true) {
  if (p > 0 && p < 1e-5) return "<0.001%";  // not "3.7e-24%" on a classroom screen
  const text = (100 * p).toPrecision(3);
  return model && Number(text) >= 100 ? ">99.9%" : `${text}%`;
}

export function formatExact(v) {
  return (v === 0 ? "0" : v.toPrecision(3)).replace("-", "−");
}

export function decode(bytes) {
  const buffer = bytes.slice().buffer;  // a copy that starts at offset 0
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== "BLMW") throw new Error("not a babylm player buffer");
  const size = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, size)));
  if (header.version !== VERSION) throw new Error(`player buffer version ${header.version}; this player reads ${VERSION}`);
  const base = 8 + size;
  const block = (entry) => {
    const n = entry.shape.reduce((a, b) => a * b, 1), start = base + entry.offset;
    if (entry.dtype === "f4") return new Float32Array(buffer, start, n);  // blocks start 4-byte aligned
    if (entry.dtype !== "d16") return new Uint8Array(buffer, start, n);
    // Two planes: the low bytes as they are, then the high bytes raw-deflated (wire.py pack_d16).
    const low = new Uint8Array(buffer, start, n);
    const high = inflateRaw(new Uint8Array(buffer, start + n, entry.packed), new Uint8Array(n));
    if (high.length !== n) throw new Error("player buffer is damaged: a d16 block is shorter than its shape");
    const codes = new Uint16Array(n);
    for (let k = 0; k < n; k++) codes[k] = (high[k] << 8) | low[k];
    return codes;
  };
  const { steps, layers, units } = header;
  const probs = block(header.probs);  // f4: the model's own float32
  const panels = header.panels.map((p) => new Panel(p, block(p), steps, layers, units));
  return Object.assign(header, {
    probs, vocab: header.itos.length, panels,
    panel: Object.fromEntries(panels.map((p) => [p.name, p])),
    chars: (ids) => ids.map((id) => header.itos[id]),
  });
}
