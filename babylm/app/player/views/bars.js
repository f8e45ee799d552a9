// The model's next-character probabilities at the current step: the ten likeliest, best first,
// plus the character that came next (orange) if it was not among them. Horizontal bars, so every
// label is large and none overlaps, however narrow the screen. Numbers are the wire's
// 3-significant-digit probabilities (temperature 1).

import { sharpCanvas } from "../colors.js";
import { hostHeight } from "../protocol.js";
import { visible } from "./text.js";
import { formatPercent } from "../wire.js";

const K = 10, BAR = "#9db4d6", CHOSEN = "#e8590c", INK = "#1f2430", MUTED = "#5b6375", GUESS = "#7950f2";

export class BarsView {
  /** `k`: how many of the likeliest to show (the side-by-side player shows fewer, to fit). */
  constructor(root, trace, k = K) {
    this.trace = trace;
    this.k = k;
    root.replaceChildren();
    const title = document.createElement("div");
    title.className = "view-title";
    title.textContent = "Next character";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "bars";
    root.append(title, this.canvas);
    this.root = root;
    this.bars = [];
    this.canvas.onmousemove = (e) => {
      const r = this.canvas.getBoundingClientRect(), y = e.clientY - r.top;
      const hit = this.bars.find((b) => y >= b.y0 && y <= b.y1);
      this.canvas.title = hit ? `“${hit.ch}”: ${hit.p.toPrecision(3)}` : "";
    };
    this.key = "";
  }

  top(t, guess) {
    const { probs, vocab, outputs } = this.trace;
    const row = Array.from({ length: vocab }, (_, j) => j);
    row.sort((a, b) => probs[t * vocab + b] - probs[t * vocab + a] || a - b);
    const best = row.slice(0, Math.min(this.k, vocab));
    if (!best.includes(outputs[t])) best.push(outputs[t]);
    if (guess !== undefined && !best.includes(guess)) best.push(guess);
    return best;
  }

  render(state, prev, force) {
    const width = this.root.clientWidth;
    const rowH = Math.max(17, Math.min(24, Math.floor((hostHeight() * 0.27) / (K + 1))));  // as the single player's
    const guess = state.quiz && state.guesses ? state.guesses[state.t] : undefined;  // quiz: marked
    const key = `${state.t}|${width}|${rowH}|${guess}`;
    if (!force && key === this.key) return;
    this.key = key;
    const { t } = state, trace = this.trace;
    const ids = this.top(t, guess);
    const height = rowH * Math.max(this.k + 1, ids.length);
    const ctx = sharpCanvas(this.canvas, width, height);
    // The label column fits its widest label: a character the model knows may be shown as its
    // code ("U+202E" for a control character), which a one-letter column clipped.
    const labelFont = (px) => `bold ${px}px 'DejaVu Sans Mono', Menlo, monospace`;
    const startPx = Math.min(20, rowH - 2);
    let labelPx = startPx;
    ctx.font = labelFont(labelPx);
    const widest = Math.max(...ids.map((j) => ctx.measureText(visible(trace.itos[j])).width));
    const left = Math.max(34, Math.min(Math.round(width * 0.2), Math.ceil(widest) + 10));
    if (widest > left - 6) labelPx = Math.max(9, Math.floor(labelPx * (left - 6) / widest));
    this.labels = { column: left, widest: (widest * labelPx) / startPx, px: labelPx };  // for tests
    const right = 64, w = width - left - right;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#e5e8ef";
    ctx.fillRect(left, 0, 1, ids.length * rowH);
    ctx.fillRect(left + w, 0, 1, ids.length * rowH);  // 100%
    ctx.textBaseline = "middle";
    this.bars = ids.map((j, k) => {
      const p = trace.probs[t * trace.vocab + j], y = k * rowH;
      const bar = { y0: y, y1: y + rowH, p, ch: visible(trace.itos[j]), chosen: j === trace.outputs[t] };
      ctx.fillStyle = bar.chosen ? CHOSEN : BAR;
      ctx.fillRect(left + 1, y + 2, Math.max(1, p * w), rowH - 4);
      ctx.fillStyle = INK;
      ctx.textAlign = "center";
      ctx.font = labelFont(labelPx);
      ctx.fillText(bar.ch, left / 2, y + rowH / 2 + 1);
      ctx.textAlign = "left";
      ctx.font = `${bar.chosen ? "bold " : ""}15px Inter, Helvetica, Arial, sans-serif`;
      ctx.fillStyle = bar.chosen ? CHOSEN : MUTED;
      ctx.fillText(formatPercent(p), left + Math.max(1, p * w) + 5 > left + w - 2
        ? left + w + 4 : left + Math.max(1, p * w) + 5, y + rowH / 2 + 1);
      if (j === guess) {  // the viewer's guess, outlined
        ctx.strokeStyle = GUESS;
        ctx.lineWidth = 2;
        ctx.strokeRect(1, y + 1, width - 2, rowH - 2);
      }
      return bar;
    });
  }
}
