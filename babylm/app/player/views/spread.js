// A small line: how much this model's memory still depends on the animal, after each character
// read so far (babylm.memory.animal_spread, divided by its own peak). Drawn up to the current
// step only; the value at the step is printed. Python sends the numbers; nothing is computed here.

import { sharpCanvas } from "../colors.js";

const H = 70, INK = "#1f2430", GRID = "#e5e8ef";

export class SpreadView {
  /** `values`: one number per step (may be shorter than the trace: none after the prompt). */
  constructor(root, values, color) {
    this.root = root;
    const peak = Math.max(...values, 1e-12);
    this.values = values.map((v) => v / peak);
    this.color = color;
    root.replaceChildren();
    const title = document.createElement("div");
    title.className = "view-title";
    title.innerHTML = "Animal still in memory <span class='spread-now'></span>";
    this.now = title.querySelector(".spread-now");
    this.canvas = document.createElement("canvas");
    this.canvas.className = "spread";
    root.append(title, this.canvas);
    this.key = "";
  }

  render(state, prev, force, steps) {
    const width = this.root.clientWidth;
    const key = `${state.t}|${width}`;
    if (!force && key === this.key) return;
    this.key = key;
    const ctx = sharpCanvas(this.canvas, width, H);
    const n = steps, x = (k) => 2 + (k / Math.max(1, n - 1)) * (width - 4), y = (v) => H - 3 - v * (H - 8);
    ctx.clearRect(0, 0, width, H);
    ctx.fillStyle = GRID;
    ctx.fillRect(0, y(0), width, 1);
    ctx.fillRect(0, y(1), width, 1);
    const last = Math.min(state.t, this.values.length - 1);
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 3;
    ctx.beginPath();
    for (let k = 0; k <= last; k++) (k ? ctx.lineTo : ctx.moveTo).call(ctx, x(k), y(this.values[k]));
    ctx.stroke();
    if (state.t < this.values.length) {
      ctx.fillStyle = INK;
      ctx.beginPath();
      ctx.arc(x(last), y(this.values[last]), 4, 0, 2 * Math.PI);
      ctx.fill();
      this.now.textContent = `${Math.round(100 * this.values[last])}% of its peak`;
    } else {
      this.now.textContent = "";
    }
    this.root.dataset.value = state.t < this.values.length ? this.values[last].toFixed(4) : "";
  }
}
