// What a lesson stop points at: a panel (the text, the bars, the history; the state and gate
// grids outline themselves in grids.js) and one character of the text. Set by a command from
// Python (`highlight`, `char`), cleared by the next one.

const PANELS = { text: "text-panel", bars: "bars-view", history: "history-view" };

export class HighlightView {
  constructor(doc, textView) {
    this.doc = doc;
    this.textView = textView;
    this.key = "";
  }

  render(state) {
    const key = `${state.highlight}|${state.char}|${state.t}`;
    if (key === this.key) return;
    this.key = key;
    for (const [name, id] of Object.entries(PANELS)) {
      this.doc.getElementById(id).classList.toggle("lesson-highlight", state.highlight === name);
    }
    for (const el of this.doc.querySelectorAll(".lesson-char")) el.classList.remove("lesson-char");
    const k = state.char, text = this.textView;
    if (k === null || k === undefined) return;
    // Characters 0..t are the ones read; t + 1 is the next one (shown in orange).
    const el = k <= state.t ? text.spans[k] : k === state.t + 1 ? text.next : null;
    if (el) el.classList.add("lesson-char");
  }
}
