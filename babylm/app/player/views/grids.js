// Grids of units at the current step: one grid per panel and layer, one square per unit, on the
// panel's fixed colour scale with its legend. The state grids (h, c for an LSTM) are always
// shown; the other internals (the gates) when `gates` is on. Clicking a square selects that
// unit everywhere; hovering shows its value in the readout.

import { colors, legend, sharpCanvas } from "../colors.js";
import { hostHeight } from "../protocol.js";

const MAX_CELL = 16, GAP = 1;

export class GridsView {
  /** `panels`: the trace's panels this view draws; `actions`: {select, hover}. */
  constructor(root, trace, panels, actions) {
    this.root = root;
    this.trace = trace;
    this.panels = panels;
    this.actions = actions;
    this.cols = Math.min(16, trace.units);
    this.rows = Math.ceil(trace.units / this.cols);
    root.replaceChildren();
    const grid = document.createElement("div");
    grid.className = "grid-panels";
    grid.style.gridTemplateColumns = `repeat(${trace.layers}, minmax(0, 1fr))`;
    this.figures = [];
    for (const panel of panels) {
      for (let layer = 0; layer < trace.layers; layer++) {
        const figure = document.createElement("figure");
        figure.dataset.panel = panel.name;
        const caption = document.createElement("figcaption");
        caption.innerHTML = `<b>${panel.name}</b> ${panel.label}` +
                            (trace.layers > 1 ? ` · layer ${layer + 1}` : "");
        const canvas = document.createElement("canvas");
        canvas.dataset.panel = panel.name;
        canvas.dataset.layer = layer;
        figure.append(caption, canvas);
        if (layer === trace.layers - 1) {
          figure.appendChild(legend(panel, panel.exact && panel.state && panel.lo !== -1
                                           ? "this model's range" : ""));
        }
        grid.appendChild(figure);
        const item = { panel, layer, canvas, figure, table: colors(panel), cell: 0 };
        canvas.onmousemove = (e) => this.pointer(item, e, false);
        canvas.onmouseleave = () => actions.hover(null);
        canvas.onclick = (e) => this.pointer(item, e, true);
        this.figures.push(item);
      }
    }
    root.appendChild(grid);
    this.width = 0;
  }

  pointer(item, e, click) {
    const r = item.canvas.getBoundingClientRect();
    const col = Math.floor((e.clientX - r.left) / item.cell), row = Math.floor((e.clientY - r.top) / item.cell);
    const unit = row * this.cols + col;
    if (col < 0 || col >= this.cols || unit < 0 || unit >= this.trace.units) return;
    if (click) this.actions.select([item.layer, unit]);
    else this.actions.hover([item.panel.name, item.layer, unit]);
  }

  render(state, prev, force) {
    if (!this.figures.length) return;
    const width = this.figures[0].figure.clientWidth;
    const moved = !prev || state.t !== prev.t || state.unit !== prev.unit || state.highlight !== prev.highlight;
    if (!force && !moved && width === this.width) return;
    this.width = width;
    // Square cells as large as the width allows, but no taller than ~30% of the screen for the
    // state grids (so text, bars, state and history share a projector's 720 px).
    const tall = Math.floor((hostHeight() * 0.3 - this.panels.length * 20 - 18) / (this.panels.length * this.rows));
    const cell = Math.max(4, Math.min(MAX_CELL, Math.floor(width / this.cols), Math.max(7, tall)));
    for (const item of this.figures) {
      item.cell = cell;
      item.figure.classList.toggle("highlight", state.highlight === item.panel.name);
      // The panel a lesson points at comes first in its view: at 1280x720 the forget gates,
      // fourth of the gate rows, were below the fold under a stop about them.
      item.figure.style.order = state.highlight === item.panel.name ? "-1" : "";
      const ctx = sharpCanvas(item.canvas, cell * this.cols, cell * this.rows);
      const { panel, layer, table } = item;
      const base = panel.index(state.t, layer, 0);
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, cell * this.cols, cell * this.rows);
      for (let u = 0; u < this.trace.units; u++) {
        ctx.fillStyle = table[panel.q[base + u]];
        ctx.fillRect((u % this.cols) * cell + GAP, Math.floor(u / this.cols) * cell + GAP,
                     cell - 2 * GAP, cell - 2 * GAP);
      }
      if (state.unit && state.unit[0] === layer) {
        const u = state.unit[1];
        ctx.lineWidth = 2;
        ctx.strokeStyle = "#111";
        ctx.strokeRect((u % this.cols) * cell + 1, Math.floor(u / this.cols) * cell + 1, cell - 2, cell - 2);
      }
    }
  }
}

/** One line: the hovered (else the selected) unit's value in every panel at the current step. */
export class ReadoutView {
  constructor(el, trace) {
    this.el = el;
    this.trace = trace;
  }

  render(state) {
    const target = state.hover ? [state.hover[1], state.hover[2]] : state.unit;
    if (!target) {
      this.el.innerHTML = "Click a square to follow one unit in every view.";
      delete this.el.dataset.unit;
      return;
    }
    const [layer, unit] = target, t = state.t;
    const values = this.trace.panels.map((p) => [p.name, p.text(t, layer, unit)]);
    this.el.dataset.unit = `${layer + 1}:${unit + 1}`;
    this.el.dataset.values = JSON.stringify(Object.fromEntries(values));
    const who = state.hover ? "pointing at" : "selected";
    this.el.innerHTML = `<span class="who">${who}</span> <b>layer ${layer + 1} · unit ${unit + 1}</b> ` +
      values.map(([name, text]) => `<span class="val"><i>${name}</i> ${text}</span>`).join(" ");
  }
}
