// The history of one panel and layer: one column per step read, one row per unit, on the
// panel's fixed colour scale. Curtain: only steps up to the current one are drawn, and only
// their characters label the axis. Rows are at least 3 px; when the units do not all fit, the
// first rows of the chosen order are shown (index, or most active so far) and the selected unit
// is always among them. Click a row to select that unit everywhere.

import { legend, rgbBytes, sharpCanvas } from "../colors.js";
import { visible } from "./text.js";
import { hostHeight } from "../protocol.js";

const MIN_ROW = 3, MIN_COL = 3, LABEL_W = 46, AXIS_H = 22, TOP = 7;

/** Units of `layer` ordered by mean |value| over steps 0..t (the past only: no future leaks
 * into the order). */
export function mostActive(panel, layer, t, units) {
  const score = new Float64Array(units);
  const mid = panel.lo < 0 ? 127.5 : 0;
  for (let s = 0; s <= t; s++) {
    const base = panel.index(s, layer, 0);
    for (let u = 0; u < units; u++) score[u] += Math.abs(panel.q[base + u] - mid);
  }
  return Array.from({ length: units }, (_, u) => u).sort((a, b) => score[b] - score[a] || a - b);
}

export class HistoryView {
  constructor(root, trace, actions) {
    this.root = root;
    this.trace = trace;
    this.actions = actions;
    root.replaceChildren();
    const head = document.createElement("div");
    head.className = "view-title history-head";
    head.innerHTML = `<span>Memory over time</span>`;
    this.select = document.createElement("select");
    this.select.id = "history-panel";
    this.select.setAttribute("aria-label", "which panel and layer the history shows");
    for (const p of trace.panels) {
      for (let l = 0; l < trace.layers; l++) {
        const o = document.createElement("option");
        o.value = `${p.name}:${l}`;
        o.textContent = `${p.name} ${p.label}${trace.layers > 1 ? ` · layer ${l + 1}` : ""}`;
        this.select.appendChild(o);
      }
    }
    this.select.onchange = () => {
      const [name, l] = this.select.value.split(":");
      actions.set({ history: [name, Number(l)] });
    };
    this.orderSelect = document.createElement("select");
    this.orderSelect.id = "history-order";
    this.orderSelect.setAttribute("aria-label", "row order");
    this.orderSelect.innerHTML = `<option value="active">most active first</option><option value="index">by unit number</option>`;
    this.orderSelect.onchange = () => actions.set({ order: this.orderSelect.value, rows: null });
    this.legendSlot = document.createElement("span");
    head.append(this.select, this.orderSelect, this.legendSlot);
    this.canvas = document.createElement("canvas");
    this.canvas.className = "history";
    this.canvas.onclick = (e) => {
      const r = this.canvas.getBoundingClientRect(), y = e.clientY - r.top;
      const k = Math.floor((y - TOP) / this.rowH);
      if (this.shown && k >= 0 && k < this.shown.length) actions.select([this.layer, this.shown[k]]);
    };
    root.append(head, this.canvas);
    this.order = null;
    this.key = "";
  }

  which(state) {
    const trace = this.trace;
    if (state.history) return [trace.panel[state.history[0]] || trace.panels[0], state.history[1]];
    const states = trace.panels.filter((p) => p.state);
    const panel = states[states.length - 1] || trace.panels[0];
    return [panel, state.unit ? state.unit[0] : trace.layers - 1];
  }

  rowsFor(state, panel, layer) {
    if (state.rows) return state.rows;
    if (state.order === "index") return Array.from({ length: this.trace.units }, (_, u) => u);
    // Recomputed when paused or stepped; while playing the order stays put, so rows do not jump.
    const at = state.playing && this.orderAt != null ? this.orderAt : state.t;
    const key = `${panel.name}:${layer}:${at}`;
    if (key !== this.orderKey) {
      this.order = mostActive(panel, layer, at, this.trace.units);
      this.orderKey = key;
      this.orderAt = at;
    }
    return this.order;
  }

  /** Steps first..t of the shown rows, one pixel per (step, unit). Built from the past only:
   * the image never holds a column after t, so nothing can bleed in from the future. */
  image(panel, layer, shown, first, t) {
    const n = t + 1 - first;
    const canvas = this.offscreen || (this.offscreen = document.createElement("canvas"));
    canvas.width = n;
    canvas.height = shown.length;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(n, shown.length), px = img.data, rgb = rgbBytes(panel);
    for (let s = first; s <= t; s++) {
      const base = panel.index(s, layer, 0);
      for (let k = 0; k < shown.length; k++) {
        const c = 3 * panel.q[base + shown[k]], o = 4 * (k * n + s - first);
        px[o] = rgb[c]; px[o + 1] = rgb[c + 1]; px[o + 2] = rgb[c + 2]; px[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return canvas;
  }

  render(state, prev, force) {
    const trace = this.trace;
    const [panel, layer] = this.which(state);
    this.layer = layer;
    const width = this.root.clientWidth;
    const height = Math.max(90, Math.min(200, Math.round(hostHeight() * 0.2)));
    const order = this.rowsFor(state, panel, layer);
    const key = [width, height, state.t, panel.name, layer, order, state.unit && state.unit.join(":")].join("|");
    if (!force && key === this.key) return;
    this.key = key;
    this.select.value = `${panel.name}:${layer}`;
    this.orderSelect.value = state.rows ? this.orderSelect.value : state.order;
    if (this.legendPanel !== panel) {
      this.legendSlot.replaceChildren(legend(panel));
      this.legendPanel = panel;
    }
    const plotH = height - AXIS_H, plotW = width - LABEL_W - 4;
    const units = order.length;
    this.rowH = Math.max(MIN_ROW, Math.floor(plotH / units));
    let shown = order.slice(0, Math.floor(plotH / this.rowH));
    if (state.unit && state.unit[0] === layer && !shown.includes(state.unit[1])) {
      shown = shown.slice(0, shown.length - 1).concat([state.unit[1]]);
    }
    this.shown = shown;
    const colW = Math.max(MIN_COL, Math.min(24, plotW / trace.steps));
    const fit = Math.floor(plotW / colW);  // columns that fit; older ones scroll off the left
    const first = Math.max(0, state.t + 1 - fit);
    const ctx = sharpCanvas(this.canvas, width, TOP + shown.length * this.rowH + AXIS_H);
    ctx.clearRect(0, 0, width, TOP + height);
    ctx.translate(0, TOP);  // room for the first row's label
    ctx.fillStyle = "#f4f5f8";
    ctx.fillRect(LABEL_W, 0, plotW, shown.length * this.rowH);
    const n = state.t + 1 - first;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.image(panel, layer, shown, first, state.t), LABEL_W, 0, n * colW, shown.length * this.rowH);
    // the current step's column, outlined
    const xt = LABEL_W + (state.t - first) * colW;
    ctx.strokeStyle = "#1c7ed6";
    ctx.lineWidth = 2;
    ctx.strokeRect(xt, 0, colW, shown.length * this.rowH);
    // unit labels: every few rows, and the selected one
    ctx.font = "13px Inter, Helvetica, Arial, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const every = Math.max(1, Math.ceil(16 / this.rowH));
    shown.forEach((u, k) => {
      const selected = state.unit && state.unit[0] === layer && state.unit[1] === u;
      if (selected) {
        ctx.strokeStyle = "#111";
        ctx.lineWidth = 1.5;
        ctx.strokeRect(LABEL_W - 1, k * this.rowH - 0.5, plotW + 2, this.rowH + 1);
      }
      if (selected || (k % every === 0 && !(state.unit && Math.abs(shown.indexOf(state.unit[1]) - k) < every))) {
        ctx.fillStyle = selected ? "#111" : "#5b6375";
        ctx.fillText(`${u + 1}`, LABEL_W - 5, k * this.rowH + this.rowH / 2);
      }
    });
    // the characters read, under their columns (only up to t)
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.font = "14px 'DejaVu Sans Mono', Menlo, monospace";
    const labelEvery = Math.max(1, Math.ceil(12 / colW));
    const y = shown.length * this.rowH + 4;
    for (let s = first; s <= state.t; s++) {
      if ((state.t - s) % labelEvery) continue;
      ctx.fillStyle = s === state.t ? "#1c7ed6" : "#5b6375";
      ctx.fillText(visible(trace.itos[trace.inputs[s]]), LABEL_W + (s - first + 0.5) * colW, y);
    }
  }
}
