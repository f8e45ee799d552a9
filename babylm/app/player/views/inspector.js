// The unit inspector: colours the text so far character by character, either by the selected
// unit's value (c, h or a gate: the viewer picks) or by which past characters the current
// prediction leans on (saliency, when Python has sent it), with a legend and a hover readout (a
// one-line bar under the text, shown only when there is something to say); and draws a small
// chart of the selected unit's internals over the steps so far (under the history, so the
// projector's first screen keeps the text, bars, grids and history).
//
// Colour comes from the same fixed scales as the grids (a colour means the same value in every
// view), and every coloured character carries the number it is coloured by (data-v), the trace's
// own number as the readout prints it. Nothing after the current step is coloured or drawn.

import { colors, legend, sharpCanvas } from "../colors.js";
import { visible } from "./text.js";

const CHART_H = 110, PAD_L = 40, PAD_R = 8;
const LINES = { c: "#b2182b", h: "#2166ac", i: "#2b8a3e", f: "#e8590c", o: "#7048e8", g: "#868e96",
                r: "#2b8a3e", z: "#e8590c", n: "#868e96" };
const SALIENT = [112, 72, 232];  // violet: apart from the next character's orange

/** What the text is coloured by: "none", a panel name, or "saliency". `shade` null means: the
 * last state panel (c for an LSTM) when a unit is selected, else nothing. */
export function shadeOf(state, trace, saliency) {
  const shade = state.shade;
  if (shade === "saliency") return saliency ? "saliency" : "none";
  if (shade && shade !== "none" && trace.panel[shade]) return state.unit ? shade : "none";
  if (shade === "none") return "none";
  const states = trace.panels.filter((p) => p.state);
  return state.unit ? (states[states.length - 1] || trace.panels[0]).name : "none";
}

export class InspectorView {
  /** `text`: the TextView whose character spans this colours; `getSaliency()`: the current
   * saliency rows for this trace (saliency.js), or null. */
  constructor(root, chartRoot, trace, text, actions, getSaliency) {
    this.root = root;
    this.chartRoot = chartRoot;
    this.trace = trace;
    this.text = text;
    this.actions = actions;
    this.getSaliency = getSaliency;
    root.replaceChildren();
    const bar = document.createElement("div");
    bar.className = "inspect-bar";
    const label = document.createElement("label");
    label.textContent = "Colour the text by ";
    this.select = document.createElement("select");
    this.select.id = "shade";
    this.select.setAttribute("aria-label", "what colours the text");
    label.appendChild(this.select);
    this.legendSlot = document.createElement("span");
    this.legendSlot.className = "inspect-legend";
    this.hover = document.createElement("span");
    this.hover.id = "inspect-hover";
    this.hover.setAttribute("aria-live", "polite");
    bar.append(label, this.legendSlot, this.hover);
    this.chart = document.createElement("canvas");
    this.chart.className = "unit-chart";
    this.chartTitle = document.createElement("div");
    this.chartTitle.className = "unit-chart-title";
    root.append(bar);
    chartRoot.replaceChildren(this.chartTitle, this.chart);
    this.select.onchange = () => actions.set({ shade: this.select.value });
    for (const span of text.spans) {
      span.onmouseenter = () => this.point(span);
      span.onmouseleave = () => { this.hover.textContent = ""; };
    }
    this.options = "";
    this.key = "";
    this.coloured = -1;  // spans 0..coloured carry a colour
  }

  fillOptions(state, saliency) {
    const trace = this.trace;
    const unit = state.unit ? `unit ${state.unit[0] + 1}:${state.unit[1] + 1}` : "the selected unit";
    const items = [["none", "nothing"]];
    for (const p of trace.panels) items.push([p.name, `${unit}'s ${p.name} (${p.label})`]);
    items.push(["saliency", saliency ? "what this prediction leans on" : "what this prediction leans on (tick it below the player)"]);
    const key = JSON.stringify([items, !!state.unit, !!saliency]);
    if (key === this.options) return;
    this.options = key;
    this.select.replaceChildren(...items.map(([value, text]) => {
      const o = document.createElement("option");
      o.value = value;
      o.textContent = text;
      o.disabled = (value !== "none" && value !== "saliency" && !state.unit) || (value === "saliency" && !saliency);
      return o;
    }));
  }

  render(state, prev, force) {
    const saliency = this.getSaliency();
    const shade = shadeOf(state, this.trace, saliency);
    const key = [state.t, shade, state.unit && state.unit.join(":"), saliency && saliency.id,
                 this.chartRoot.clientWidth].join("|");
    if (!force && key === this.key) return;
    this.key = key;
    // Nothing selected and nothing shaded: take no room (a projector's 720 px are counted).
    this.root.style.display = shade === "none" && !state.unit ? "none" : "";
    this.fillOptions(state, saliency);
    this.select.value = shade;
    this.shade = shade;
    this.state = state;
    this.colourText(state, shade, saliency);
    this.root.dataset.shade = shade;
    this.drawChart(state);
  }

  colourText(state, shade, saliency) {
    const { t } = state, spans = this.text.spans;
    for (let k = 0; k <= Math.max(this.coloured, t) && k < spans.length; k++) {
      const el = spans[k];
      el.style.background = el.style.color = "";
      delete el.dataset.v;
    }
    this.coloured = -1;
    this.legendSlot.replaceChildren();
    if (shade === "none") return;
    if (shade === "saliency") {
      const row = saliency.row(t);  // (t + 1,) shares summing to 1
      let top = 0;
      for (let s = 0; s <= t; s++) top = Math.max(top, row[s]);
      for (let s = 0; s <= t; s++) {
        const a = top > 0 ? row[s] / top : 0;
        spans[s].style.background = `rgba(${SALIENT.join(",")},${(0.85 * a).toFixed(3)})`;
        spans[s].style.color = a > 0.6 ? "#fff" : "";
        spans[s].dataset.v = row[s].toFixed(3);
      }
      this.coloured = t;
      this.legendSlot.innerHTML = `<span class="legend"><span>0</span><i style="background:linear-gradient(90deg,` +
        `rgba(${SALIENT},0),rgba(${SALIENT},0.85))"></i><span>the most, at this step</span></span>`;
      return;
    }
    const panel = this.trace.panel[shade], table = colors(panel);
    const [layer, unit] = state.unit;
    for (let k = 0; k <= t; k++) {
      const q = panel.q[panel.index(k, layer, unit)];
      spans[k].style.background = table[q];
      spans[k].style.color = q < 60 || q > 200 ? "#fff" : "";
      spans[k].dataset.v = panel.text(k, layer, unit);
    }
    this.coloured = t;
    this.legendSlot.replaceChildren(legend(panel, panel.state && panel.lo !== -1 ? "this model's range" : ""));
  }

  point(span) {
    const k = this.text.spans.indexOf(span), state = this.state;
    if (!state || k < 0 || k > state.t || this.shade === "none") return;
    const trace = this.trace, ch = visible(trace.itos[trace.inputs[k]]);
    if (this.shade === "saliency") {
      const next = visible(trace.itos[trace.outputs[state.t]]);
      this.hover.textContent = `“${ch}” (character ${k + 1}): ${(100 * Number(span.dataset.v)).toFixed(1)}% ` +
                               `of what predicting “${next}” leans on`;
    } else {
      this.hover.textContent = `after “${ch}” (step ${k + 1}): ${this.shade} = ${span.dataset.v}`;
    }
  }

  /** The selected unit's internals over steps 0..t: the recurrent state on top (its own scale),
   * the gates and h below on [-1, 1]; the x axis spans the whole generation, so it never moves. */
  drawChart(state) {
    this.chartRoot.style.display = state.unit ? "" : "none";
    const trace = this.trace, width = this.chartRoot.clientWidth;
    if (!state.unit || width < 50) return;
    const [layer, unit] = state.unit;
    const names = trace.panels.map((p) => p.name).filter((n) => n !== "g" && n !== "n");
    this.chartTitle.innerHTML = `<b>layer ${layer + 1} · unit ${unit + 1}</b> over the steps so far: ` +
      names.map((n) => `<span style="color:${LINES[n] || "#333"}">■ ${n}</span>`).join(" ");
    const ctx = sharpCanvas(this.chart, width, CHART_H);
    ctx.clearRect(0, 0, width, CHART_H);
    const plotW = width - PAD_L - PAD_R;
    const x = (s) => PAD_L + (trace.steps > 1 ? (s / (trace.steps - 1)) * plotW : plotW / 2);
    const bands = { top: [4, CHART_H / 2 - 3], bottom: [CHART_H / 2 + 3, CHART_H - 4] };
    const hasTop = names.includes("c");
    ctx.font = "11px Inter, Helvetica, Arial, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillStyle = "#f4f5f8";
    const drawn = hasTop ? ["top", "bottom"] : ["bottom"];
    if (!hasTop) bands.bottom = [4, CHART_H - 4];
    for (const b of drawn) ctx.fillRect(PAD_L, bands[b][0], plotW, bands[b][1] - bands[b][0]);
    const scaleOf = (p) => (p.name === "c" ? [p.lo, p.hi, "top"] : [-1, 1, "bottom"]);
    for (const b of drawn) {
      const p = b === "top" ? trace.panel.c : null;
      const [lo, hi] = p ? [p.lo, p.hi] : [-1, 1];
      ctx.fillStyle = "#5b6375";
      ctx.fillText(String(hi).replace("-", "−"), PAD_L - 4, bands[b][0] + 5);
      ctx.fillText(String(lo).replace("-", "−"), PAD_L - 4, bands[b][1] - 5);
      const [y0, y1] = bands[b];
      const zero = y1 - ((0 - lo) / (hi - lo)) * (y1 - y0);
      ctx.strokeStyle = "#d0d4dc";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(PAD_L, zero);
      ctx.lineTo(PAD_L + plotW, zero);
      ctx.stroke();
    }
    for (const name of names) {
      const p = trace.panel[name];
      const [lo, hi, b] = scaleOf(p);
      const [y0, y1] = bands[b];
      ctx.strokeStyle = LINES[name] || "#333";
      ctx.lineWidth = name === "c" || name === "h" ? 2 : 1.25;
      ctx.beginPath();
      for (let s = 0; s <= state.t; s++) {
        const v = Math.max(lo, Math.min(hi, p.value(s, layer, unit)));
        const y = y1 - ((v - lo) / (hi - lo)) * (y1 - y0);
        if (s === 0) ctx.moveTo(x(s), y);
        else ctx.lineTo(x(s), y);
      }
      ctx.stroke();
      if (state.t === 0) {  // one point: a dot, not an invisible line
        const v = Math.max(lo, Math.min(hi, p.value(0, layer, unit)));
        ctx.fillStyle = LINES[name] || "#333";
        ctx.fillRect(x(0) - 2, y1 - ((v - lo) / (hi - lo)) * (y1 - y0) - 2, 4, 4);
      }
    }
    ctx.strokeStyle = "#1c7ed6";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x(state.t), 2);
    ctx.lineTo(x(state.t), CHART_H - 2);
    ctx.stroke();
  }
}
