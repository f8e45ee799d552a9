// The text so far: what the model has read (the prompt bold, what it wrote blue), the character
// just read outlined, and the next one in orange. Nothing after the current step is in the DOM:
// a character's span is attached when the step reaches it and detached when it goes back.
// Capped to its last lines (CSS), so it never pushes the charts off a projector.

import { formatPercent } from "../wire.js";

const VISIBLE = { " ": "␣", "\n": "⏎", "\t": "⇥" };
// Control, format (U+202E reverses what follows it), private-use and unassigned characters are
// shown as their code, as babylm/safe_text.py does on the server: never invisible, never acting.
const HIDDEN = /[\p{C}\p{Zl}\p{Zp}]/u;

export function visible(ch) {
  if (VISIBLE[ch]) return VISIBLE[ch];
  if (HIDDEN.test(ch)) return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  return ch;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const html = (text) => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);

export class TextView {
  constructor(box, caption, trace) {
    this.caption = caption;
    this.trace = trace;
    const chars = trace.chars(trace.inputs);
    // The box shows its last lines by CSS (a flex column ending at the bottom), so a step never
    // has to read the layout back to scroll it.
    box.replaceChildren();
    this.box = document.createElement("div");
    box.appendChild(this.box);
    box = this.box;
    this.spans = chars.map((ch, k) => {
      const el = document.createElement("span");
      const generated = k > 0 && !trace.from_prompt[k - 1];
      el.className = generated ? "gen" : "prompt";
      if (VISIBLE[ch] || HIDDEN.test(ch)) el.classList.add("ws");
      el.textContent = visible(ch) + (ch === "\n" ? "\n" : "");
      return el;
    });
    this.next = document.createElement("span");
    this.next.className = "chosen";
    this.shown = -1;  // spans 0..shown are attached
    this.windowed = [];
  }

  render(state, prev) {
    if (prev && state.t === prev.t && this.shown >= 0) return;
    const { t } = state, trace = this.trace;
    this.next.remove();
    for (let k = this.shown + 1; k <= t; k++) this.box.appendChild(this.spans[k]);
    for (let k = t + 1; k <= this.shown; k++) this.spans[k].remove();
    this.shown = t;
    for (const el of this.box.querySelectorAll(".read")) el.classList.remove("read");
    this.spans[t].classList.add("read");
    for (const el of this.windowed) el.classList.remove("window");
    this.windowed = [];
    if (trace.mode === "window") {
      for (let k = Math.max(0, t + 1 - trace.seq_length); k <= t; k++) {
        this.spans[k].classList.add("window");
        this.windowed.push(this.spans[k]);
      }
    }
    const next = trace.itos[trace.outputs[t]];
    this.next.textContent = visible(next);
    this.spans[t].after(this.next);
    this.caption.innerHTML = this.describe(t);
  }

  describe(t) {
    const trace = this.trace, s = trace.settings || {};
    const read = html(visible(trace.itos[trace.inputs[t]])), next = html(visible(trace.itos[trace.outputs[t]]));
    const p = trace.probs[t * trace.vocab + trace.outputs[t]];
    const greedy = Number(s.temperature) === 0 || Number(s.top_k) === 1;
    const how = trace.from_prompt[t] ? "the prompt's next character" : greedy ? "most likely" : "sampled";
    const memory = trace.mode === "window" ? ` · re-read the last ${trace.seq_length} characters from zero`
                                           : " · memory carried from every character so far";
    return `Read <b>“${read}”</b> → next <b>“${next}”</b> (${how}; the model gave it ` +
           `${formatPercent(p)})${memory}`;
  }
}
