// Sampling made visible: beside the model's own bars (temperature 1), the distribution the next
// character is actually drawn from once temperature and top-k have reshaped them, with the drawn
// character marked. Its temperature slider and top-k menu start at the generation's own settings
// and reshape the bars here in the browser (sampling.js), with no message to the server: the
// class sees at once why 0 is greedy and 2 babbles. The drawn character is the generation's; moving
// the slider shows what another temperature would have drawn from, it does not draw again.

import { sharpCanvas } from "../colors.js";
import { largest, samplingProbs } from "../sampling.js";
import { visible } from "./text.js";
import { formatPercent } from "../wire.js";

const K = 10, BAR = "#7950f2", MODEL = "#1f2430", CHOSEN = "#e8590c", INK = "#1f2430", MUTED = "#5b6375";
const TOP_KS = [0, 1, 2, 3, 5, 10];

export class SamplingView {
  /** `actions.set(patch)` changes the store. */
  constructor(root, trace, actions) {
    this.root = root;
    this.trace = trace;
    this.actions = actions;
    const s = trace.settings || {};
    this.own = { temperature: Number(s.temperature ?? 1), topK: Number(s.top_k ?? 0) };
    root.replaceChildren();
    const head = document.createElement("div");
    head.className = "view-title sampling-head";
    head.innerHTML = `<span>What it draws from</span>
      <label>temperature <input class="temp" type="range" min="0" max="2" step="0.05"
        aria-label="sampling temperature"><output class="temp-value"></output></label>
      <label>top-k <select class="topk" aria-label="sampling top-k">${TOP_KS.map(
        (k) => `<option value="${k}">${k === 0 ? "all" : k}</option>`).join("")}</select></label>`;
    this.slider = head.querySelector(".temp");
    this.value = head.querySelector(".temp-value");
    this.select = head.querySelector(".topk");
    if (!TOP_KS.includes(this.own.topK)) {
      this.select.insertAdjacentHTML("beforeend", `<option value="${this.own.topK}">${this.own.topK}</option>`);
    }
    this.slider.oninput = () => this.actions.set({ temperature: Number(this.slider.value) });
    this.select.onchange = () => this.actions.set({ topK: Number(this.select.value) });
    // Arrow keys move the slider, not the player's step.
    for (const el of [this.slider, this.select]) el.addEventListener("keydown", (e) => e.stopPropagation());
    this.canvas = document.createElement("canvas");
    this.canvas.className = "bars sampling";
    this.note = document.createElement("div");
    this.note.className = "sampling-note";
    root.append(head, this.canvas, this.note);
    this.key = "";
  }

  settings(state) {
    return {
      temperature: state.temperature ?? this.own.temperature,
      topK: state.topK ?? this.own.topK,
    };
  }

  render(state, prev, force) {
    this.root.hidden = !state.sampling;
    if (!state.sampling) return;
    const { temperature, topK } = this.settings(state);
    const width = this.root.clientWidth;
    const key = `${state.t}|${width}|${temperature}|${topK}|${state.quiz}`;
    if (!force && key === this.key) return;
    this.key = key;
    this.slider.value = String(temperature);
    this.value.textContent = temperature.toFixed(2);
    this.select.value = String(topK);
    const trace = this.trace, V = trace.vocab, t = state.t;
    const row = trace.probs.subarray(t * V, (t + 1) * V);
    const drawn = samplingProbs(row, temperature, topK);
    this.drawn = drawn;  // what is drawn, for the curious and the tests
    const ids = largest(row, K);
    const chosen = trace.outputs[t], chose = !trace.from_prompt[t];
    if (chose && !ids.includes(chosen)) ids.push(chosen);
    const rowH = 17, height = rowH * ids.length;
    const ctx = sharpCanvas(this.canvas, width, height);
    const left = 30, right = 60, w = Math.max(10, width - left - right);
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#e5e8ef";
    ctx.fillRect(left + w, 0, 1, height);  // 100%
    ctx.textBaseline = "middle";
    ids.forEach((j, k) => {
      const y = k * rowH, p = drawn[j], mark = chose && j === chosen;
      ctx.fillStyle = mark ? CHOSEN : BAR;
      ctx.fillRect(left + 1, y + 2, Math.max(p > 0 ? 1 : 0, p * w), rowH - 4);
      ctx.fillStyle = MODEL;  // the model's own probability: a tick, to compare with
      ctx.fillRect(left + 1 + Math.round(row[j] * w), y + 1, 2, rowH - 2);
      ctx.fillStyle = INK;
      ctx.textAlign = "center";
      ctx.font = "bold 15px 'DejaVu Sans Mono', Menlo, monospace";
      ctx.fillText(visible(trace.itos[j]), left / 2, y + rowH / 2 + 1);
      ctx.textAlign = "left";
      ctx.font = `${mark ? "bold " : ""}14px Inter, Helvetica, Arial, sans-serif`;
      ctx.fillStyle = mark ? CHOSEN : MUTED;
      // Labels in their own column at the right, clear of the bars and the ticks.
      ctx.fillText(p === 0 ? "never" : formatPercent(p, false), left + w + 6, y + rowH / 2 + 1);
    });
    let rest = 0;
    for (let j = 0; j < V; j++) if (!ids.includes(j)) rest += drawn[j];
    const others = V - ids.length;
    const how = temperature === 0 ? "temperature 0 always takes the likeliest: no dice"
      : `${others} other characters: ${rest === 0 ? "never" : formatPercent(rest, false)} together`;
    const same = temperature === this.own.temperature && topK === this.own.topK;
    const draw = !chose ? "this character is the prompt's, not drawn"
      : same ? `the orange one was drawn`
      : `the orange one was drawn at the generation's temperature ${this.own.temperature}` +
        (this.own.topK ? `, top-k ${this.own.topK}` : "");
    this.note.textContent = `▮ ticks: the model's own bars · ${how} · ${draw}`;
  }
}
